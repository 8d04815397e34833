"""The dashboards' panels: each reads scores from snapshots with database aggregates (never by
looping over answers), builds its figure with dashboard/charts.py, and says in words and in a
table what the figure shows, for screen readers and for copying.

The improvement plans' tables (``ActionTable``) count actions with database aggregates too, in a
constant number of queries; they need no chart: the counts are the point.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from statistics import median
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.models import Authority, Band, ReviewItem, Round, ScoreSnapshot, SnapshotDimension
from assessments.trends import COMPARABLE, describe_basis, round_trend
from indicators.models import Dimension, Level
from indicators.rules import LEVELS
from plans.followup import NONE, Movement, round_levels
from plans.models import Action, ActionIndicator, ActionQuerySet, with_action_counts

from . import charts

VALIDATED = SnapshotDimension.ScoreSet.VALIDATED
MIN_PEERS = 3  # fewer authorities than this, and a median could reveal one of them
WEAKEST_SHOWN = 10
# Authorities listed by name in a heatmap or a table: a page stays quick to serve and to read at thousands of
# authorities. Summaries, medians and totals count every authority; the exports hold every row.
LISTED = 50


@dataclass
class Panel:
    """One chart with its words and its table.

    ``table`` makes the table's rows when a page shows them (``rows``): the JSON view has no table, and
    formatting every cell of every authority only to drop it was most of its time.
    """

    key: str
    title: str
    summary: str
    headers: list[str] = field(default_factory=list)
    table: Callable[[], list[list[Any]]] | None = None
    figure: dict | None = None  # Plotly figure as JSON-ready data; None: nothing to draw
    extra: dict[str, Any] = field(default_factory=dict)  # more JSON-ready data for the JSON view (the trend's basis)

    @cached_property
    def rows(self) -> list[list[Any]]:
        return self.table() if self.table else []

    def as_json(self) -> dict:
        return {"key": self.key, "title": self.title, "summary": self.summary, "figure": self.figure, **self.extra}


def _fmt(score: float | None) -> str:
    return "—" if score is None else f"{score:.0f}"


def listed_note(total: int) -> str:
    """What a capped list says about the authorities it leaves out (empty when it lists them all)."""
    if total <= LISTED:
        return ""
    return _(
        "The first %(listed)d of %(n)s authorities by name are listed: choose a country, a world region or a kind "
        "of authority to see others, or download the export for all of them."
    ) % {"listed": LISTED, "n": number_format(total, force_grouping=True)}


def dimension_codes(rounds: QuerySet) -> list[str]:
    """Dimension codes of the rounds' catalogue versions, in catalogue order."""
    pairs = Dimension.objects.filter(version__in=rounds.values("version")).values_list("code", "order").distinct()
    return [code for code, _order in sorted(set(pairs), key=lambda pair: (pair[1], pair[0]))]


def latest_period(rounds: QuerySet) -> str | None:
    return rounds.order_by("-period").values_list("period", flat=True).first()


