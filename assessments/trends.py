"""One authority's validated rounds over time, on one basis across catalogue editions (read only, no writes).

``round_trend(rounds)`` takes the authority's validated rounds and returns a ``Trend``: one point per
round (its index and dimension scores), the basis they stand on, and what that basis compares and
leaves out. The dashboards, the public profile and the report draw their trend from it.

The rule (templates/indicators/_editions.html states it for users):

- When every round is on the catalogue edition of the latest round, the basis is the *same
  edition*: every indicator is compared and each point is the round's ordinary validated score,
  as its snapshot froze it.
- Otherwise the basis is *comparable*: every round is scored against the latest round on the
  comparable basis between its edition and the latest's (``assessments.crosswalk``), so that all
  points of the series stand on the same indicators. A round on an older edition is the ``first``
  of ``comparable_scores(round, latest, crosswalk(its edition, latest edition))``; a round on the
  latest edition (the latest included) is the ``second`` of ``comparable_scores(reference, round,
  crosswalk(reference's edition, latest edition))``, where the reference is the most recent round
  on another edition. The indicators compared and left out are those of each older edition's most
  recent round against the latest round.

Comparable scores are made from the rounds' validated answers (snapshots keep dimension scores, not
answers): answers and review items as ``assessments.sheet`` reads them. Evidence moves no score, only
evidence coverage, which a trend does not show; the evidence kept by other apps is not read.

Queries: one on the same edition (the snapshots' dimension rows, with what the points need); across
editions, one more for the rounds, four for their answers, whatever their number, and three per
older edition for its crosswalk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from indicators.models import CatalogueVersion, Dimension, Indicator

from . import scoring
from .crosswalk import FIRST, ComparableScores, LeftOutReason, comparable_scores
from .models import Answer, ReviewItem, Round, SnapshotDimension
from .sheet import VALIDATED, AnswerSheet

SAME_EDITION, COMPARABLE = "same_edition", "comparable"


@dataclass(frozen=True)
class TrendPoint:
    """One round of the trend: its validated index and dimension scores on the trend's basis."""

    round_id: int
    period: str
    edition: int  # the number of the round's catalogue edition
    index: float | None
    scores: Mapping[str, float | None] = field(default_factory=dict)  # dimension code → score, catalogue order


@dataclass(frozen=True)
class ComparedIndicators:
    """Indicators of an older edition compared as one with indicators of the latest edition."""

    dimension: str
    kind: str  # same, split, merged or regrouped
    first: tuple[str, ...]  # codes in the older edition
    second: tuple[str, ...]  # codes in the latest edition
    editions: tuple[int, int]  # the older edition's number, the latest's


@dataclass(frozen=True)
class LeftOutIndicator:
    code: str
    edition: int  # the edition that has it
    reason: str  # a ``crosswalk.LeftOutReason`` value


@dataclass(frozen=True)
class Trend:
    """One authority's validated rounds, oldest first, on one basis (``SAME_EDITION`` or ``COMPARABLE``)."""

    points: tuple[TrendPoint, ...] = ()
    basis: str = SAME_EDITION
    editions: tuple[int, ...] = ()  # the numbers of the editions the rounds are on, in order
    compared: tuple[ComparedIndicators, ...] = ()  # empty on the same edition: every indicator is compared
    left_out: tuple[LeftOutIndicator, ...] = ()
    authority: str = ""

    @property
    def dimensions(self) -> list[str]:
        """The dimension codes of the points, in catalogue order (the latest round's, then any others)."""
        codes: dict[str, None] = {}
        for point in reversed(self.points):
            codes.update(dict.fromkeys(point.scores))
        latest = list(self.points[-1].scores) if self.points else []
        return latest + [code for code in codes if code not in latest]

    @property
    def periods(self) -> list[str]:
        return [point.period for point in self.points]

    def basis_data(self) -> dict[str, Any]:
        """The basis as JSON-ready data: its kind, the editions, the indicators compared and those left out."""
        return {
            "kind": self.basis,
            "editions": list(self.editions),
            "compared": [
                {
                    "dimension": item.dimension,
                    "kind": item.kind,
                    "first": list(item.first),
                    "second": list(item.second),
                    "editions": list(item.editions),
                }
                for item in self.compared
            ],
            "left_out": [{"code": item.code, "edition": item.edition, "reason": item.reason} for item in self.left_out],
        }


