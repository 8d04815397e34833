"""The counterpart's view beside the city's, once both have submitted (reads only)."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.models import Round
from assessments.scoring import IndicatorInput
from assessments.sheet import SELF, VALIDATED, AnswerSheet, answer_sheet
from indicators.models import Indicator
from indicators.rules import Response

from . import access
from .models import Counterpart, CounterpartAnswer
from .services import mirrored_indicators

# Two sides that differ by this many levels or more on an indicator: the summary names it.
FAR_APART = 2


def counterpart_levels(round: Round) -> dict[int, int | None]:
    """Indicator id → the counterpart's level (None for don't know), once both sides have submitted; {} before."""
    counterpart = Counterpart.objects.filter(round_id=round.pk).first()
    if counterpart is None or not access.comparison_open(counterpart, round):
        return {}
    return dict(CounterpartAnswer.objects.filter(counterpart=counterpart).values_list("indicator_id", "level"))


@dataclass(frozen=True)
class ComparisonRow:
    """One mirrored indicator: the city's answer (self-assessed, and validated once the round is) beside the counterpart's."""

    indicator: Indicator
    city_self: IndicatorInput
    # The level the round's validation gave it; None until the round is validated.
    city_validated: IndicatorInput | None
    city_justification: str
    counterpart: CounterpartAnswer | None

    @property
    def city_level(self) -> int | None:
        """The city's level the gap is measured from: the validated one once validated, else the self-assessed one."""
        item = self.city_validated or self.city_self
        return item.level if item.response == Response.LEVEL else None

    @property
    def counterpart_level(self) -> int | None:
        return self.counterpart.level if self.counterpart else None

    @property
    def gap(self) -> int | None:
        """The counterpart's level minus the city's; None unless both gave a level."""
        if self.city_level is None or self.counterpart_level is None:
            return None
        return self.counterpart_level - self.city_level

    @property
    def far_apart(self) -> bool:
        return self.gap is not None and abs(self.gap) >= FAR_APART


@dataclass(frozen=True)
class Comparison:
    """The city's and the counterpart's answers to the round's mirrored indicators, side by side."""

    rows: tuple[ComparisonRow, ...]
    validated: bool

    @property
    def compared(self) -> int:
        """How many indicators both sides gave a level to (a gap exists)."""
        return sum(1 for row in self.rows if row.gap is not None)

    @property
    def mean_gap(self) -> float | None:
        """The mean of the gaps (counterpart minus city), unrounded; None when no indicator has one."""
        gaps = [row.gap for row in self.rows if row.gap is not None]
        return sum(gaps) / len(gaps) if gaps else None

    @property
    def far_apart(self) -> tuple[ComparisonRow, ...]:
        """The indicators on which the two sides differ by ``FAR_APART`` levels or more."""
        return tuple(row for row in self.rows if row.far_apart)


def counterpart_comparison(round: Round, counterpart: Counterpart, sheet: AnswerSheet | None = None) -> Comparison:
    """Compare the city's answers with the counterpart's, per mirrored indicator (a constant number of queries).

    Callers check that the comparison is open (``access.can_see_comparison``); this only reads.
    """
    sheet = sheet or answer_sheet(round)
    validated = round.status == Round.Status.VALIDATED
    theirs = {a.indicator_id: a for a in CounterpartAnswer.objects.filter(counterpart=counterpart)}
    rows = []
    for indicator in mirrored_indicators(round):
        answer = sheet.counted_answer(indicator)
        rows.append(
            ComparisonRow(
                indicator=indicator,
                city_self=sheet.item(indicator, SELF),
                city_validated=sheet.item(indicator, VALIDATED) if validated else None,
                city_justification=answer.justification if answer else "",
                counterpart=theirs.get(indicator.pk),
            )
        )
    return Comparison(rows=tuple(rows), validated=validated)