def heatmap_panel(rounds: QuerySet, period: str | None) -> Panel:
    """Authorities × dimensions, validated scores of one period, ordered by name (no ranking)."""
    codes = dimension_codes(rounds)
    cells = (
        SnapshotDimension.objects.filter(snapshot__round__in=rounds.filter(period=period), score_set=VALIDATED)
        .order_by("snapshot__round__authority__name")
        .values_list("snapshot__round__authority__name", "dimension", "score")
    )
    by_authority: dict[str, dict[str, float | None]] = defaultdict(dict)
    for name, code, score in cells:
        by_authority[name][code] = score
    rows = [charts.HeatmapRow(name, tuple(scores.get(code) for code in codes)) for name, scores in by_authority.items()]
    listed = rows[:LISTED]
    title = _("Validated scores by dimension, %(period)s") % {"period": period or "—"}
    panel = Panel(
        "heatmap",
        title,
        summary="",
        headers=[_("Authority"), *codes],
        table=lambda: [[row.authority, *(_fmt(s) for s in row.scores)] for row in listed],
    )
    if not rows:
        panel.summary = _("No validated round matches these filters.")
        return panel
    medians = {
        code: median(scores) if (scores := [r.scores[i] for r in rows if r.scores[i] is not None]) else None
        for i, code in enumerate(codes)
    }
    scored = {code: value for code, value in medians.items() if value is not None}
    panel.summary = ngettext(
        "%(n)d authority in %(period)s, listed by name. Highest median score: %(high)s (%(high_score)s); "
        "lowest: %(low)s (%(low_score)s). Empty cells are dimensions with too few applicable indicators.",
        "%(n)d authorities in %(period)s, listed by name. Highest median score: %(high)s (%(high_score)s); "
        "lowest: %(low)s (%(low_score)s). Empty cells are dimensions with too few applicable indicators.",
        len(rows),
    ) % {
        "n": len(rows),
        "period": period,
        "high": max(scored, key=scored.get) if scored else "—",
        "high_score": _fmt(max(scored.values())) if scored else "—",
        "low": min(scored, key=scored.get) if scored else "—",
        "low_score": _fmt(min(scored.values())) if scored else "—",
    }
    if note := listed_note(len(rows)):
        panel.summary += " " + note
    panel.figure = charts.heatmap_figure(listed, codes, title=title, subtitle=_("0 to 100; ordered by name"))
    return panel


def trend_panel(rounds: QuerySet, authority_slug: str | None) -> Panel:
    """One authority's validated dimension scores across periods, on one basis across catalogue editions.

    ``assessments.trends`` says the rule: the ordinary scores when every round is on the latest round's
    edition, else every round on the comparable basis with the latest; the summary names the basis.
    """
    trend = round_trend(rounds.filter(authority__slug=authority_slug))
    title = _("Trend across rounds")
    if not trend.points:
        return Panel(
            "trend",
            title,
            _("Choose an authority with validated rounds to see its trend."),
            extra={"basis": trend.basis_data()},
        )
    points = [
        charts.TrendPoint(point.period, code, point.scores[code])
        for code in trend.dimensions
        for point in trend.points
        if code in point.scores
    ]
    periods = trend.periods
    codes = trend.dimensions
    table = {(p.dimension, p.period): p.score for p in points}
    if trend.basis == COMPARABLE:
        note = _("Comparable basis across catalogue editions %(editions)s.") % {
            "editions": ", ".join(str(number) for number in trend.editions)
        }
        details = describe_basis(trend.basis_data())
    else:
        note = _("Comparable rounds only: catalogue version of the latest round.")
        details = note
    title = _("%(name)s: trend across rounds") % {"name": trend.authority}
    return Panel(
        "trend",
        title,
        summary=_("Validated scores of %(name)s in %(periods)s.")
        % {"name": trend.authority, "periods": ", ".join(periods)}
        + " "
        + details,
        headers=[_("Dimension"), *periods],
        table=lambda: [[code, *(_fmt(table.get((code, period))) for period in periods)] for code in codes],
        figure=charts.trend_figure(points, title=title, subtitle=note),
        extra={"basis": trend.basis_data()},
    )


