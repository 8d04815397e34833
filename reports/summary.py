"""The report's executive summary, as plain data: what a mayor's office reads first.

``executive_summary(round, sheet, scores)`` says where the round stands (headline and band), how it
moved since the authority's last validated round before it, its strongest and weakest dimensions,
the three priorities (``context.priorities``) each with up to two of the catalogue's examples of
good practice, and its position against the median headline of published peers of the same kind
(never a rank). Sentences are built in the templates (``templates/reports/pdf/_summary.html`` and
``_priorities.html``), in the reader's language; here are only facts.

Three queries whatever the size of the catalogue or the number of peers: the previous validated
round with its snapshot, the peers' snapshots, and the examples. ``summary_inputs`` makes the first
two, and its ``facts()`` belong in the report's fingerprint: a peer that publishes a newer round,
or a previous round validated anew, makes a new report.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assessments import scoring
from assessments.models import Authority, Band, Round, ScoreSnapshot
from assessments.sheet import SELF, VALIDATED, AnswerSheet
from indicators.models import IndicatorExample
from plans.models import Action

EXAMPLES_PER_PRIORITY = 2
# Below this many published peers of the same kind, no median is given (the summary says so).
MIN_PEERS = 3

# Movement.state
FIRST, NOT_COMPARABLE, COMPARED = "first", "not_comparable", "compared"


def _direction(change: float | None) -> str:
    """ "up", "down" or "same" (a change under 0.05 points rounds to none); "" when there is no change to tell."""
    if change is None:
        return ""
    return "same" if abs(change) < 0.05 else ("up" if change > 0 else "down")


@dataclass(frozen=True)
class DimensionScore:
    """One dimension's official score, and its change since the previous validated round (when comparable)."""

    code: str
    name: str
    score: float | None
    band: str  # the band's label, in the active language
    previous: float | None = None
    change: float | None = None

    @property
    def direction(self) -> str:
        return _direction(self.change)

    @property
    def size(self) -> float | None:
        return abs(self.change) if self.change is not None else None


@dataclass(frozen=True)
class Movement:
    """How the headline moved since the authority's last validated round before this one.

    ``state``: FIRST (no validated round before), NOT_COMPARABLE (the previous one is on another
    catalogue version: its scores are not compared), COMPARED.
    """

    state: str
    previous_period: str = ""
    previous_version: int | None = None
    previous_headline: float | None = None
    change: float | None = None  # None when compared but either headline is missing

    @property
    def direction(self) -> str:
        return _direction(self.change)

    @property
    def size(self) -> float | None:
        return abs(self.change) if self.change is not None else None


@dataclass(frozen=True)
class Example:
    place: str
    text: str


@dataclass(frozen=True)
class Priority:
    """One of the three priorities: an open action of the plan, or one of the weakest indicators."""

    source: str  # "plan" or "indicators"
    title: str  # the action's title, or the indicator's question
    codes: tuple[str, ...]  # the linked indicators' codes (the indicator's own for an indicator)
    examples: tuple[Example, ...]
    # An action's
    owner: str = ""
    due_date: date | None = None
    status: str = ""  # label
    overdue: bool = False
    # An indicator's
    level: int | None = None
    level_label: str = ""
    suggestion: str = ""


@dataclass(frozen=True)
class Peers:
    """The round's headline against the median headline of published peers of the same kind.

    ``count``: the peers with a validated headline (latest published round of each other authority
    of the same kind on the same catalogue version). ``median`` and ``difference`` are None below
    MIN_PEERS, or when the round has no headline.
    """

    kind: str  # the kind's label, in the active language (municipality, province, region)
    count: int
    median: float | None
    difference: float | None

    @property
    def enough(self) -> bool:
        return self.count >= MIN_PEERS

    @property
    def direction(self) -> str:
        """ "up" (above the median), "down" (below) or "same"; "" without a median or a headline."""
        return _direction(self.difference)

    @property
    def size(self) -> float | None:
        return abs(self.difference) if self.difference is not None else None