def round_trend(rounds: QuerySet[Round] | Iterable[Round]) -> Trend:
    """The trend of one authority's validated rounds (others given are ignored): see the module's rule."""
    ids = rounds.values("pk") if isinstance(rounds, QuerySet) else [r.pk for r in rounds]
    order = Dimension.objects.filter(version_id=OuterRef("snapshot__round__version_id"), code=OuterRef("dimension"))
    rows = list(
        SnapshotDimension.objects.filter(
            snapshot__round__in=ids, snapshot__round__status=Round.Status.VALIDATED, score_set=VALIDATED
        )
        .annotate(position=Subquery(order.values("order")[:1]))
        .order_by("snapshot__round__period", "position", "dimension")
        .values_list(
            "snapshot__round_id",
            "snapshot__round__period",
            "snapshot__round__authority_id",
            "snapshot__round__authority__name",
            "snapshot__round__version_id",
            "snapshot__round__version__number",
            "snapshot__validated_headline",
            "dimension",
            "score",
        )
    )
    if not rows:
        return Trend()
    if len({row[2] for row in rows}) > 1:
        raise ValueError("A trend is one authority's: these rounds are several authorities'.")
    points: dict[int, TrendPoint] = {}
    versions: dict[int, int] = {}
    for round_id, period, _authority, _name, version_id, number, index, code, score in rows:
        if round_id not in points:
            points[round_id] = TrendPoint(round_id, period, number, index, {})
            versions[round_id] = version_id
        points[round_id].scores[code] = score
    series = list(points.values())
    latest = series[-1]
    editions = tuple(sorted({point.edition for point in series}))
    name = rows[0][3]
    if all(versions[point.round_id] == versions[latest.round_id] for point in series):
        return Trend(points=tuple(series), basis=SAME_EDITION, editions=editions, authority=name)
    return _comparable(series, name, editions)


def _comparable(series: list[TrendPoint], name: str, editions: tuple[int, ...]) -> Trend:
    """Score every round against the latest on their comparable basis (the module's rule)."""
    rounds = {r.pk: r for r in Round.objects.filter(pk__in=[p.round_id for p in series]).select_related("version")}
    ordered = [rounds[point.round_id] for point in series]
    latest = ordered[-1]
    older = [r for r in ordered if r.version_id != latest.version_id]
    reference = older[-1]
    # Each older edition's crosswalk to the latest, and its most recent round (whose comparison names the basis).
    crosswalks, last_of = {}, {}
    for round in older:
        if round.version_id not in crosswalks:
            crosswalks[round.version_id] = CatalogueVersion.objects.crosswalk(round.version, latest.version)
        last_of[round.version_id] = round
    inputs = validated_inputs(ordered)
    named: dict[int, ComparableScores] = {}

    def compare(first: Round, second: Round) -> ComparableScores:
        result = comparable_scores(inputs[first.pk], inputs[second.pk], crosswalks[first.version_id])
        if second is latest and last_of[first.version_id] is first:
            named[first.version_id] = result
        return result

    reference_scores = compare(reference, latest)
    points = []
    for point, round in zip(series, ordered, strict=True):
        if round.version_id != latest.version_id:
            score = (reference_scores if round is reference else compare(round, latest)).first
        else:
            score = (reference_scores if round is latest else compare(reference, round)).second
        points.append(
            TrendPoint(
                point.round_id,
                point.period,
                point.edition,
                score.headline,
                {d.code: d.score for d in _in_order(score.dimensions, point.scores)},
            )
        )
    compared, left_out = [], {}
    for version_id, result in sorted(named.items(), key=lambda item: last_of[item[0]].version.number):
        pair = (last_of[version_id].version.number, latest.version.number)
        compared += [ComparedIndicators(c.dimension, c.kind, c.first, c.second, pair) for c in result.compared]
        for item in result.left_out:
            edition = pair[0] if item.round == FIRST else pair[1]
            left_out.setdefault((item.code, edition), LeftOutIndicator(item.code, edition, item.reason))
    return Trend(
        points=tuple(points),
        basis=COMPARABLE,
        editions=editions,
        compared=tuple(compared),
        left_out=tuple(sorted(left_out.values(), key=lambda item: (item.edition, item.code))),
        authority=name,
    )


