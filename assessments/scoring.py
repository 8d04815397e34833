"""Scores of a round, as pure functions of plain values: no ORM, no settings.

The rules are the methodology's; their numbers (points per level, band floors, the minimum of
applicable indicators, the evidence level) are stated once, in ``indicators/rules.py``:

- indicator points: level × POINTS_PER_LEVEL; "don't know" and unanswered count 0; an accepted
  N/A leaves the indicator out; a rejected N/A counts as the lowest level;
- dimension score: weighted mean of the points of its applicable indicators, *insufficient*
  (no number) when fewer than ``minimum_applicable`` of its indicators are applicable;
- headline index: plain mean of the core dimension scores, none unless every core dimension
  has one;
- bands on unrounded values, from ``BANDS``;
- a dimension none of whose indicators has a response yet is *not started* (no number), not 0;
- answered: a level or N/A (``ANSWERED``); "don't know" is a response, not an answer;
- completeness: answered applicable indicators / applicable indicators;
- evidence coverage: indicators at EVIDENCE_FROM_LEVEL or more with evidence / all of those.

A snapshot records the ``RULES_VERSION`` its scores were made with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from indicators.rules import BANDS, EVIDENCE_FROM_LEVEL, LOWEST_LEVEL, POINTS_PER_LEVEL, Response, minimum_applicable

EVIDENCE_COVERAGE_FROM_LEVEL = EVIDENCE_FROM_LEVEL
# The responses as plain strings (the values stored in Answer.response).
LEVEL, NOT_APPLICABLE, DONT_KNOW, UNANSWERED = (
    Response.LEVEL.value,
    Response.NOT_APPLICABLE.value,
    Response.DONT_KNOW.value,
    Response.UNANSWERED.value,
)
# What counts as answered, for the form's progress, the report and the API alike.
ANSWERED: tuple[str, ...] = (LEVEL, NOT_APPLICABLE)

# The version of these rules; each ScoreSnapshot records the one its scores were made with.
# Raise it whenever a rule changes what a score, a band or a share comes out as.
#   1: the first release.
#   2: a dimension nobody has started is "not started" (no score) instead of 0; scores carry
#      their answered and don't-know counts.
RULES_VERSION = 2

# The state of a dimension's score.
SCORED, INSUFFICIENT, NOT_STARTED = "scored", "insufficient", "not_started"


def percent(part: int, whole: int) -> int:
    """Return part/whole as a whole percentage (0 when there is no whole)."""
    return round(100 * part / whole) if whole else 0


def share_percent(share: float | None) -> int | None:
    """A share from 0 to 1 as a whole percentage, as every page prints it (None stays None)."""
    return None if share is None else round(100 * share)


@dataclass(frozen=True)
class IndicatorInput:
    """One indicator's answer as one score set sees it (self-assessed or validated)."""

    code: str
    response: str = UNANSWERED
    level: int | None = None
    weight: float = 1.0
    na_accepted: bool = True
    has_evidence: bool = False

    @property
    def applicable(self) -> bool:
        return not (self.response == NOT_APPLICABLE and self.na_accepted)

    @property
    def effective_level(self) -> int:
        """The level that scores: the lowest for don't know, unanswered and a rejected N/A."""
        return self.level if self.response == LEVEL and self.level is not None else LOWEST_LEVEL

    @property
    def answered(self) -> bool:
        return self.response in ANSWERED

    @property
    def started(self) -> bool:
        """Has a response of any kind, don't know included."""
        return self.response != UNANSWERED


@dataclass(frozen=True)
class DimensionInput:
    code: str
    core: bool
    indicators: tuple[IndicatorInput, ...]


@dataclass(frozen=True)
class Progress:
    """How far a set of indicators is answered: the one count the form, the report and the API show."""

    indicators: int
    answered: int  # a level or N/A
    dont_know: int
    completeness: float | None  # answered applicable / applicable

    @property
    def unanswered(self) -> int:
        return self.indicators - self.answered - self.dont_know

    @property
    def not_started(self) -> bool:
        return self.answered == 0 and self.dont_know == 0

    @property
    def percent(self) -> int:
        """Answered indicators as a whole percentage of all of them (the form's progress bars)."""
        return percent(self.answered, self.indicators)


class SharesAsPercent:
    """The completeness and evidence coverage of a score, as whole percentages for pages and reports."""

    completeness: float | None
    evidence_coverage: float | None

    @property
    def completeness_percent(self) -> int | None:
        return share_percent(self.completeness)

    @property
    def evidence_percent(self) -> int | None:
        return share_percent(self.evidence_coverage)


@dataclass(frozen=True)
class DimensionScore(SharesAsPercent):
    code: str
    core: bool
    score: float | None  # None: insufficient or not started
    band: str | None
    indicators: int
    applicable: int
    completeness: float | None
    evidence_coverage: float | None
    # Counts of the Progress; None in snapshots of rules version 1, which did not record them.
    answered: int | None = None
    dont_know: int | None = None

    @property
    def not_started(self) -> bool:
        """No indicator of the dimension has a response yet: it has no score, and is not 0."""
        return self.answered == 0 and self.dont_know == 0

    @property
    def insufficient(self) -> bool:
        return self.score is None

    @property
    def state(self) -> str:
        """SCORED, INSUFFICIENT (too few applicable indicators) or NOT_STARTED."""
        if self.not_started:
            return NOT_STARTED
        return INSUFFICIENT if self.score is None else SCORED