@dataclass(frozen=True)
class Summary:
    authority: str
    period: str
    validated: bool  # the scores are the validated ones (else self-assessed)
    headline: float | None
    band: str  # label
    band_code: str
    movement: Movement
    dimensions: tuple[DimensionScore, ...]  # official scores, in catalogue order
    strongest: DimensionScore | None
    weakest: DimensionScore | None  # None when fewer than two dimensions are scored
    priorities_source: str  # "plan", "indicators" or "" (nothing to prioritise)
    priorities: tuple[Priority, ...]
    peers: Peers
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SummaryInputs:
    """What the summary reads beyond the round: the previous validated round's snapshot and the peers' (two queries)."""

    previous: Round | None  # with ``snapshot`` loaded
    peers: tuple[tuple[int, str, float], ...]  # snapshot id, taken_at (ISO), validated headline

    def facts(self) -> dict[str, Any]:
        """The part of the report's fingerprint that these inputs make (JSON-ready)."""
        previous = self.previous.snapshot if self.previous else None
        return {
            "previous": [previous.pk, previous.taken_at.isoformat()] if previous else None,
            "peers": [[pk, taken_at] for pk, taken_at, _headline in self.peers],
        }


def comparable_rounds(round: Round):
    """The authority's rounds a report of ``round`` may compare it with.

    A published round's documents are handed around and served on its public profile: they compare
    it only with the authority's other published rounds, never with one validated without consent.
    """
    rounds = Round.objects.all()
    return rounds.published() if round.is_published else rounds


def summary_inputs(round: Round) -> SummaryInputs:
    """Load the previous validated round (with its snapshot) and the published peers' headlines: two queries."""
    previous = (
        comparable_rounds(round)
        .filter(
            authority_id=round.authority_id,
            status=Round.Status.VALIDATED,
            period__lt=round.period,
            snapshot__isnull=False,
        )
        .select_related("snapshot", "version")
        .order_by("-period")
        .first()
    )
    rows = (
        ScoreSnapshot.objects.filter(
            round__in=Round.objects.published(),
            round__authority__kind=round.authority.kind,
            version_id=round.version_id,
        )
        .exclude(round__authority_id=round.authority_id)
        .order_by("round__authority_id", "-round__period")
        .values_list("round__authority_id", "pk", "taken_at", "validated_headline")
    )
    latest: dict[int, tuple[int, str, float | None]] = {}
    for authority_id, pk, taken_at, headline in rows:  # the latest published round of each authority comes first
        latest.setdefault(authority_id, (pk, taken_at.isoformat(), headline))
    return SummaryInputs(previous=previous, peers=tuple(sorted(latest.values())))


def executive_summary(
    round: Round,
    sheet: AnswerSheet,
    scores: Mapping[str, scoring.RoundScore],
    *,
    actions: Sequence[Action] | None = None,
    inputs: SummaryInputs | None = None,
) -> Summary:
    """The round's executive summary (three queries; two fewer when ``inputs`` are given, and ``actions``
    as ``context.plan_actions(round)`` returns them, else they are loaded).

    ``scores``: ``assessments.sheet.round_scores(round, sheet)``. The official scores are the
    validated ones once the round is validated, the self-assessed ones before.
    """
    from .context import plan_actions, priorities  # context builds the report around this summary

    validated = round.status == Round.Status.VALIDATED
    official_set = VALIDATED if validated else SELF
    official = scores[official_set]
    inputs = inputs or summary_inputs(round)
    actions = plan_actions(round) if actions is None else actions
    bands = dict(Band.choices)
    names = {d.code: d.name for d in sheet.dimensions}

    movement, previous_scores = _movement(round, official, inputs.previous)
    dimensions = []
    for own in official.dimensions:
        before = previous_scores.dimension(own.code) if previous_scores else None
        previous = before.score if before else None
        dimensions.append(
            DimensionScore(
                code=own.code,
                name=names.get(own.code, own.code),
                score=own.score,
                band=bands.get(own.band, "") if own.score is not None else "",
                previous=previous,
                change=own.score - previous if own.score is not None and previous is not None else None,
            )
        )
    # Insufficient and not started dimensions have no score to rank; the first in catalogue order wins a tie.
    scored = [d for d in dimensions if d.score is not None]
    strongest = max(scored, key=lambda d: d.score, default=None)
    weakest = min(scored, key=lambda d: d.score) if len(scored) > 1 else None

    chosen = priorities(sheet, list(actions), official_set)
    return Summary(
        authority=round.authority.name,
        period=round.period,
        validated=validated,
        headline=official.headline,
        band=bands.get(official.band, "") if official.headline is not None else "",
        band_code=official.band or "",
        movement=movement,
        dimensions=tuple(dimensions),
        strongest=strongest,
        weakest=weakest,
        priorities_source=chosen["source"] if chosen["actions"] or chosen["indicators"] else "",
        priorities=_priorities(chosen),
        peers=_peers(round.authority, official.headline, inputs.peers),
        facts=inputs.facts(),
    )