def profile_panel(rounds: QuerySet, peers: QuerySet, authority_slug: str | None, peer_by: str | None) -> Panel:
    """An authority's latest validated profile beside the median of its peer group (at least 3 peers)."""
    peer_by = peer_by if peer_by in ("kind", "region") else "kind"
    own_round = rounds.filter(authority__slug=authority_slug).select_related("authority").order_by("-period").first()
    title = _("Profile against peers")
    if own_round is None:
        return Panel("profile", title, _("Choose an authority with validated rounds to see its profile."))
    codes = dimension_codes(rounds.filter(pk=own_round.pk))
    own = dict(
        SnapshotDimension.objects.filter(snapshot__round=own_round, score_set=VALIDATED).values_list(
            "dimension", "score"
        )
    )
    group = {"kind": own_round.authority.kind, "region": own_round.authority.region}[peer_by]
    peer_rows = SnapshotDimension.objects.filter(
        snapshot__round__in=peers.filter(period=own_round.period, **{f"authority__{peer_by}": group}).exclude(
            authority_id=own_round.authority_id
        ),
        score_set=VALIDATED,
    ).values_list("snapshot__round__authority_id", "dimension", "score")
    scores: dict[str, list[float]] = defaultdict(list)
    authorities = set()
    for authority_id, code, score in peer_rows:
        authorities.add(authority_id)
        if score is not None:
            scores[code].append(score)
    enough = len(authorities) >= MIN_PEERS
    medians = {code: median(values) if enough and len(values) >= MIN_PEERS else None for code, values in scores.items()}
    name = own_round.authority.name
    group_label = own_round.authority.get_kind_display() if peer_by == "kind" else own_round.authority.region_name
    title = _("%(name)s %(period)s against the median of its peers") % {"name": name, "period": own_round.period}
    if enough:
        summary = ngettext(
            "%(name)s beside the median of %(n)d other authority (%(group)s) in %(period)s.",
            "%(name)s beside the median of %(n)d other authorities (%(group)s) in %(period)s.",
            len(authorities),
        ) % {
            "name": name,
            "n": len(authorities),
            "group": group_label,
            "period": own_round.period,
        }
    else:
        summary = _(
            "Fewer than %(min)d peer authorities (%(group)s) have comparable rounds, so no median is shown."
        ) % {
            "min": MIN_PEERS,
            "group": group_label,
        }
    return Panel(
        "profile",
        title,
        summary,
        headers=[_("Dimension"), name, _("Peer median")],
        table=lambda: [[code, _fmt(own.get(code)), _fmt(medians.get(code))] for code in codes],
        figure=charts.peer_profile_figure(
            codes,
            [own.get(code) for code in codes],
            [medians.get(code) for code in codes],
            title=title,
            subtitle=_("Peer group: %(group)s") % {"group": group_label},
            labels=(name, _("Peer median")),
        ),
    )


