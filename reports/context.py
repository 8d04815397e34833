"""The one context builder behind a round's report, for the PDF and the HTML preview alike.

``report_facts`` gathers the inputs as plain data; their fingerprint identifies the report, so
unchanged inputs give the same report text (the report's date is the date of its data, not of
its rendering). ``report_context`` turns the facts into what the template shows, in one language.
Both read the round through one answer sheet (``assessments.sheet``), loaded once per render; a
validated round's scores come from its snapshot, never from a live score, and so does its trend on one
catalogue edition (across editions, ``assessments.trends`` scores each round on the comparable basis). The
improvement plan's actions the round follows up are facts too (id, revision, number of updates),
so that a change to the plan makes a new report; ``plan_section`` and ``priorities`` shape them.
Who took part (``round_participation``: the round's consultations and its perception survey) is a
fact too: each consultation's id, last change and groups, and the survey's responses per indicator;
``participation_section`` shapes it. What stakeholders think stands beside the scores, never in them.
The round's national or regional counterpart (``round_counterpart``) is a fact too: who, when they
submitted, and, once both sides have submitted (``territories.access.comparison_open``), each of
their answers; ``counterpart_section`` sets their levels beside the city's. They never change its scores.
A public document (``public``: a published round's, asked for by no one) leaves the counterpart out,
its facts included: the counterpart never agreed to publish its levels. ``public`` is a fact, so that
a public file and a member's never share a fingerprint.
The executive summary (``reports.summary``) reads the previous validated round's snapshot and the
published peers' snapshots; their ids and dates are facts too, and so is the authority's logo.

The charts come in one of two forms of the same Plotly figures: SVG exported by kaleido (a headless
Chromium) for the PDF, which only the worker renders, or the figure JSON that plotly.js draws in the
page for the HTML preview, so that no web worker ever starts a browser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.db.models import Count, Max, Prefetch, prefetch_related_objects
from django.utils import translation
from django.utils.translation import gettext as _

from assessments import scoring
from assessments.models import Answer, Band, Round, StatusEvent, answer_label
from assessments.sheet import SELF, VALIDATED, AnswerSheet, answer_sheet, round_scores, score_rows
from assessments.trends import COMPARABLE, describe_basis, round_trend
from assessments.uploads import STORAGE_ERRORS
from dashboard.charts import (
    DimensionBar,
    PerceptionPoint,
    TrendPoint,
    perception_figure,
    profile_figure,
    trend_figure,
)
from indicators.models import Dimension, Indicator
from indicators.rules import Level, methodology
from participation.models import Consultation, Stakeholder, Survey
from participation.perception import MIN_RESPONSES, Perception, round_perceptions
from plans.followup import DOWN, SAME, UP, actions_for_round, movements
from plans.models import DEFAULT_TARGET_LEVEL, Action
from territories import access as territory_access
from territories.comparison import FAR_APART, Comparison, counterpart_comparison
from territories.models import Counterpart

from . import rendering
from .summary import SummaryInputs, comparable_rounds, executive_summary, summary_inputs

logger = logging.getLogger(__name__)

# Raise when the report's content or layout changes, so that older files are not reused.
# 2: a validated round's scores and trend come from its snapshot; SDG averages leave out N/A.
# 3: the improvement plan's section, and three priorities on the first page.
# 4: a cover with the logo, the executive summary, dimension names in the charts, the indicators as an annex.
# 5: a published round compares only with published rounds (its summary and trend).
# 6: "Who took part": the round's consultations, the groups by category, and the perception gap.
# 7: "National or regional counterpart": its levels beside the city's on the mirrored indicators, with the gap.
# 8: a public document (a published round's, asked for by no one) leaves the counterpart's section out.
# 9: the trend shows rounds on every catalogue edition, on the comparable basis when editions differ, and says so.
REPORT_FORMAT = 9
# A logo larger than this is left off the cover (the upload form refuses larger ones anyway).
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
SUGGEST_BELOW_LEVEL = 3
PRIORITIES = 3
CHART_HEIGHT = 290  # pixels of 720 wide: the profile and the trend fit together on one page

# "svg": inline SVG for the PDF (the worker); "figures": figure JSON for plotly.js (the preview).
Charts = Literal["svg", "figures"]


@dataclass(frozen=True)
class Participation:
    """Who took part in a round: its consultations (with their links loaded) and its perception survey."""

    consultations: list[Consultation] = field(default_factory=list)
    survey_id: int | None = None  # None: the round has no survey
    respondents: int = 0
    # Indicator id → what the respondents said (``participation.perception``), for the indicators the sheet keeps.
    perceptions: dict[int, Perception] = field(default_factory=dict)


def round_participation(round: Round, indicators: Iterable[Indicator] | None = None) -> Participation:
    """The round's consultations, earliest first, and its survey's results on ``indicators`` (six queries)."""
    consultations = list(
        Consultation.objects.filter(round_id=round.pk)
        .order_by("date", "pk")
        .prefetch_related(
            Prefetch("groups", queryset=Stakeholder.objects.order_by("name", "pk")),
            Prefetch("indicators", queryset=Indicator.objects.order_by("dimension__order", "order", "code")),
            Prefetch("dimensions", queryset=Dimension.objects.order_by("order", "code")),
        )
    )
    survey = Survey.objects.filter(round_id=round.pk).annotate(respondents=Count("responses")).first()
    return Participation(
        consultations=consultations,
        survey_id=survey.pk if survey else None,
        respondents=survey.respondents if survey else 0,
        perceptions=round_perceptions(round, indicators),
    )


@dataclass(frozen=True)
class CounterpartView:
    """The round's national or regional counterpart (None: none invited), and the comparison once both submitted."""

    counterpart: Counterpart | None = None
    comparison: Comparison | None = None  # None until both sides have submitted


