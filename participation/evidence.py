"""Consultations as evidence: an indicator a round's consultation discussed has evidence (one query)."""

from __future__ import annotations

from assessments.models import Round

from .models import Consultation


def consulted_indicators(round: Round) -> set[int]:
    """The ids of the indicators that one of the round's consultations discussed (``slots.OTHER_EVIDENCE``)."""
    links = Consultation.indicators.through.objects.filter(consultation__round_id=round.pk)
    return set(links.values_list("indicator_id", flat=True))
