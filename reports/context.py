"""The one context builder behind a round's report, for the PDF and the HTML preview alike.

``report_facts`` gathers the inputs as plain data; their fingerprint identifies the report, so
unchanged inputs give the same report text (the report's date is the date of its data, not of
its rendering). ``report_context`` turns the facts into what the template shows, in one language.
Both read the round through one answer sheet (``assessments.sheet``), loaded once per render; a
validated round's scores and its trend come from snapshots, never from a live score.

The charts come in one of two forms of the same Plotly figures: SVG exported by kaleido (a headless
Chromium) for the PDF, which only the worker renders, or the figure JSON that plotly.js draws in the
page for the HTML preview, so that no web worker ever starts a browser.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date
from typing import Any, Literal

from django.db.models import Max, prefetch_related_objects
from django.utils import translation
from django.utils.translation import gettext as _

from assessments import scoring
from assessments.models import Answer, Band, Round, SnapshotDimension, StatusEvent, answer_label
from assessments.sheet import SELF, VALIDATED, AnswerSheet, answer_sheet, round_scores, score_rows
from dashboard.charts import DimensionBar, TrendPoint, profile_figure, trend_figure
from indicators.rules import methodology

from . import rendering

# Raise when the report's content or layout changes, so that older files are not reused.
# 2: a validated round's scores and trend come from its snapshot; SDG averages leave out N/A.
REPORT_FORMAT = 2
SUGGEST_BELOW_LEVEL = 3

# "svg": inline SVG for the PDF (the worker); "figures": figure JSON for plotly.js (the preview).
Charts = Literal["svg", "figures"]


def report_facts(round: Round, sheet: AnswerSheet | None = None) -> dict[str, Any]:
    """Every input of the report as plain, JSON-ready data (``sheet``: the round's, with its evidence)."""
    sheet = sheet or answer_sheet(round).with_evidence()
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
    # The trend: frozen validated scores of the authority's rounds on this catalogue version, up to
    # this one (its own, once validated, from its snapshot like the others; never a live score).
    trend = (
        SnapshotDimension.objects.filter(
            snapshot__round__authority_id=round.authority_id,
            snapshot__version_id=round.version_id,
            snapshot__round__period__lte=round.period,
            score_set=SnapshotDimension.ScoreSet.VALIDATED,
        )
        .order_by("snapshot__round__period", "dimension")
        .values_list("snapshot__round__period", "dimension", "score")
    )
    return {
        "format": REPORT_FORMAT,
        "round": {
            "id": round.pk,
            "authority": round.authority.name,
            "period": round.period,
            "status": round.status,
            "version": round.version.number,
            "omitted": sorted(d.code for d in sheet.left_out),
        },
        "as_of": last_change.date().isoformat(),
        "items": items,
        "trend": [list(row) for row in trend],
    }


def fingerprint(facts: dict[str, Any], language: str) -> str:
    """A stable hash of the report's inputs and language."""
    canonical = json.dumps({"facts": facts, "language": language}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def report_context(round: Round, language: str, *, charts: Charts | None = "svg") -> dict[str, Any]:
    """Build what the report shows, in ``language``, with its charts as ``charts`` says (or none)."""
    with translation.override(language):
        sheet = answer_sheet(round).with_evidence()
        prefetch_related_objects(list(sheet.indicators), "sdg_targets")
        facts = report_facts(round, sheet)
        return _context(round, sheet, facts, language, charts)


def _context(
    round: Round, sheet: AnswerSheet, facts: dict[str, Any], language: str, charts: Charts | None
) -> dict[str, Any]:
    validated = round.status == Round.Status.VALIDATED
    # A validated round's scores are its snapshot's; a draft's are scored live from the sheet.
    scores = round_scores(round, sheet)
    official_set = VALIDATED if validated else SELF
    bands = dict(Band.choices)
    by_dimension: dict[str, list] = defaultdict(list)
    sdg: dict[str, dict] = {}
    for indicator in sheet.indicators:
        answer, review = sheet.answers.get(indicator.pk), sheet.reviews.get(indicator.pk)
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

    summary = score_rows(sheet, scores, validated=validated)
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
        "summary": summary,
        "sections": [{"dimension": dimensions[code], "rows": rows} for code, rows in by_dimension.items()],
        # The average level of each SDG target's indicators, as they score: an accepted N/A is left out.
        "sdg": [
            {**entry, "average": scoring.mean_level(entry["items"])}
            for _code, entry in sorted(sdg.items(), key=lambda kv: kv[1]["target"].sort_key)
        ],
        "rules": methodology(kept.values()),
        "fingerprint": fingerprint(facts, language),
        "trend_note": _(
            "Validated scores of this authority's rounds on catalogue version %(n)s only; rounds on other versions are not comparable and are not shown."
        )
        % {"n": round.version.number},
    }
    if charts:
        context.update(_charts(round, sheet, summary, facts, charts))
    return context


def _charts(
    round: Round, sheet: AnswerSheet, summary: list[dict], facts: dict[str, Any], form: Charts
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
    )
    order = {d.code: n for n, d in enumerate(sheet.dimensions)}
    rows = sorted(facts["trend"], key=lambda row: (row[0], order.get(row[1], len(order)), row[1]))
    points = [TrendPoint(period, dimension, score) for period, dimension, score in rows]
    trend = trend_figure(
        points, title=_("Trend across rounds"), subtitle=_("Comparable rounds only (same catalogue version)")
    )
    periods = sorted({p.period for p in points})
    # A draft with no validated round before it has no trend to draw.
    if form == "figures":
        return {
            "charts_in_page": True,
            "profile_figure": profile,
            "trend_figure": trend if periods else None,
            "trend_periods": periods,
        }
    return {
        "profile_svg": rendering.figure_svg(profile),
        "trend_svg": rendering.figure_svg(trend) if periods else "",
        "trend_periods": periods,
    }
