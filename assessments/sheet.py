"""A round's answer sheet: what every reader of a round needs, loaded once.

Scoring (``Round.scores``), the form's live scores, the review page, the API, the report and its
fingerprint read a round through ``answer_sheet(round)``: the dimensions of its catalogue version
(those the city left out marked), its indicators in catalogue order without the left-out ones,
their answers with how much evidence each has and who saved each last, the reviewer's items (none asked
for a draft never submitted), and which indicators have evidence kept by other apps (``slots.OTHER_EVIDENCE``).
Three queries and one per such app, whatever the size of the catalogue. A reader that needs more (the evidence
itself, SDG targets) asks for it on the sheet's objects: ``sheet.with_evidence()``, or Django's
``prefetch_related_objects``, one query each.

``round_scores`` says which scores a reader shows: the snapshot's once the round is validated,
live ones only while it is filled in or reviewed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from django.db.models import Count, Exists, OuterRef, Q, prefetch_related_objects

from indicators.models import Dimension, Indicator

from . import scoring, slots
from .models import Answer, Band, ReviewItem, Round, RoundQuerySet, SnapshotDimension

SELF, VALIDATED = SnapshotDimension.ScoreSet.SELF.value, SnapshotDimension.ScoreSet.VALIDATED.value
SCORE_SETS = (SELF, VALIDATED)


@dataclass(frozen=True)
class AnswerSheet:
    """One round's indicators with their answers and review items, as loaded by ``answer_sheet``."""

    round: Round
    # The dimensions of the round's catalogue version, in catalogue order; ``left_out`` says which the city left out.
    dimensions: tuple[Dimension, ...]
    # The indicators of the dimensions the round keeps, in catalogue order, each with its dimension.
    indicators: tuple[Indicator, ...]
    # Indicator id → answer (annotated ``evidence_count``, with ``updated_by``) and → review item, for every answer and item of the round;
    # answers carried over and not yet confirmed among them (``Answer.counts``), which scores read as unanswered.
    answers: Mapping[int, Answer]
    reviews: Mapping[int, ReviewItem]
    # The indicators with evidence kept outside their answers (a consultation that discussed them …):
    # ``slots.OTHER_EVIDENCE``, which scores count as they count files and links.
    other_evidence: frozenset[int] = frozenset()

    def has_evidence(self, indicator: Indicator) -> bool:
        """Whether the indicator has evidence: a file or link on its counted answer, or evidence kept elsewhere."""
        answer = self.counted_answer(indicator)
        return bool(answer and answer.evidence_count) or indicator.pk in self.other_evidence

    @property
    def left_out(self) -> tuple[Dimension, ...]:
        """The optional dimensions the city left out of the round."""
        return tuple(d for d in self.dimensions if d.left_out)

    def with_evidence(self) -> AnswerSheet:
        """Load the evidence of every answer (one query), for readers that list it."""
        prefetch_related_objects(list(self.answers.values()), "evidence")
        return self

    @property
    def carried(self) -> tuple[Indicator, ...]:
        """The indicators whose answer was carried over from an earlier round and waits for confirmation."""
        return tuple(i for i in self.indicators if (a := self.answers.get(i.pk)) is not None and not a.counts)

    def counted_answer(self, indicator: Indicator) -> Answer | None:
        """The indicator's answer if it counts; None when there is none or it waits for confirmation (carried over)."""
        answer = self.answers.get(indicator.pk)
        return answer if answer is not None and answer.counts else None

    def item(self, indicator: Indicator, score_set: str) -> scoring.IndicatorInput:
        """The indicator's answer as a score set reads it: ``self`` (the city's) or ``validated`` (after review).

        An answer that does not count yet (carried over, not confirmed) is read as no answer.
        """
        answer, review = self.counted_answer(indicator), self.reviews.get(indicator.pk)
        response = answer.response if answer else scoring.UNANSWERED
        level = answer.level if answer else None
        na_accepted = True
        if score_set == VALIDATED:
            response, level, na_accepted = scoring.validated_answer(
                response, level, review.validated_level if review else None, review.na_accepted if review else None
            )
        return scoring.IndicatorInput(
            code=indicator.code,
            response=response,
            level=level,
            weight=float(indicator.weight),
            na_accepted=na_accepted,
            has_evidence=self.has_evidence(indicator),
        )

    def score_inputs(self, score_set: str) -> list[scoring.DimensionInput]:
        """The round's dimensions (those it keeps, with indicators) as one score set reads them."""
        by_dimension: dict[Dimension, list[scoring.IndicatorInput]] = defaultdict(list)
        for indicator in self.indicators:
            by_dimension[indicator.dimension].append(self.item(indicator, score_set))
        return [scoring.DimensionInput(d.code, d.is_core, tuple(items)) for d, items in by_dimension.items()]

    def scores(self) -> dict[str, scoring.RoundScore]:
        """Score the round from its answers as they are now: ``self`` and ``validated``."""
        return {name: scoring.score_round(self.score_inputs(name)) for name in SCORE_SETS}

    def dimension_scores(self, score_set: str) -> dict[str, scoring.DimensionScore]:
        """Each kept dimension's score in one score set, by code: what the progress shows, without the round's."""
        return {d.code: scoring.dimension_score(d) for d in self.score_inputs(score_set)}

    def with_answer(self, answer: Answer) -> AnswerSheet:
        """The sheet with ``answer`` as saved since it was loaded (its evidence count is the one loaded with it)."""
        loaded = self.answers.get(answer.indicator_id)
        answer.evidence_count = getattr(loaded, "evidence_count", 0)
        return replace(self, answers={**self.answers, answer.indicator_id: answer})

    def progress(self) -> dict[str, scoring.Progress]:
        """How far the city has answered each dimension it keeps, by dimension code."""
        return {d.code: scoring.progress(d.indicators) for d in self.score_inputs(SELF)}