def _movement(
    round: Round, official: scoring.RoundScore, previous: Round | None
) -> tuple[Movement, scoring.RoundScore | None]:
    if previous is None:
        return Movement(FIRST), None
    if previous.version_id != round.version_id:
        return Movement(NOT_COMPARABLE, previous.period, previous.version.number), None
    before = previous.snapshot.scores()[VALIDATED]
    change = (
        official.headline - before.headline if official.headline is not None and before.headline is not None else None
    )
    return Movement(COMPARED, previous.period, previous.version.number, before.headline, change), before


def _priorities(chosen: dict[str, Any]) -> tuple[Priority, ...]:
    """The priorities as plain data, each with up to EXAMPLES_PER_PRIORITY examples of its indicators (one query)."""
    codes_of = {}
    for action in chosen["actions"]:
        codes_of[action.pk] = [link.indicator for link in action.links.all()]
    indicator_ids = {i.pk for linked in codes_of.values() for i in linked} | {
        item["indicator"].pk for item in chosen["indicators"]
    }
    examples: dict[int, list[Example]] = defaultdict(list)
    if indicator_ids:
        for example in IndicatorExample.objects.filter(indicator_id__in=indicator_ids).order_by(
            "indicator_id", "order", "id"
        ):
            examples[example.indicator_id].append(Example(example.place, example.text))

    def first_examples(indicators) -> tuple[Example, ...]:
        return tuple([e for i in indicators for e in examples[i.pk]][:EXAMPLES_PER_PRIORITY])

    result = [
        Priority(
            source="plan",
            title=action.title,
            codes=tuple(i.code for i in codes_of[action.pk]),
            examples=first_examples(codes_of[action.pk]),
            owner=action.owner,
            due_date=action.due_date,
            status=action.get_status_display(),
            overdue=action.is_overdue,
        )
        for action in chosen["actions"]
    ]
    result += [
        Priority(
            source="indicators",
            title=item["indicator"].question,
            codes=(item["indicator"].code,),
            examples=first_examples([item["indicator"]]),
            level=item["level"],
            level_label=str(item["level_label"]),
            suggestion=item["suggestion"],
        )
        for item in chosen["indicators"]
    ]
    return tuple(result)


def _peers(authority: Authority, headline: float | None, peers: Sequence[tuple[int, str, float | None]]) -> Peers:
    headlines = [h for _pk, _taken_at, h in peers if h is not None]
    kind = Authority.Kind(authority.kind).label if authority.kind in Authority.Kind.values else authority.kind
    if len(headlines) < MIN_PEERS:
        return Peers(kind=str(kind), count=len(headlines), median=None, difference=None)
    median = statistics.median(headlines)
    return Peers(
        kind=str(kind),
        count=len(headlines),
        median=median,
        difference=headline - median if headline is not None else None,
    )
