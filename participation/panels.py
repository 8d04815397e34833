"""What participation shows on the assessment pages (``assessments.slots``).

The round page gets a "Who took part" section (consultations, participants, groups by category,
whether migrants' own organisations took part); each indicator's card on the form, the
consultations that discussed it (they count as its evidence); the review page, the same with a
short excerpt of what was said.

Each page loads the round's consultations once, whatever the number of consultations and
indicators: the fillers of one request share what they loaded (``_consultations``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch
from django.template.loader import render_to_string

from assessments import slots
from assessments.models import Round
from assessments.sheet import request_sheet
from indicators.models import Indicator

from .access import can_record_consultations
from .models import Consultation, Stakeholder


@dataclass(frozen=True)
class WhoTookPart:
    """The totals of a round's consultations: how many, how many people, which kinds of groups."""

    consultations: int
    participants: int
    groups: int
    # (category label, number of distinct groups of that category that took part), in the register's order.
    categories: list[tuple[str, int]]
    # Whether a migrant or diaspora association or a refugee-led organisation took part.
    migrant_voices: bool


def who_took_part(consultations: list[Consultation]) -> WhoTookPart:
    """Sum up consultations whose ``groups`` are loaded (no query of its own)."""
    groups = {g.pk: g for c in consultations for g in c.groups.all()}
    counts: dict[str, int] = defaultdict(int)
    for group in groups.values():
        counts[group.category] += 1
    return WhoTookPart(
        consultations=len(consultations),
        participants=sum(c.participants for c in consultations),
        groups=len(groups),
        categories=[(label, counts[value]) for value, label in Stakeholder.Category.choices if counts[value]],
        migrant_voices=any(g.category in Stakeholder.MIGRANT_VOICES for g in groups.values()),
    )


def round_consultations(round: Round):
    """The round's consultations, newest first, with their groups and the indicators they discussed (three queries)."""
    return Consultation.objects.filter(round_id=round.pk).prefetch_related(
        Prefetch("groups", Stakeholder.objects.order_by("name", "id")),
        Prefetch("indicators", Indicator.objects.only("id", "code")),
    )


def _consultations(request, round: Round) -> list[Consultation]:
    # The fillers of one page share the consultations.
    return slots.per_request(
        request, ("participation", "consultations", round.pk), lambda: list(round_consultations(round))
    )


def _by_indicator(consultations: list[Consultation]) -> dict[int, list[Consultation]]:
    found: dict[int, list[Consultation]] = defaultdict(list)
    for consultation in consultations:
        for indicator in consultation.indicators.all():
            found[indicator.pk].append(consultation)
    return found


# --- the round page ------------------------------------------------------------------------------


def round_page_section(request, round: Round) -> str:
    """The round page's "Who took part" section, for whoever may see the round (the page checked it)."""
    consultations = _consultations(request, round)
    return render_to_string(
        "participation/panels/round_section.html",
        {
            "round": round,
            "summary": who_took_part(consultations),
            "can_record": can_record_consultations(request.user, round),
        },
        request=request,
    )


# --- the form and the review page: under each indicator -----------------------------------------


def _indicator_parts(request, round: Round, indicators, template: str) -> dict[int, str]:
    # The page's answer sheet knows which indicators have evidence kept elsewhere (slots.OTHER_EVIDENCE, which a
    # consultation's discussion is): with none among these, no consultation discussed them and nothing is loaded.
    if request_sheet(request, round).other_evidence.isdisjoint(indicator.pk for indicator in indicators):
        return {}
    by_indicator = _by_indicator(_consultations(request, round))
    return {
        indicator.pk: render_to_string(
            template,
            {"round": round, "indicator": indicator, "consultations": by_indicator[indicator.pk]},
            request=request,
        )
        for indicator in indicators
        if by_indicator.get(indicator.pk)
    }


def indicator_card_parts(request, round: Round, indicators) -> dict[int, str]:
    """Under each indicator's card on the form: the consultations that discussed it (its evidence too)."""
    return _indicator_parts(request, round, indicators, "participation/panels/indicator_consultations.html")


def review_indicator_parts(request, round: Round, indicators) -> dict[int, str]:
    """Under each indicator on the review page: the consultations that discussed it, with what was said."""
    return _indicator_parts(request, round, indicators, "participation/panels/review_consultations.html")


slots.ROUND_PAGE.register(round_page_section, order=60)
slots.INDICATOR_CARD.register(indicator_card_parts, order=60)
slots.REVIEW_INDICATOR.register(review_indicator_parts, order=60)
