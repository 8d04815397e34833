"""The one context builder behind a round's report, for the PDF and the HTML preview alike.

``report_facts`` gathers the inputs as plain data; their fingerprint identifies the report, so
unchanged inputs give the same report text (the report's date is the date of its data, not of
its rendering). ``report_context`` turns the facts into what the template shows, in one language.

The charts come in one of two forms of the same Plotly figures: SVG exported by kaleido (a headless
Chromium) for the PDF, which only the worker renders, or the figure JSON that plotly.js draws in the
page for the HTML preview, so that no web worker ever starts a browser.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date
from statistics import mean
from typing import Any, Literal

from django.db.models import Count, Max
from django.utils import translation
from django.utils.translation import gettext as _

from assessments.models import Answer, Band, ReviewItem, Round, SnapshotDimension, StatusEvent, answer_label
from assessments.scoring import BANDS, POINTS_PER_LEVEL, minimum_applicable
from assessments.services import round_indicators
from dashboard.charts import DimensionBar, TrendPoint, profile_figure, trend_figure
from indicators.models import LEVEL_MEANINGS, Indicator, Level

from . import rendering

# Raise when the report's content or layout changes, so that older files are not reused.
REPORT_FORMAT = 1
SUGGEST_BELOW_LEVEL = 3

# "svg": inline SVG for the PDF (the worker); "figures": figure JSON for plotly.js (the preview).
Charts = Literal["svg", "figures"]


def report_facts(round: Round) -> dict[str, Any]:
    """Every input of the report as plain, JSON-ready data."""
    answers = {
        a.indicator_id: a
        for a in Answer.objects.filter(round=round).prefetch_related("evidence").annotate(n=Count("evidence"))
    }
    reviews = {r.indicator_id: r for r in ReviewItem.objects.filter(round=round)}
    items = {}
    for indicator in round_indicator_list(round):
        answer, review = answers.get(indicator.pk), reviews.get(indicator.pk)
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
        filter(
            None,
            [
                Answer.objects.filter(round=round).aggregate(t=Max("updated_at"))["t"],
                ReviewItem.objects.filter(round=round).aggregate(t=Max("updated_at"))["t"],
                StatusEvent.objects.filter(round=round).aggregate(t=Max("at"))["t"],
            ],
        ),
        default=round.created_at,
    )
    earlier = (
        SnapshotDimension.objects.filter(
            snapshot__round__authority_id=round.authority_id,
            snapshot__version_id=round.version_id,
            snapshot__round__period__lt=round.period,
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
            "omitted": sorted(round.omitted_dimensions.values_list("code", flat=True)),
        },
        "as_of": last_change.date().isoformat(),
        "items": items,
        "earlier": [list(row) for row in earlier],
    }


def round_indicator_list(round: Round) -> list[Indicator]:
    return list(round_indicators(round).prefetch_related("sdg_targets"))


def fingerprint(facts: dict[str, Any], language: str) -> str:
    """A stable hash of the report's inputs and language."""
    canonical = json.dumps({"facts": facts, "language": language}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def report_context(round: Round, language: str, *, charts: Charts | None = "svg") -> dict[str, Any]:
    """Build what the report shows, in ``language``, with its charts as ``charts`` says (or none)."""
    with translation.override(language):
        facts = report_facts(round)
        return _context(round, facts, language, charts)


def _context(round: Round, facts: dict[str, Any], language: str, charts: Charts | None) -> dict[str, Any]:
    scores = round.scores()
    validated = round.status == Round.Status.VALIDATED
    indicators = round_indicator_list(round)
    answers = {a.indicator_id: a for a in Answer.objects.filter(round=round).prefetch_related("evidence")}
    reviews = {r.indicator_id: r for r in ReviewItem.objects.filter(round=round)}
    bands = dict(Band.choices)
    by_dimension: dict[str, list] = defaultdict(list)
    sdg: dict[str, dict] = {}
    for indicator in indicators:
        answer, review = answers.get(indicator.pk), reviews.get(indicator.pk)
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
        scored_level = (validated_level if validated else self_level) or 0
        for target in indicator.sdg_targets.all():
            entry = sdg.setdefault(target.code, {"target": target, "levels": [], "codes": []})
            entry["levels"].append(scored_level)
            entry["codes"].append(indicator.code)

    dimensions = {i.dimension.code: i.dimension for i in indicators}
    summary = []
    for self_dim in scores["self"].dimensions:
        valid_dim = scores["validated"].dimension(self_dim.code)
        summary.append(
            {
                "dimension": dimensions[self_dim.code],
                "self": self_dim,
                "self_band": bands.get(self_dim.band, ""),
                "validated": valid_dim if validated else None,
                "validated_band": bands.get(valid_dim.band, "") if validated else "",
                "gap": valid_dim.score - self_dim.score
                if validated and valid_dim.score is not None and self_dim.score is not None
                else None,
            }
        )
    official = scores["validated"] if validated else scores["self"]
    context = {
        "round": round,
        "language": language,
        "is_draft": not validated,
        "as_of": date.fromisoformat(facts["as_of"]),
        "official": official,
        "official_band": bands.get(official.band, ""),
        "self_scores": scores["self"],
        "summary": summary,
        "sections": [{"dimension": dimensions[code], "rows": rows} for code, rows in by_dimension.items()],
        "sdg": [
            {**entry, "average": mean(entry["levels"])}
            for _code, entry in sorted(sdg.items(), key=lambda kv: kv[1]["target"].sort_key)
        ],
        "scale": [(level.value, level.label, LEVEL_MEANINGS[level]) for level in Level],
        "bands": [(lower, bands[name]) for lower, name in reversed(BANDS)],
        "points_per_level": POINTS_PER_LEVEL,
        "minimum_rule": minimum_applicable(8),
        "fingerprint": fingerprint(facts, language),
        "trend_note": _(
            "Validated scores of this authority's rounds on catalogue version %(n)s only; rounds on other versions are not comparable and are not shown."
        )
        % {"n": round.version.number},
    }
    if charts:
        context.update(_charts(round, summary, facts, validated, charts))
    return context


def _charts(round: Round, summary: list[dict], facts: dict[str, Any], validated: bool, form: Charts) -> dict[str, Any]:
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
    points = [TrendPoint(period, dimension, score) for period, dimension, score in facts["earlier"]]
    current = "validated" if validated else "self"
    points += [TrendPoint(round.period, row["dimension"].code, (row[current] or row["self"]).score) for row in summary]
    trend = trend_figure(
        points, title=_("Trend across rounds"), subtitle=_("Comparable rounds only (same catalogue version)")
    )
    periods = sorted({p.period for p in points})
    if form == "figures":
        return {"charts_in_page": True, "profile_figure": profile, "trend_figure": trend, "trend_periods": periods}
    return {
        "profile_svg": rendering.figure_svg(profile),
        "trend_svg": rendering.figure_svg(trend),
        "trend_periods": periods,
    }
