"""Scores of a round, as pure functions of plain values: no ORM, no settings.

The rules are the methodology's (``docs/`` and the public methodology page):

- indicator points: level × 25; "don't know" and unanswered count 0; an accepted N/A leaves
  the indicator out; a rejected N/A counts as level 0;
- dimension score: weighted mean of the points of its applicable indicators, *insufficient*
  (no number) when fewer than max(2, ceil(half)) of its indicators are applicable;
- headline index: plain mean of the core dimension scores, none unless every core dimension
  has one;
- bands on unrounded values: Initial < 25 ≤ Emerging < 50 ≤ Established < 75 ≤ Advanced;
- completeness: answered (not DK) applicable indicators / applicable indicators;
- evidence coverage: indicators at level ≥ 2 with evidence / indicators at level ≥ 2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

POINTS_PER_LEVEL = 25
EVIDENCE_COVERAGE_FROM_LEVEL = 2
# Lower bound of each band, highest first.
BANDS: tuple[tuple[float, str], ...] = ((75, "advanced"), (50, "established"), (25, "emerging"), (0, "initial"))

LEVEL, NOT_APPLICABLE, DONT_KNOW, UNANSWERED = "level", "na", "dk", ""


def percent(part: int, whole: int) -> int:
    """Return part/whole as a whole percentage (0 when there is no whole)."""
    return round(100 * part / whole) if whole else 0


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
        """The level that scores: 0 for don't know, unanswered and a rejected N/A."""
        return self.level if self.response == LEVEL and self.level is not None else 0

    @property
    def answered(self) -> bool:
        return self.response in (LEVEL, NOT_APPLICABLE)


@dataclass(frozen=True)
class DimensionInput:
    code: str
    core: bool
    indicators: tuple[IndicatorInput, ...]


@dataclass(frozen=True)
class DimensionScore:
    code: str
    core: bool
    score: float | None  # None: insufficient
    band: str | None
    indicators: int
    applicable: int
    completeness: float | None
    evidence_coverage: float | None

    @property
    def insufficient(self) -> bool:
        return self.score is None


@dataclass(frozen=True)
class RoundScore:
    dimensions: tuple[DimensionScore, ...]
    headline: float | None
    band: str | None
    completeness: float | None
    evidence_coverage: float | None

    def dimension(self, code: str) -> DimensionScore | None:
        return next((d for d in self.dimensions if d.code == code), None)


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


def minimum_applicable(indicator_count: int) -> int:
    """How many applicable indicators a dimension needs for a score."""
    return max(2, math.ceil(indicator_count / 2))


def completeness(items: Sequence[IndicatorInput]) -> float | None:
    """Share of applicable indicators answered (not don't know), from 0 to 1."""
    applicable = [i for i in items if i.applicable]
    if not applicable:
        return None
    return sum(1 for i in applicable if i.answered) / len(applicable)


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
    """Score one dimension: weighted mean of applicable indicators' points, or insufficient."""
    # Weights are decimals (two places); as fractions the mean is exact before it becomes a float.
    scored = [
        (Fraction(str(item.weight)), points)
        for item in dimension.indicators
        if (points := indicator_points(item)) is not None
    ]
    enough = len(scored) >= minimum_applicable(len(dimension.indicators))
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
        completeness=completeness(dimension.indicators),
        evidence_coverage=evidence_coverage(dimension.indicators),
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
    return RoundScore(
        dimensions=scores,
        headline=index,
        band=band(index),
        completeness=completeness(items),
        evidence_coverage=evidence_coverage(items),
    )
