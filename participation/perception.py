"""What stakeholders think, beside the city's own levels: the perception of each surveyed indicator.

``perception`` is a pure function of the levels respondents gave; ``round_perceptions`` loads them
for a round in one query. A median is shown only from ``MIN_RESPONSES`` levels: below that a
respondent could be recognised, and a median of three says little. "Don't know" is counted apart
and is not a response to the median. Perceptions never change a score: they stand beside it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import median

from assessments.models import Round
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