@dataclass(frozen=True)
class RoundScore(SharesAsPercent):
    dimensions: tuple[DimensionScore, ...]
    headline: float | None
    band: str | None
    completeness: float | None
    evidence_coverage: float | None
    # Counts of the Progress; None in snapshots of rules version 1, which did not record them.
    indicators: int | None = None
    answered: int | None = None
    dont_know: int | None = None

    def dimension(self, code: str) -> DimensionScore | None:
        return next((d for d in self.dimensions if d.code == code), None)


def round_score_from_data(data: Mapping[str, Any]) -> RoundScore:
    """Rebuild a RoundScore from its stored form (``dataclasses.asdict``), whatever rules version stored it."""
    dimension_fields = {f.name for f in fields(DimensionScore)}
    round_fields = {f.name for f in fields(RoundScore)} - {"dimensions"}
    return RoundScore(
        dimensions=tuple(
            DimensionScore(**{k: v for k, v in d.items() if k in dimension_fields}) for d in data["dimensions"]
        ),
        **{k: v for k, v in data.items() if k in round_fields},
    )


def validated_answer(
    response: str, level: int | None, validated_level: int | None, na_accepted: bool | None
) -> tuple[str, int | None, bool]:
    """How the validated score set reads a city's answer after review.

    A level the reviewer set replaces the city's; a level the reviewer left alone stands as the
    city gave it; an N/A nobody ruled on counts as accepted. Returns (response, level, na_accepted).
    """
    if validated_level is not None:
        return LEVEL, validated_level, True
    return response, level, na_accepted is not False


def indicator_points(item: IndicatorInput) -> float | None:
    """Points from 0 to 100, or None when the indicator is not applicable (accepted N/A)."""
    if not item.applicable:
        return None
    return float(item.effective_level * POINTS_PER_LEVEL)


def band(score: float | None) -> str | None:
    """The band of an unrounded score (None for no score)."""
    if score is None:
        return None
    return next(name for lower, name in BANDS if score >= lower)


def completeness(items: Sequence[IndicatorInput]) -> float | None:
    """Share of applicable indicators answered (not don't know), from 0 to 1."""
    applicable = [i for i in items if i.applicable]
    if not applicable:
        return None
    return sum(1 for i in applicable if i.answered) / len(applicable)


def progress(items: Sequence[IndicatorInput]) -> Progress:
    """Count the answered (a level or N/A) and don't-know indicators, and the completeness."""
    return Progress(
        indicators=len(items),
        answered=sum(1 for i in items if i.answered),
        dont_know=sum(1 for i in items if i.response == DONT_KNOW),
        completeness=completeness(items),
    )


def mean_level(items: Sequence[IndicatorInput]) -> float | None:
    """The mean level of the applicable indicators, as they score (None when none is applicable).

    An accepted N/A is left out, as it is from every score; don't know, no answer and a rejected
    N/A count as the lowest level.
    """
    levels = [i.effective_level for i in items if i.applicable]
    return sum(levels) / len(levels) if levels else None


def evidence_coverage(items: Sequence[IndicatorInput]) -> float | None:
    """Share of indicators at level 2 or more that have evidence, from 0 to 1 (None: none at 2+)."""
    high = [i for i in items if i.applicable and i.effective_level >= EVIDENCE_COVERAGE_FROM_LEVEL]
    if not high:
        return None
    return sum(1 for i in high if i.has_evidence) / len(high)


def _exact(value: float) -> float:
    """Snap floating-point noise next to a whole number (74.99999999999999 is 75), where bands change."""
    nearest = round(value)
    return float(nearest) if abs(value - nearest) < 1e-9 else value


def dimension_score(dimension: DimensionInput) -> DimensionScore:
    """Score one dimension: weighted mean of applicable indicators' points; insufficient, or not started."""
    # Weights are decimals (two places); as fractions the mean is exact before it becomes a float.
    scored = [
        (Fraction(str(item.weight)), points)
        for item in dimension.indicators
        if (points := indicator_points(item)) is not None
    ]
    counts = progress(dimension.indicators)
    # A dimension nobody has started has no score yet: its blanks would otherwise score 0.
    enough = not counts.not_started and len(scored) >= minimum_applicable(len(dimension.indicators))
    total_weight = sum(weight for weight, _points in scored)
    score = (
        float(sum(weight * Fraction(points) for weight, points in scored) / total_weight)
        if enough and total_weight
        else None
    )
    return DimensionScore(
        code=dimension.code,
        core=dimension.core,
        score=score,
        band=band(score),
        indicators=len(dimension.indicators),
        applicable=len(scored),
        completeness=counts.completeness,
        evidence_coverage=evidence_coverage(dimension.indicators),
        answered=counts.answered,
        dont_know=counts.dont_know,
    )


def headline(dimensions: Sequence[DimensionScore]) -> float | None:
    """Plain mean of the core dimensions' scores; None unless every core dimension has one."""
    core = [d.score for d in dimensions if d.core]
    if not core or any(score is None for score in core):
        return None
    return _exact(sum(core) / len(core))


def score_round(dimensions: Sequence[DimensionInput]) -> RoundScore:
    """Score a whole round: every dimension, the headline index, completeness and evidence coverage."""
    scores = tuple(dimension_score(d) for d in dimensions)
    items = [item for d in dimensions for item in d.indicators]
    index = headline(scores)
    counts = progress(items)
    return RoundScore(
        dimensions=scores,
        headline=index,
        band=band(index),
        completeness=counts.completeness,
        evidence_coverage=evidence_coverage(items),
        indicators=counts.indicators,
        answered=counts.answered,
        dont_know=counts.dont_know,
    )
