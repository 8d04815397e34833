"""What a parent authority sees of its municipalities: the roll-up of their shared, validated rounds (reads only).

A municipality shares a round with its parent (``Authority.parent``) by consenting for that round
(``RollupConsent``); nothing else of it reaches the parent. The roll-up of one period counts the
shared rounds that are validated, and reads their scores as validation froze them
(``SnapshotDimension``, never recomputed): per dimension, how many municipalities, how many in
each band, and the median score. Beside it, which municipalities have a coordination body
(VC-06) and a migration unit (IN-01) at level 3 or more, as the validated score set reads their
levels (``scoring.validated_answer``). A few queries, whatever the number of municipalities.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from statistics import median

from django.db.models import OuterRef, QuerySet

from assessments import scoring
from assessments.models import Answer, Authority, Band, ReviewItem, Round, SnapshotDimension
from assessments.sheet import VALIDATED, AnswerSheet
from indicators.models import Dimension, Indicator

COORDINATION_BODY = "VC-06"  # a regional or inter-municipal body on migration and development
MIGRATION_UNIT = "IN-01"  # a dedicated unit or focal point for human mobility
CAPACITY_LEVEL = 3  # "operational": in place and working


def shared_rounds(parent: Authority) -> QuerySet:
    """The rounds the parent's municipalities share with it: their rounds with consent to this parent, in any status."""
    return Round.objects.filter(authority__parent=parent, rollup_consent__parent=parent)


# --- pure pieces ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandCount:
    band: str
    label: str
    count: int


@dataclass(frozen=True)
class DimensionRollup:
    """One dimension across the counted municipalities."""

    code: str
    name: str
    municipalities: int  # counted rounds that assessed the dimension
    bands: tuple[BandCount, ...]  # lowest band first
    unscored: int  # too few applicable indicators: no score, no band
    median: float | None


def dimension_rollup(code: str, name: str, scores: list[tuple[float | None, str]]) -> DimensionRollup:
    """Sum up one dimension's frozen (score, band) pairs, one per municipality."""
    scored = [(score, band) for score, band in scores if score is not None]
    return DimensionRollup(
        code=code,
        name=name,
        municipalities=len(scores),
        bands=tuple(BandCount(value, label, sum(1 for _s, b in scored if b == value)) for value, label in Band.choices),
        unscored=len(scores) - len(scored),
        median=median(score for score, _band in scored) if scored else None,
    )


def reaches(level: int | None) -> bool:
    """Whether a validated level is operational or more."""
    return level is not None and level >= CAPACITY_LEVEL


def validated_level(answer: tuple[str, int | None] | None, validated: int | None) -> int | None:
    """The level the validated score set reads: the reviewer's when set, else the city's (None: no level)."""
    response, level = answer or (scoring.UNANSWERED, None)
    response, level, _na_accepted = scoring.validated_answer(response, level, validated, None)
    return level if response == scoring.LEVEL else None


# --- reads ---------------------------------------------------------------------------------------


def validated_levels(round_ids: list[int], codes: tuple[str, ...]) -> dict[tuple[int, str], int | None]:
    """(round id, indicator code) → validated level, for the indicators of the rounds that they keep: two queries."""
    if not round_ids:
        return {}
    left_out = Round.omitted_dimensions.through.objects.filter(round_id=OuterRef("round_id")).values("dimension_id")
    answers = {
        (round_id, code): (response, level)
        for round_id, code, response, level in Answer.objects.counted()
        .filter(round_id__in=round_ids, indicator__code__in=codes)
        .exclude(indicator__dimension_id__in=left_out)
        .values_list("round_id", "indicator__code", "response", "level")
    }
    reviewed = {
        (round_id, code): level
        for round_id, code, level in ReviewItem.objects.filter(round_id__in=round_ids, indicator__code__in=codes)
        .exclude(indicator__dimension_id__in=left_out)
        .values_list("round_id", "indicator__code", "validated_level")
    }
    return {
        (round_id, code): validated_level(answers.get((round_id, code)), reviewed.get((round_id, code)))
        for round_id in round_ids
        for code in codes
    }


@dataclass(frozen=True)
class Municipality:
    """One municipality of the parent, for one period: its shared round (None: not shared) and its capacities."""

    authority: Authority
    round: Round | None
    coordination_level: int | None = None
    unit_level: int | None = None

    @property
    def shared(self) -> bool:
        return self.round is not None

    @property
    def counted(self) -> bool:
        """Shared and validated: in the roll-up."""
        return self.round is not None and self.round.status == Round.Status.VALIDATED

    @property
    def has_coordination_body(self) -> bool:
        return self.counted and reaches(self.coordination_level)

    @property
    def has_migration_unit(self) -> bool:
        return self.counted and reaches(self.unit_level)