def round_counterpart(round: Round, sheet: AnswerSheet) -> CounterpartView:
    """The round's counterpart (one query) and, once both sides have submitted, the comparison (two more)."""
    counterpart = Counterpart.objects.filter(round_id=round.pk).first()
    if counterpart is None or not territory_access.comparison_open(counterpart, round):
        return CounterpartView(counterpart)
    return CounterpartView(counterpart, counterpart_comparison(round, counterpart, sheet))


def report_facts(
    round: Round,
    sheet: AnswerSheet | None = None,
    actions: list[Action] | None = None,
    inputs: SummaryInputs | None = None,
    participation: Participation | None = None,
    counterpart: CounterpartView | None = None,
    *,
    public: bool = False,
) -> dict[str, Any]:
    """Every input of the report as plain, JSON-ready data.

    ``sheet``: the round's, with its evidence; ``actions``: ``plan_actions(round)``, when already loaded;
    ``inputs``: ``summary.summary_inputs(round)``, when already loaded; ``participation``:
    ``round_participation(round, sheet.indicators)``, when already loaded; ``counterpart``:
    ``round_counterpart(round, sheet)``, when already loaded (not read for a ``public`` document, which
    leaves the counterpart out).
    """
    sheet = sheet or answer_sheet(round).with_evidence()
    inputs = inputs or summary_inputs(round)
    participation = participation or round_participation(round, sheet.indicators)
    if not public:
        counterpart = counterpart or round_counterpart(round, sheet)
    items = {}
    for indicator in sheet.indicators:
        answer, review = sheet.answers.get(indicator.pk), sheet.reviews.get(indicator.pk)
        items[indicator.code] = {
            "answer": answer.state() if answer else None,
            "review": {
                "validated_level": review.validated_level,
                "na_accepted": review.na_accepted,
                "comment": review.comment,
            }
            if review
            else None,
        }
    last_change = max(
        [
            *(a.updated_at for a in sheet.answers.values()),
            *(r.updated_at for r in sheet.reviews.values()),
            *filter(None, [StatusEvent.objects.filter(round=round).aggregate(t=Max("at"))["t"]]),
        ],
        default=round.created_at,
    )
    # The trend: the authority's validated rounds up to this one (its own, once validated), on one basis across
    # catalogue editions (``assessments.trends``): on one edition their snapshots' scores, never a live score.
    trend = round_trend(comparable_rounds(round).filter(authority_id=round.authority_id, period__lte=round.period))
    return {
        "format": REPORT_FORMAT,
        "round": {
            "id": round.pk,
            "authority": round.authority.name,
            "period": round.period,
            "status": round.status,
            "version": round.version.number,
            "omitted": sorted(d.code for d in sheet.left_out),
            "logo": _logo_name(round),
        },
        "as_of": last_change.date().isoformat(),
        "items": items,
        "trend": [
            [point.period, code, point.scores[code]]
            for point in trend.points
            for code in trend.dimensions
            if code in point.scores
        ],
        "trend_basis": trend.basis_data(),
        "plan": plan_facts(round, actions),
        "summary": inputs.facts(),
        "participation": participation_facts(participation),
        "counterpart": None if public else counterpart_facts(counterpart),
        "public": public,
    }