def weakest_panel(rounds: QuerySet, period: str | None) -> Panel:
    """The indicators where the fewest authorities reach the higher validated levels."""
    counts = (
        ReviewItem.objects.filter(round__in=rounds.filter(period=period), validated_level__isnull=False)
        .values_list("indicator__code", "validated_level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_code: dict[str, list[int]] = defaultdict(lambda: [0] * len(LEVELS))
    for code, level, n in counts:
        by_code[code][level] += n
    mean = {code: sum(level * n for level, n in enumerate(c)) / sum(c) for code, c in by_code.items() if sum(c)}
    weakest = sorted(mean, key=lambda code: (mean[code], code))[:WEAKEST_SHOWN]
    rows = [charts.LevelDistribution(code, tuple(by_code[code])) for code in weakest]
    labels = [f"{level.value} · {level.label}" for level in Level]
    title = _("Weakest indicators, %(period)s") % {"period": period or "—"}
    # At most WEAKEST_SHOWN rows, formatted now in the request's language (a decimal comma in French and Spanish).
    formatted = [[row.indicator, *row.counts, number_format(mean[row.indicator], 1)] for row in rows]
    panel = Panel(
        "weakest",
        title,
        summary="",
        headers=[_("Indicator"), *labels, _("Mean level")],
        table=lambda: formatted,
    )
    if not rows:
        panel.summary = _("No validated levels match these filters.")
        return panel
    panel.summary = ngettext(
        "The indicator with the lowest mean validated level is %(code)s (mean %(mean)s).",
        "The %(n)d indicators with the lowest mean validated level; the weakest is %(code)s (mean %(mean)s).",
        len(rows),
    ) % {
        "n": len(rows),
        "code": weakest[0],
        "mean": number_format(mean[weakest[0]], 1),
    }
    panel.figure = charts.level_distribution_figure(
        rows, title=title, subtitle=_("Number of authorities at each validated level"), level_labels=labels
    )
    return panel


def self_validated_panel(rounds: QuerySet, period: str | None) -> Panel:
    """Where authorities rate themselves higher or lower than the reviewers."""
    values = list(
        ScoreSnapshot.objects.filter(
            round__in=rounds.filter(period=period), self_headline__isnull=False, validated_headline__isnull=False
        )
        .order_by("round__authority__name")
        .values_list("round__authority__name", "self_headline", "validated_headline")
    )
    points = [charts.SelfValidatedPoint(name, s, v) for name, s, v in values]
    title = _("Self-assessed against validated headline, %(period)s") % {"period": period or "—"}
    panel = Panel(
        "self_validated",
        title,
        summary="",
        headers=[_("Authority"), _("Self-assessed"), _("Validated"), _("Difference")],
        table=lambda: [
            [p.authority, _fmt(p.self_score), _fmt(p.validated_score), _fmt(p.validated_score - p.self_score)]
            for p in points[:LISTED]
        ],
    )
    if not points:
        panel.summary = _("No validated headline matches these filters.")
        return panel
    higher = sum(1 for p in points if p.self_score > p.validated_score + 0.5)
    lower = sum(1 for p in points if p.self_score < p.validated_score - 0.5)
    panel.summary = ngettext(
        "Of %(n)d authority, %(higher)d rated itself higher than the reviewers and %(lower)d lower.",
        "Of %(n)d authorities, %(higher)d rated themselves higher than the reviewers and %(lower)d lower.",
        len(points),
    ) % {"n": len(points), "higher": higher, "lower": lower}
    if note := listed_note(len(points)):
        panel.summary += " " + note
    panel.figure = charts.self_validated_figure(
        points, title=title, subtitle=_("Below the dashed line, reviewers scored lower than the city")
    )
    return panel


def reviewer_panels(rounds: QuerySet, params: dict[str, str]) -> list[Panel]:
    """The five panels of the reviewer dashboard for filtered, validated rounds."""
    period = params.get("period") or latest_period(rounds)
    authority = (
        params.get("authority") or rounds.order_by("authority__name").values_list("authority__slug", flat=True).first()
    )
    return [
        heatmap_panel(rounds, period),
        trend_panel(rounds, authority),
        profile_panel(rounds, rounds, authority, params.get("peer")),
        weakest_panel(rounds, period),
        self_validated_panel(rounds, period),
    ]


def authority_panels(own_rounds: QuerySet, slug: str, peer_by: str | None) -> list[Panel]:
    """A city's own trend and profile; peer medians come only from published rounds."""
    return [
        trend_panel(own_rounds, slug),
        profile_panel(own_rounds, Round.objects.published(), slug, peer_by),
    ]


# --- improvement plans ---------------------------------------------------------------------------


@dataclass
class ActionTable:
    """A table of action counts, with a caption that says what it counts (no chart: the numbers are the point)."""

    key: str
    title: str
    summary: str
    headers: list[str]
    rows: list[list[Any]]
    total: list[Any] | None = None


def _status_headers() -> list[str]:
    return [str(label) for label in Action.Status.labels] + [_("Overdue")]


def plan_status_table(authorities: QuerySet) -> ActionTable:
    """Actions per status and overdue, for each authority (by name, never a ranking) and in total: one query.

    ``authorities``: whose plans to count, among those the reader may read (``plans.access.visible_authorities``).
    """
    counts = [f"n_{status}" for status in Action.Status.values] + ["n_overdue"]
    rows = [list(row) for row in with_action_counts(authorities).order_by("name", "pk").values_list("name", *counts)]
    total = [_("Total"), *(sum(row[n] for row in rows) for n in range(1, len(Action.Status.values) + 2))]
    with_actions = sum(1 for row in rows if any(row[1:-1]))
    summary = ngettext(
        "%(with)d of %(n)d authority has actions in its improvement plan. Open actions past their due date: "
        "%(overdue)d. Authorities are listed by name.",
        "%(with)d of %(n)d authorities have actions in their improvement plans. Open actions past their due date: "
        "%(overdue)d. Authorities are listed by name.",
        len(rows),
    ) % {"with": with_actions, "n": len(rows), "overdue": total[-1]}
    if note := listed_note(len(rows)):
        summary += " " + note
    return ActionTable(
        "plan_status",
        _("Improvement plans: actions by status"),
        summary,
        headers=[_("Authority"), *_status_headers()],
        rows=rows[:LISTED],
        total=total,
    )


def plan_progress_table(authority: Authority, actions: ActionQuerySet) -> ActionTable:
    """For each of the authority's rounds: the actions made in it by status, overdue, and the targets reached.

    ``actions``: those the reader may see. A round's "indicators at target" counts the indicators
    linked to the actions it follows up (made in it or before) whose level in that round reached
    an action's target, read as ``plans.followup`` reads levels (validated once the round is).
    Six queries, whatever the number of rounds and actions.
    """
    rounds = list(Round.objects.filter(authority=authority).order_by("period"))
    own = actions.filter(plan__authority=authority)
    counts = {
        origin: row
        for origin, *row in own.order_by()
        .values("origin_round")
        .annotate(
            made=Count("pk"),
            done=Count("pk", filter=Q(status=Action.Status.DONE)),
            dropped=Count("pk", filter=Q(status=Action.Status.DROPPED)),
            open=Count("pk", filter=Q(status__in=Action.OPEN_STATUSES)),
            overdue=Count("pk", filter=Action.overdue_condition()),
        )
        .values_list("origin_round", "made", "done", "dropped", "open", "overdue")
    }
    links = list(
        ActionIndicator.objects.filter(action__in=own).values_list(
            "action__origin_round__period", "indicator__code", "target_level"
        )
    )
    levels = round_levels(rounds, {code for _period, code, _target in links})
    rows = []
    for round in rounds:
        # The links of the actions this round follows up (``ActionQuerySet.for_round``: made in it or before).
        reached = {
            code
            for origin_period, code, target in links
            if origin_period <= round.period
            and Movement(code, target, before=None, after=levels.get((round.pk, code), NONE).level).reached
        }
        rows.append([f"{round.period} · {round.get_status_display()}", *counts.get(round.pk, [0] * 5), len(reached)])
    return ActionTable(
        "plan_progress",
        _("%(name)s: improvement plan over rounds") % {"name": authority.name},
        _(
            "For each round: the actions made in it, how many are done, dropped, open and overdue today, and how "
            "many indicators linked to the actions followed up in that round reached their target level there "
            "(validated levels once the round is validated, your own before)."
        ),
        headers=[
            _("Round"),
            _("Actions made"),
            _("Done"),
            _("Dropped"),
            _("Open"),
            _("Overdue"),
            _("Indicators at target"),
        ],
        rows=rows,
    )


def public_actions(rounds: QuerySet, period: str | None) -> list[tuple[Authority, list[Action]]]:
    """The public actions of the authorities of ``rounds`` (published rounds of ``period``), by authority name.

    Only what ``Action.objects.public()`` allows (marked public, of an authority with a round published
    with consent), made in ``period`` or before. Two queries.
    """
    if period is None:
        return []
    actions = (
        Action.objects.public()
        .filter(plan__authority__in=rounds.values("authority"), origin_round__period__lte=period)
        .select_related("plan__authority")
        .prefetch_related(
            Prefetch("links", ActionIndicator.objects.select_related("indicator").order_by("indicator__code"))
        )
        .order_by("plan__authority__name", "plan__authority_id", "due_date", "pk")
    )
    by_authority: dict[int, tuple[Authority, list[Action]]] = {}
    for action in actions:
        by_authority.setdefault(action.plan.authority_id, (action.plan.authority, []))[1].append(action)
    return list(by_authority.values())


# --- public city profiles ------------------------------------------------------------------------


@dataclass
class DimensionScore:
    code: str
    name: str
    score: float | None  # None: left out, or too few applicable indicators
    band: str


def published_dimension_scores(round: Round) -> list[DimensionScore]:
    """The validated score and band of each dimension of a published round, in catalogue order: two queries."""
    bands = dict(Band.choices)
    frozen = {
        code: (score, band)
        for code, score, band in SnapshotDimension.objects.filter(
            snapshot__round=round, snapshot__round__in=Round.objects.published(), score_set=VALIDATED
        ).values_list("dimension", "score", "band")
    }
    rows = []
    for dimension in Dimension.objects.filter(version_id=round.version_id).order_by("order", "code"):
        score, band = frozen.get(dimension.code, (None, ""))
        rows.append(
            DimensionScore(dimension.code, dimension.name, score, bands.get(band, "") if score is not None else "")
        )
    return rows
