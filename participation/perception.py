"""What stakeholders think, beside the city's own levels: the perception of each surveyed indicator.

``perception`` is a pure function of the levels respondents gave; ``round_perceptions`` loads them
for a round in one query. A median is shown only from ``MIN_RESPONSES`` levels: below that a
respondent could be recognised, and a median of three says little. "Don't know" is counted apart
and is not a response to the median. Perceptions never change a score: they stand beside it, and
``perception_rows`` says which of the city's levels they stand beside (every page that shows them
asks it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from assessments import scoring
from assessments.models import Answer, Round
from assessments.sheet import SELF, VALIDATED, AnswerSheet
from indicators.models import Indicator
from indicators.rules import LEVELS

from .models import SurveyAnswer

MIN_RESPONSES = 5


@dataclass(frozen=True)
class Perception:
    """One indicator's survey result: how many gave a level, their distribution and median."""

    responses: int = 0  # respondents who gave a level (not "don't know")
    dont_know: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: {level: 0 for level in LEVELS})
    median: float | None = None  # None below MIN_RESPONSES

    @property
    def shown(self) -> bool:
        """Whether there are enough responses to show the distribution and the median."""
        return self.median is not None

    def gap(self, level: int | None) -> float | None:
        """Median minus the city's level (positive: stakeholders see more than the city); None if either is missing."""
        return None if self.median is None or level is None else self.median - level


def perception(levels: Sequence[int | None]) -> Perception:
    """The perception of one indicator from its respondents' levels (None: don't know)."""
    given = [level for level in levels if level is not None]
    counts = Counter(given)
    enough = len(given) >= MIN_RESPONSES
    return Perception(
        responses=len(given),
        dont_know=len(levels) - len(given),
        distribution={level: counts.get(level, 0) for level in LEVELS},
        median=float(median(given)) if enough else None,
    )


def round_perceptions(round: Round, indicators: Iterable | None = None) -> dict[int, Perception]:
    """Indicator id → perception, for the indicators the round's survey asked (one query; {} without a survey)."""
    answers = SurveyAnswer.objects.filter(response__survey__round_id=round.pk)
    if indicators is not None:
        answers = answers.filter(indicator_id__in=[i.pk for i in indicators])
    levels: dict[int, list[int | None]] = defaultdict(list)
    for indicator_id, level in answers.values_list("indicator_id", "level"):
        levels[indicator_id].append(level)
    return {indicator_id: perception(given) for indicator_id, given in levels.items()}


@dataclass(frozen=True)
class PerceptionRow:
    """One surveyed indicator: what stakeholders think, beside what the city answered and the reviewer decided."""

    indicator: Indicator
    perception: Perception | None  # None: no respondent was asked it, or none answered yet
    answer: Answer | None  # the city's answer, if it counts (not carried over and unconfirmed)
    own: scoring.IndicatorInput  # the answer as the city's own scores read it
    checked: scoring.IndicatorInput | None  # as the validated scores read it; None until the round is validated
    validated_level: int | None  # the level the reviewer set; None: the city's stands

    @property
    def official(self) -> scoring.IndicatorInput:
        """The answer that counts: as validated once the round is validated, the city's own before."""
        return self.checked or self.own

    @property
    def level(self) -> int | None:
        """The city's level beside the median: the official answer's; None for N/A, don't know or no answer."""
        return self.official.level if self.official.response == scoring.LEVEL else None

    @property
    def gap(self) -> float | None:
        """The median minus that level (``Perception.gap``); None when either is missing."""
        return self.perception.gap(self.level) if self.perception else None


def perception_rows(
    sheet: AnswerSheet,
    perceptions: Mapping[int, Perception],
    *,
    indicators: Iterable[Indicator] | None = None,
    validated: bool | None = None,
) -> list[PerceptionRow]:
    """What stakeholders think of each indicator beside the city's level, in the order of ``indicators``. No query.

    ``indicators``: those to show (default: the sheet's that have a perception, in catalogue order).
    ``validated``: whether the validated answers count (default: whether the sheet's round is validated).
    """
    if indicators is None:
        indicators = [i for i in sheet.indicators if i.pk in perceptions]
    if validated is None:
        validated = sheet.round.status == Round.Status.VALIDATED
    rows = []
    for indicator in indicators:
        review = sheet.reviews.get(indicator.pk)
        rows.append(
            PerceptionRow(
                indicator=indicator,
                perception=perceptions.get(indicator.pk),
                answer=sheet.counted_answer(indicator),
                own=sheet.item(indicator, SELF),
                checked=sheet.item(indicator, VALIDATED) if validated else None,
                validated_level=review.validated_level if review else None,
            )
        )
    return rows