# What is made of published catalogue versions (their indicators, rendered parts of the form's cards), kept per
# process: a published version never changes (a change makes a new version). Keys start with the version's primary
# key and publication time, so that a test database that reuses a primary key never reads another version's; tests
# that change a published version's indicators in place call ``forget_kept``.
_KEPT: dict[tuple, object] = {}
KEPT_MAX = 20_000


def kept(key: tuple, make: Callable[[], object]):
    """What ``make`` makes of a published catalogue version, made once per process under ``key``."""
    value = _KEPT.get(key)
    if value is None:
        if len(_KEPT) >= KEPT_MAX:  # a bound, never reached by one catalogue in three languages
            _KEPT.clear()
        value = _KEPT[key] = make()
    return value


def is_kept(key: tuple) -> bool:
    return key in _KEPT


def forget_kept() -> None:
    """Forget everything kept of catalogue versions (for tests that change a published one in place)."""
    _KEPT.clear()


def _catalogue_key(round: Round) -> tuple | None:
    """The key of the round's catalogue as kept (None: its version is not loaded with it, or is a draft)."""
    if not Round.version.is_cached(round) or round.version.published_at is None:
        return None
    return (round.version_id, round.version.published_at, "indicators")


def _copy(instance):
    """A copy of a kept catalogue object that a reader may annotate or prefetch on without touching the kept one."""
    # What copy.copy does to a model instance (its own state and cache of related objects), without pickling's detour.
    state = instance.__getstate__()
    instance = instance.__class__.__new__(instance.__class__)
    instance.__dict__.update(state)
    instance.__dict__.pop("_prefetched_objects_cache", None)
    instance.__dict__.pop("left_out", None)
    return instance


def _kept_copy(indicator: Indicator) -> Indicator:
    kept_indicator = _copy(indicator)
    kept_indicator.dimension = _copy(indicator.dimension)
    return kept_indicator