@dataclass(frozen=True)
class Rollup:
    parent: Authority
    period: str | None
    periods: tuple[str, ...]  # the periods of shared rounds, newest first
    municipalities: tuple[Municipality, ...]  # every child, by name
    dimensions: tuple[DimensionRollup, ...]  # catalogue order

    @property
    def counted(self) -> int:
        return sum(1 for m in self.municipalities if m.counted)

    @property
    def coordination_bodies(self) -> int:
        return sum(1 for m in self.municipalities if m.has_coordination_body)

    @property
    def migration_units(self) -> int:
        return sum(1 for m in self.municipalities if m.has_migration_unit)


def default_period(shared: list[tuple[str, str]]) -> str | None:
    """The latest period with a validated shared round, else the latest with a shared round: (period, status) pairs."""
    validated = [period for period, status in shared if status == Round.Status.VALIDATED]
    every = [period for period, _status in shared]
    return max(validated or every, default=None)


def _dimensions(version_ids: set[int]) -> list[tuple[str, str]]:
    """(code, name) of the dimensions of these catalogue versions, in catalogue order, the newest version's name."""
    newest: dict[str, Dimension] = {}
    for dimension in Dimension.objects.filter(version_id__in=version_ids).order_by("version__number"):
        newest[dimension.code] = dimension  # the name in the active language (django-modeltranslation)
    return [(d.code, d.name) for d in sorted(newest.values(), key=lambda d: (d.order, d.code))]


def region_rollup(parent: Authority, period: str | None = None) -> Rollup:
    """The parent's roll-up for ``period`` (default: ``default_period``); six queries at most, whatever the size."""
    rounds = list(shared_rounds(parent).only("pk", "authority_id", "period", "status", "version_id"))
    periods = tuple(sorted({r.period for r in rounds}, reverse=True))
    period = period or default_period([(r.period, r.status) for r in rounds])
    of_period = {r.authority_id: r for r in rounds if r.period == period}
    counted = [r for r in of_period.values() if r.status == Round.Status.VALIDATED]
    levels = validated_levels([r.pk for r in counted], (COORDINATION_BODY, MIGRATION_UNIT))
    municipalities = []
    for child in Authority.objects.filter(parent=parent).order_by("name", "pk"):
        round = of_period.get(child.pk)
        key = round.pk if round else None
        municipalities.append(
            Municipality(
                authority=child,
                round=round,
                coordination_level=levels.get((key, COORDINATION_BODY)),
                unit_level=levels.get((key, MIGRATION_UNIT)),
            )
        )
    scores: dict[str, list[tuple[float | None, str]]] = defaultdict(list)
    if counted:
        for code, score, band in SnapshotDimension.objects.filter(
            snapshot__round_id__in=[r.pk for r in counted], score_set=VALIDATED
        ).values_list("dimension", "score", "band"):
            scores[code].append((score, band))
    dimensions = tuple(
        dimension_rollup(code, name, scores[code])
        for code, name in _dimensions({r.version_id for r in counted})
        if scores.get(code)
    )
    return Rollup(parent, period, periods, tuple(municipalities), dimensions)


# --- one shared round, read-only -----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    indicator: Indicator
    answer: Answer | None  # counted answers only: one carried over and not confirmed reads as none
    validated_level: int | None  # once the round is validated: the level the validated score set reads
    evidence: tuple  # the answer's evidence (names only are shown)


def answer_rows(sheet: AnswerSheet) -> list[tuple[Dimension, list[AnswerRow]]]:
    """The sheet's indicators by dimension, with their answers, validated levels and evidence (no query of its own).

    The sheet must have its evidence loaded (``sheet.with_evidence()``).
    """
    validated = sheet.round.status == Round.Status.VALIDATED
    by_dimension: dict[Dimension, list[AnswerRow]] = {}
    for indicator in sheet.indicators:
        answer = sheet.counted_answer(indicator)
        item = sheet.item(indicator, VALIDATED) if validated else None
        by_dimension.setdefault(indicator.dimension, []).append(
            AnswerRow(
                indicator=indicator,
                answer=answer,
                validated_level=item.level if item and item.response == scoring.LEVEL else None,
                evidence=tuple(answer.evidence.all()) if answer else (),
            )
        )
    return list(by_dimension.items())