def _in_order(dimensions: Sequence[scoring.DimensionScore], snapshot: Mapping[str, Any]) -> list:
    """The dimensions in the order the round's snapshot lists them (catalogue order), any others after."""
    position = {code: n for n, code in enumerate(snapshot)}
    return sorted(dimensions, key=lambda d: position.get(d.code, len(position)))


def validated_inputs(rounds: Sequence[Round]) -> dict[int, list[scoring.DimensionInput]]:
    """Each round's validated score inputs, as its answer sheet reads them, in four queries for any number of rounds.

    The indicators of the rounds' editions, the optional dimensions they left out, their answers and
    their review items. The evidence other apps keep is not read: evidence moves no score.
    """
    ids = [r.pk for r in rounds]
    by_version: dict[int, list[Indicator]] = defaultdict(list)
    indicators = Indicator.objects.filter(version_id__in={r.version_id for r in rounds}).select_related("dimension")
    for indicator in indicators.in_catalogue_order():
        by_version[indicator.version_id].append(indicator)
    omitted = set(
        Round.omitted_dimensions.through.objects.filter(round_id__in=ids).values_list("round_id", "dimension_id")
    )
    answers: dict[int, dict[int, Answer]] = defaultdict(dict)
    for answer in Answer.objects.filter(round_id__in=ids).annotate(evidence_count=Count("evidence")):
        answers[answer.round_id][answer.indicator_id] = answer
    reviews: dict[int, dict[int, ReviewItem]] = defaultdict(dict)
    for review in ReviewItem.objects.filter(round_id__in=ids):
        reviews[review.round_id][review.indicator_id] = review
    result = {}
    for round in rounds:
        kept = tuple(i for i in by_version[round.version_id] if (round.pk, i.dimension_id) not in omitted)
        sheet = AnswerSheet(
            round=round,
            dimensions=tuple(dict.fromkeys(i.dimension for i in kept)),
            indicators=kept,
            answers=answers[round.pk],
            reviews=reviews[round.pk],
        )
        result[round.pk] = sheet.score_inputs(VALIDATED)
    return result


# --- the basis in words ---------------------------------------------------------------------------------


def reason_label(reason: str) -> str:
    """A short word for why an indicator is left out, for a list of codes."""
    return {
        LeftOutReason.RETIRED: _("retired"),
        LeftOutReason.NEW: _("new"),
        LeftOutReason.MOVED: _("moved to another dimension"),
        LeftOutReason.ABSENT: _("not in both rounds"),
    }.get(reason, reason)


def kind_label(kind: str) -> str:
    """A short word for how indicators are compared across editions."""
    return {
        "same": _("same"),
        "split": _("split"),
        "merged": _("merged"),
        "regrouped": _("regrouped"),
    }.get(kind, kind)


def describe_basis(basis: Mapping[str, Any]) -> str:
    """Say in one paragraph what a comparable basis (``Trend.basis_data()``) compares and leaves out ("" otherwise)."""
    if basis.get("kind") != COMPARABLE:
        return ""
    editions = ", ".join(str(number) for number in basis["editions"])
    compared = basis["compared"]
    unchanged = sum(1 for item in compared if item["kind"] == "same")
    text = ngettext(
        "Rounds on catalogue editions %(editions)s, compared on the indicators both editions share: "
        "%(n)d comparison (%(same)d indicator unchanged).",
        "Rounds on catalogue editions %(editions)s, compared on the indicators both editions share: "
        "%(n)d comparisons (%(same)d indicators unchanged).",
        len(compared),
    ) % {"editions": editions, "n": len(compared), "same": unchanged}
    groups = [
        _("%(first)s as %(second)s (%(kind)s)")
        % {"first": " + ".join(item["first"]), "second": " + ".join(item["second"]), "kind": kind_label(item["kind"])}
        for item in compared
        if item["kind"] != "same"
    ]
    if groups:
        text += " " + _("Taken together: %(groups)s.") % {"groups": "; ".join(groups)}
    left_out = [
        _("%(code)s (edition %(edition)s, %(reason)s)")
        % {"code": item["code"], "edition": item["edition"], "reason": reason_label(item["reason"])}
        for item in basis["left_out"]
    ]
    if left_out:
        text += " " + _("Left out: %(codes)s.") % {"codes": ", ".join(left_out)}
    return text