def answer_sheet(round: Round, *, reviews: bool = True) -> AnswerSheet:
    """Load the round's answer sheet: indicators with their dimensions, answers, review items (three queries).

    ``reviews=False`` leaves the review items out (one query fewer), for a reader of the city's answers only.
    The indicators of a published version are loaded once per process (``kept``), when the round comes with its
    version; the first query then asks only which dimensions the round left out.
    """
    key = _catalogue_key(round)
    catalogue = _KEPT.get(key) if key is not None else None
    if catalogue is None:
        left_out = Round.omitted_dimensions.through.objects.filter(
            round_id=round.pk, dimension_id=OuterRef("dimension_id")
        )
        indicators = list(
            Indicator.objects.filter(version_id=round.version_id)
            .select_related("dimension")
            .annotate(left_out=Exists(left_out))
            .in_catalogue_order()
        )
        if key is not None:
            kept(key, lambda: tuple(_kept_copy(indicator) for indicator in indicators))
    else:
        # A round loaded ``with_kept_dimensions`` says whether it left any out; others are asked.
        omitted = (
            set()
            if getattr(round, "keeps_every_dimension", False)
            else set(
                Round.omitted_dimensions.through.objects.filter(round_id=round.pk).values_list(
                    "dimension_id", flat=True
                )
            )
        )
        indicators = [_copy(indicator) for indicator in catalogue]
        for indicator in indicators:
            indicator.left_out = indicator.dimension_id in omitted
    dimensions: dict[int, Dimension] = {}
    for indicator in indicators:
        # One Dimension object per dimension, shared by its indicators, that knows whether it is left out.
        if indicator.dimension_id not in dimensions:
            dimensions[indicator.dimension_id] = (
                indicator.dimension if catalogue is None else _copy(indicator.dimension)
            )
        dimension = dimensions[indicator.dimension_id]
        dimension.left_out = indicator.left_out
        indicator.dimension = dimension
    answers = (
        Answer.objects.filter(round_id=round.pk).select_related("updated_by").annotate(evidence_count=Count("evidence"))
    )
    # A draft never submitted has had no review (ReviewItem rows are written by a review or a return): no query.
    reviews = reviews and not (round.status == Round.Status.DRAFT and round.submission_count == 0)
    return AnswerSheet(
        round=round,
        dimensions=tuple(dimensions.values()),
        indicators=tuple(i for i in indicators if not i.left_out),
        answers={a.indicator_id: a for a in answers},
        reviews={r.indicator_id: r for r in ReviewItem.objects.filter(round_id=round.pk)} if reviews else {},
        other_evidence=slots.OTHER_EVIDENCE.indicators_with_evidence(round),
    )


def with_kept_dimensions(rounds: RoundQuerySet) -> RoundQuerySet:
    """Rounds that say whether they keep every dimension of their catalogue (most do): their answer sheet then loads
    without asking which dimensions they left out."""
    left_out = Round.omitted_dimensions.through.objects.filter(round_id=OuterRef("pk"))
    return rounds.annotate(keeps_every_dimension=~Exists(left_out))


def request_sheet(request, round: Round) -> AnswerSheet:
    """The round's answer sheet, loaded once per request: the page and its slots' fillers read the same one."""
    return slots.per_request(request, ("assessments", "answer_sheet", round.pk), lambda: answer_sheet(round))


def round_scores(round: Round, sheet: AnswerSheet | None = None) -> dict[str, scoring.RoundScore]:
    """Both score sets of the round: as its snapshot froze them once validated, live before.

    Every reader of a validated round (the round page, the report and its trend, the API) takes
    its scores from here, so that none recomputes what validation froze.
    """
    if round.status == Round.Status.VALIDATED:
        return round.snapshot.scores()
    return (sheet or answer_sheet(round)).scores()


def score_rows(sheet: AnswerSheet, scores: Mapping[str, scoring.RoundScore], *, validated: bool) -> list[dict]:
    """One row per dimension: self-assessed and (once validated) validated score, bands, the official one and the gap.

    The round page and the report show the same table from these rows.
    """
    bands = dict(Band.choices)
    dimensions = {d.code: d for d in sheet.dimensions}
    rows = []
    for own in scores[SELF].dimensions:
        checked = scores[VALIDATED].dimension(own.code) if validated else None
        gap = None
        if checked and checked.score is not None and own.score is not None:
            gap = checked.score - own.score
        rows.append(
            {
                "dimension": dimensions.get(own.code),
                "code": own.code,
                "self": own,
                "self_band": bands.get(own.band, ""),
                "validated": checked,
                "validated_band": bands.get(checked.band, "") if checked else "",
                "official": checked or own,
                "gap": gap,
            }
        )
    return rows


# --- what an answer still needs ---------------------------------------------------------------------

EVIDENCE, JUSTIFICATION = "evidence", "justification"