def counterpart_facts(view: CounterpartView) -> dict[str, Any] | None:
    """The counterpart, for the fingerprint: who, when they submitted, and each answer once the comparison is open.

    Submitted answers never change, so their ids and levels say what the report shows. No query.
    """
    counterpart = view.counterpart
    if counterpart is None:
        return None
    answers = [row.counterpart for row in view.comparison.rows if row.counterpart] if view.comparison else []
    return {
        "id": counterpart.pk,
        "level": counterpart.level,
        "organisation": counterpart.organisation,
        "submitted_at": counterpart.submitted_at.isoformat() if counterpart.submitted_at else None,
        "answers": sorted([a.pk, a.indicator_id, a.response, a.level] for a in answers),
    }


def _signed(value: float | None, digits: int = 0) -> str:
    """A gap with its sign: "+1", "−2", "0" ("" for none)."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    return f"{value:+.{digits}f}".replace("-", "\u2212")


def counterpart_section(view: CounterpartView) -> dict[str, Any]:
    """The report's "National or regional counterpart": who, and once both sides have submitted, each mirrored
    indicator's two levels side by side with the gap (the counterpart's level minus the city's). No query.

    ``state``: "none" (no counterpart invited), "counterpart_pending" (they have not submitted),
    "city_pending" (they have, the city has not submitted the round yet) or "open".
    """
    counterpart, comparison = view.counterpart, view.comparison
    if counterpart is None:
        return {"state": "none"}
    found = {"counterpart": counterpart, "level": counterpart.get_level_display()}
    if comparison is None:
        return {**found, "state": "counterpart_pending" if not counterpart.submitted else "city_pending"}
    rows = []
    for row in comparison.rows:
        city = row.city_validated or row.city_self
        theirs = row.counterpart
        rows.append(
            {
                "indicator": row.indicator,
                "city": answer_label({"response": city.response, "level": city.level}),
                "counterpart": answer_label({"response": theirs.response, "level": theirs.level}) if theirs else "—",
                "gap": row.gap,
                "gap_label": _signed(row.gap) or "—",
                "far_apart": row.far_apart,
            }
        )
    return {
        **found,
        "state": "open",
        "validated": comparison.validated,
        "rows": rows,
        "compared": comparison.compared,
        "mean_gap": _signed(comparison.mean_gap, 1),
        "far_apart": [row.indicator.code for row in comparison.far_apart],
        "far_apart_levels": FAR_APART,
    }


def participation_facts(participation: Participation) -> dict[str, Any]:
    """Who took part, for the fingerprint: each consultation's id, last change and groups; the survey's answers.

    Recording or changing a consultation changes its ``updated_at`` (its indicators and groups are
    set by the same save); a group renamed in the register changes its name here. No query.
    """
    return {
        "consultations": [
            [c.pk, c.updated_at.isoformat(), [[g.pk, g.name, g.category] for g in c.groups.all()]]
            for c in participation.consultations
        ],
        "survey": participation.survey_id,
        "respondents": participation.respondents,
        "perceptions": sorted(
            [indicator_id, p.responses, p.dont_know, p.median] for indicator_id, p in participation.perceptions.items()
        ),
    }


def participation_section(participation: Participation, sheet: AnswerSheet, score_set: str) -> dict[str, Any]:
    """The report's "Who took part": consultations, groups by category, participants, and the perception gap. No query.

    The groups are counted once each, however many of the round's consultations they took part in.
    The perception gap lists, in catalogue order, the surveyed indicators with at least
    ``MIN_RESPONSES`` levels given, beside the city's level in ``score_set`` (validated once the
    round is validated).
    """
    breakdown_fields = ("women", "men", "other_gender", "migrants")
    consultations = []
    groups: dict[int, Stakeholder] = {}
    for consultation in participation.consultations:
        consultation_groups = list(consultation.groups.all())
        groups.update((g.pk, g) for g in consultation_groups)
        consultations.append(
            {
                "consultation": consultation,
                "groups": consultation_groups,
                "breakdown": [
                    (Consultation._meta.get_field(name).verbose_name, getattr(consultation, name))
                    for name in breakdown_fields
                    if getattr(consultation, name) is not None
                ],
                "indicators": [i.code for i in consultation.indicators.all()],
                "dimensions": [d.code for d in consultation.dimensions.all()],
            }
        )
    counts = Counter(g.category for g in groups.values())
    perceptions = []
    below = 0
    for indicator in sheet.indicators:
        found = participation.perceptions.get(indicator.pk)
        if found is None:
            continue
        if not found.shown:
            below += 1
            continue
        item = sheet.item(indicator, score_set)
        level = item.level if item.response == scoring.LEVEL else None
        perceptions.append(
            {
                "indicator": indicator,
                "level": level,
                "level_label": Level(level).label if level is not None else "",
                "median": found.median,
                "responses": found.responses,
                "dont_know": found.dont_know,
            }
        )
    return {
        "consultations": consultations,
        "categories": [
            {"label": label, "count": counts[value]} for value, label in Stakeholder.Category.choices if counts[value]
        ],
        "groups": len(groups),
        "participants": sum(c.participants for c in participation.consultations),
        "migrant_voices": any(g.category in Stakeholder.MIGRANT_VOICES for g in groups.values()),
        "survey": participation.survey_id is not None,
        "respondents": participation.respondents,
        "perceptions": perceptions,
        "perceptions_below": below,
        "min_responses": MIN_RESPONSES,
    }


def plan_facts(round: Round, actions: list[Action] | None = None) -> list[list[int]]:
    """The plan's part of the fingerprint: each action the round follows up, as its id, revision and update count.

    Every change to an action raises its revision (its links and targets included), and a progress
    update adds to the count, so a report made before a change to the plan is not served after it.
    One query, none when ``actions`` (with their updates) are given.
    """
    if actions is not None:
        return sorted([action.pk, action.revision, len(action.updates.all())] for action in actions)
    rows = (
        Action.objects.for_round(round)
        .annotate(updates_count=Count("updates"))
        .order_by("pk")
        .values_list("pk", "revision", "updates_count")
    )
    return [list(row) for row in rows]


def plan_actions(round: Round) -> list[Action]:
    """The actions the round follows up (made in it or before), with their details, by status then due date.

    Status in the order of ``Action.Status`` (planned, in progress, done, dropped). Three queries.
    """
    order = {status: n for n, status in enumerate(Action.Status.values)}
    return sorted(actions_for_round(round), key=lambda action: (order[action.status], action.due_date, action.pk))


def plan_section(round: Round, actions: list[Action]) -> dict[str, Any]:
    """The report's improvement plan: each action with its linked indicators, targets and movement (two queries).

    The movement of a linked indicator is from the action's origin round to this round (validated
    levels where a round is validated, the city's own before); an action made in this round has
    none yet.
    """
    moves = movements(actions, round) if actions else {}
    labels = {UP: _("up"), DOWN: _("down"), SAME: _("unchanged")}
    rows = []
    for action in actions:
        since_origin = action.origin_round_id != round.pk
        rows.append(
            {
                "action": action,
                "origin_period": action.origin_round.period,
                "since_origin": since_origin,
                "indicators": [
                    {
                        "code": move.code,
                        "target": move.target,
                        "before": move.before,
                        "after": move.after,
                        "moved": labels.get(move.moved, "") if since_origin else "",
                        "reached": move.reached,
                    }
                    for move in moves.get(action.pk, [])
                ],
            }
        )
    return {"actions": rows, "authority": round.authority.name}


def priorities(sheet: AnswerSheet, actions: list[Action], score_set: str) -> dict[str, Any]:
    """The three priorities on the report's first page, and where they come from. No query.

    From the improvement plan when the round follows up open actions: the three open actions due
    soonest (overdue ones first, as their due dates are the earliest). Otherwise from the
    assessment: the three indicators at the lowest level (``score_set``'s: the validated one once
    the round is validated), below level 3 ("operational"), in catalogue order among equals, each
    with the catalogue's suggestion. Unanswered, "don't know" and not-applicable indicators have
    no level to rank and are left out.
    """
    open_actions = sorted((a for a in actions if a.is_open), key=lambda action: (action.due_date, action.pk))
    if open_actions:
        return {"source": "plan", "actions": open_actions[:PRIORITIES], "indicators": []}
    weakest = []
    for position, indicator in enumerate(sheet.indicators):
        item = sheet.item(indicator, score_set)
        if item.response == scoring.LEVEL and item.level is not None and item.level < DEFAULT_TARGET_LEVEL:
            weakest.append((item.level, position, indicator))
    weakest.sort(key=lambda entry: entry[:2])
    return {
        "source": "indicators",
        "actions": [],
        "indicators": [
            {
                "indicator": indicator,
                "level": level,
                "level_label": Level(level).label,
                "suggestion": indicator.suggestion,
            }
            for level, _position, indicator in weakest[:PRIORITIES]
        ],
    }


def fingerprint(facts: dict[str, Any], language: str) -> str:
    """A stable hash of the report's inputs and language."""
    canonical = json.dumps({"facts": facts, "language": language}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def report_context(
    round: Round, language: str, *, charts: Charts | None = "svg", public: bool = False
) -> dict[str, Any]:
    """Build what the report shows, in ``language``, with its charts as ``charts`` says (or none).

    ``public``: a document for the published round's public profile, without the counterpart's section.
    """
    with translation.override(language):
        sheet = answer_sheet(round).with_evidence()
        prefetch_related_objects(list(sheet.indicators), "sdg_targets")
        actions = plan_actions(round)
        inputs = summary_inputs(round)
        participation = round_participation(round, sheet.indicators)
        counterpart = None if public else round_counterpart(round, sheet)
        facts = report_facts(round, sheet, actions, inputs, participation, counterpart, public=public)
        return _context(round, sheet, facts, actions, inputs, participation, language, charts, counterpart)


def trend_note(basis: dict[str, Any]) -> str:
    """What the trend's caption says of its basis (``Trend.basis_data()``)."""
    editions = ", ".join(str(number) for number in basis["editions"])
    if basis["kind"] == COMPARABLE:
        return _(
            "Validated scores of this authority's rounds on catalogue editions %(editions)s, each on the indicators "
            "both its edition and the latest round's share (the comparable basis, below)."
        ) % {"editions": editions}
    return _(
        "Validated scores of this authority's rounds, all on catalogue edition %(n)s: their ordinary scores, "
        "on every indicator."
    ) % {"n": editions}


def _logo_name(round: Round) -> str:
    """The stored name of the authority's logo ("" without one); a new upload gets a new name."""
    logo = getattr(round.authority, "logo", None)
    return logo.name if logo else ""


def logo_data_uri(round: Round) -> str:
    """The authority's logo as a ``data:`` URI ("" without one, or when it cannot be read).

    WeasyPrint may fetch only the app's static files, never media: the logo travels inside the HTML.
    """
    logo = getattr(round.authority, "logo", None)
    if not logo:
        return ""
    mime = mimetypes.guess_type(logo.name)[0]
    if mime not in LOGO_TYPES:
        return ""
    try:
        if logo.size > LOGO_MAX_BYTES:
            return ""
        with logo.open("rb") as file:
            content = file.read(LOGO_MAX_BYTES + 1)
    # A missing file, or a storage that does not answer, leaves the cover without a logo, not the city without a report.
    except (*STORAGE_ERRORS, ValueError):
        logger.warning("The logo of authority %s could not be read", round.authority_id, exc_info=True)
        return ""
    if len(content) > LOGO_MAX_BYTES:
        return ""
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def _context(
    round: Round,
    sheet: AnswerSheet,
    facts: dict[str, Any],
    actions: list[Action],
    inputs: SummaryInputs,
    participation: Participation,
    language: str,
    charts: Charts | None,
    counterpart: CounterpartView | None,
) -> dict[str, Any]:
    validated = round.status == Round.Status.VALIDATED
    # A validated round's scores are its snapshot's; a draft's are scored live from the sheet.
    scores = round_scores(round, sheet)
    official_set = VALIDATED if validated else SELF
    bands = dict(Band.choices)
    by_dimension: dict[str, list] = defaultdict(list)
    sdg: dict[str, dict] = {}
    for indicator in sheet.indicators:
        # An answer carried over from the last round is the city's only once confirmed: until then, unanswered.
        answer, review = sheet.counted_answer(indicator), sheet.reviews.get(indicator.pk)
        state = answer.state() if answer else None
        self_level = answer.level if answer and answer.response == Answer.Response.LEVEL else None
        validated_level = review.validated_level if review and review.validated_level is not None else self_level
        level_for_advice = validated_level if validated else self_level
        descriptors = indicator.descriptors
        by_dimension[indicator.dimension.code].append(
            {
                "indicator": indicator,
                "self": answer_label(state),
                "self_descriptor": descriptors[self_level] if self_level is not None else "",
                "validated": answer_label({"response": "level", "level": validated_level})
                if validated and validated_level is not None
                else "",
                "validated_descriptor": descriptors[validated_level]
                if validated and validated_level is not None and validated_level != self_level
                else "",
                "justification": answer.justification if answer else "",
                "evidence": list(answer.evidence.all()) if answer else [],
                "comment": review.comment if review else "",
                "suggestion": indicator.suggestion if (level_for_advice or 0) < SUGGEST_BELOW_LEVEL else "",
            }
        )
        item = sheet.item(indicator, official_set)
        for target in indicator.sdg_targets.all():
            entry = sdg.setdefault(target.code, {"target": target, "items": [], "codes": []})
            entry["items"].append(item)
            entry["codes"].append(indicator.code)

    rows = score_rows(sheet, scores, validated=validated)
    dimensions = {d.code: d for d in sheet.dimensions}
    official = scores[official_set]
    kept = {i.dimension.code: i.dimension for i in sheet.indicators}
    context = {
        "round": round,
        "language": language,
        "is_draft": not validated,
        "as_of": date.fromisoformat(facts["as_of"]),
        "official": official,
        "official_band": bands.get(official.band, ""),
        "self_scores": scores[SELF],
        "score_rows": rows,
        "summary": executive_summary(round, sheet, scores, actions=actions, inputs=inputs),
        "logo_src": logo_data_uri(round),
        "sections": [{"dimension": dimensions[code], "rows": rows} for code, rows in by_dimension.items()],
        # The average level of each SDG target's indicators, as they score: an accepted N/A is left out.
        "sdg": [
            {**entry, "average": scoring.mean_level(entry["items"])}
            for _code, entry in sorted(sdg.items(), key=lambda kv: kv[1]["target"].sort_key)
        ],
        "rules": methodology(kept.values()),
        "plan": plan_section(round, actions),
        "participation": participation_section(participation, sheet, official_set),
        # None in a public document: the counterpart's section is left out.
        "counterpart": counterpart_section(counterpart) if counterpart is not None else None,
        "public": facts["public"],
        "priorities": priorities(sheet, actions, official_set),
        "fingerprint": fingerprint(facts, language),
        "trend_note": trend_note(facts["trend_basis"]),
        # When the rounds are on several editions: what the comparable basis compares and leaves out.
        "trend_basis_text": describe_basis(facts["trend_basis"]),
    }
    if charts:
        context.update(_charts(round, sheet, rows, facts, context["participation"]["perceptions"], charts))
    return context


def _charts(
    round: Round,
    sheet: AnswerSheet,
    summary: list[dict],
    facts: dict[str, Any],
    perceptions: list[dict],
    form: Charts,
) -> dict[str, Any]:
    bars = [
        DimensionBar(
            code=row["dimension"].code,
            name=row["dimension"].name,
            self_score=row["self"].score,
            validated_score=row["validated"].score if row["validated"] else None,
        )
        for row in summary
    ]
    profile = profile_figure(
        bars,
        title=_("Dimension profile"),
        subtitle=_("Self-assessed and validated score of each dimension, 0 to 100"),
        labels=(_("Self-assessed"), _("Validated")),
        axis="name",
    )
    # Both charts on one page of the PDF, one below the other.
    profile["layout"]["height"] = CHART_HEIGHT
    order = {d.code: n for n, d in enumerate(sheet.dimensions)}
    rows = sorted(facts["trend"], key=lambda row: (row[0], order.get(row[1], len(order)), row[1]))
    points = [TrendPoint(period, dimension, score) for period, dimension, score in rows]
    basis = facts["trend_basis"]
    trend = trend_figure(
        points,
        title=_("Trend across rounds"),
        subtitle=_("Comparable basis across catalogue editions %(editions)s.")
        % {"editions": ", ".join(str(number) for number in basis["editions"])}
        if basis["kind"] == COMPARABLE
        else _("Comparable rounds only (same catalogue version)"),
        names={d.code: d.name for d in sheet.dimensions},
    )
    trend["layout"]["height"] = CHART_HEIGHT
    periods = sorted({p.period for p in points})
    # Only drawn when some indicator has enough responses; the city's level is the one the report counts.
    gap = (
        perception_figure(
            [
                PerceptionPoint(
                    code=row["indicator"].code,
                    name=row["indicator"].question,
                    city_level=row["level"],
                    median=row["median"],
                )
                for row in perceptions
            ],
            title=_("Perception gap"),
            subtitle=_("The city's level and the stakeholders' median level, by indicator"),
            labels=(_("City's level"), _("Stakeholders' median")),
            level_labels=[str(label) for label in Level.labels],
        )
        if perceptions
        else None
    )
    # A draft with no validated round before it has no trend to draw.
    if form == "figures":
        return {
            "charts_in_page": True,
            "profile_figure": profile,
            "trend_figure": trend if periods else None,
            "trend_periods": periods,
            "perception_figure": gap,
        }
    return {
        "profile_svg": rendering.figure_svg(profile),
        "trend_svg": rendering.figure_svg(trend) if periods else "",
        "trend_periods": periods,
        "perception_svg": rendering.figure_svg(gap) if gap else "",
    }
