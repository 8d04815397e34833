"""The counterpart's view beside the city's, once both have submitted (reads only)."""

from __future__ import annotations

from assessments.models import Round

from . import access
from .models import Counterpart, CounterpartAnswer


def counterpart_levels(round: Round) -> dict[int, int | None]:
    """Indicator id → the counterpart's level (None for don't know), once both sides have submitted; {} before."""
    counterpart = Counterpart.objects.filter(round_id=round.pk).first()
    if counterpart is None or not access.comparison_open(counterpart, round):
        return {}
    return dict(CounterpartAnswer.objects.filter(counterpart=counterpart).values_list("indicator_id", "level"))