def answer_needs(indicator: Indicator, answer: Answer | None, has_evidence: bool) -> list[str]:
    """What a level answer still needs before the round can be submitted: ``EVIDENCE``, ``JUSTIFICATION`` or both.

    The one rule: evidence from the indicator's ``evidence_from_level``, a justification from its
    ``justification_from_level``. Submission (``services.round_problems``) and the form's hints read it
    here. Nothing for an answer that is not a level, or is carried over and not confirmed yet (it
    needs confirming first). ``has_evidence``: ``AnswerSheet.has_evidence`` (files, links and evidence kept elsewhere).
    """
    if answer is None or answer.response != Answer.Response.LEVEL or not answer.counts or answer.level is None:
        return []
    needs = []
    if answer.level >= indicator.evidence_from_level and not has_evidence:
        needs.append(EVIDENCE)
    if answer.level >= indicator.justification_from_level and not answer.justification.strip():
        needs.append(JUSTIFICATION)
    return needs


# --- levels of indicators across rounds ---------------------------------------------------------------


@dataclass(frozen=True)
class RoundLevel:
    """An indicator's level in one round: ``level`` None when it has none (unanswered, don't know, N/A).

    ``response`` and ``na_accepted`` say how it reads (``scoring.validated_answer`` once the round is validated).
    """

    level: int | None
    validated: bool  # the round is validated: the programme's level, not only the city's
    response: str | None = None
    na_accepted: bool | None = None


NO_LEVEL = RoundLevel(None, False)  # no answer to the indicator in that round (or no such indicator)


def round_levels(rounds: Iterable[Round], codes: Iterable[str] | None = None) -> dict[tuple[int, str], RoundLevel]:
    """The level of each indicator code in each round, validated where the round is (two queries).

    Indicators are matched by code, across catalogue versions (``codes`` None: every code). Only what
    counts in the round: answers carried over and not yet confirmed, and indicators of the optional
    dimensions the round left out, have no level there. What the review of a validated round left alone
    was validated as the city gave it; a level the reviewer set on an indicator the city never answered
    stands once validated.
    """
    rounds = {r.pk: r for r in rounds}
    if not rounds or (codes is not None and not (codes := set(codes))):
        return {}
    # An optional dimension the round left out is no part of it: nothing said of its indicators there counts.
    left_out = Round.omitted_dimensions.through.objects.filter(
        round_id=OuterRef("round_id"), dimension_id=OuterRef("indicator__dimension_id")
    )
    scope = Q(round_id__in=list(rounds)) & ~Exists(left_out)
    if codes is not None:
        scope &= Q(indicator__code__in=codes)
    # An answer carried over from an earlier round and not yet confirmed is no level of this round.
    answers = Answer.objects.counted().filter(scope).values_list("round_id", "indicator__code", "response", "level")
    reviews = {
        (round_id, code): (validated_level, na_accepted)
        for round_id, code, validated_level, na_accepted in ReviewItem.objects.filter(scope).values_list(
            "round_id", "indicator__code", "validated_level", "na_accepted"
        )
    }
    levels: dict[tuple[int, str], RoundLevel] = {}
    for round_id, code, response, level in answers:
        validated = rounds[round_id].status == Round.Status.VALIDATED
        na_accepted = None
        if validated:
            response, level, na_accepted = scoring.validated_answer(
                response, level, *reviews.get((round_id, code), (None, None))
            )
        levels[round_id, code] = RoundLevel(
            level if response == scoring.LEVEL else None, validated, response, na_accepted
        )
    for (round_id, code), (validated_level, _na) in reviews.items():
        if (
            (round_id, code) not in levels
            and validated_level is not None
            and rounds[round_id].status == Round.Status.VALIDATED
        ):
            levels[round_id, code] = RoundLevel(validated_level, True, scoring.LEVEL, True)
    return levels


def last_validated_levels(round: Round) -> tuple[Round | None, dict[str, RoundLevel]]:
    """The authority's last validated round before ``round``, and its levels per indicator code (three queries)."""
    previous = (
        Round.objects.filter(authority_id=round.authority_id, status=Round.Status.VALIDATED, period__lt=round.period)
        .order_by("-period")
        .first()
    )
    if previous is None:
        return None, {}
    return previous, {code: level for (_pk, code), level in round_levels([previous]).items()}
