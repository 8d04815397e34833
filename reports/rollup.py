"""The roll-up report of a parent authority (a region, a province): its consenting municipalities of one period.

It reads the very roll-up the region's page shows (``territories.rollup.region_rollup``): the
municipalities that share their round of the period with the parent (``RollupConsent``), and, of
those whose round is validated, per dimension the distribution of the validated scores over the
bands and their median, and which have a coordination body (VC-06) and a migration unit (IN-01) at
level 3 or more. A municipality that does not share its round is not named. ``rollup_facts`` is
the report's inputs as plain data, so that its fingerprint changes as soon as a consent is given or
withdrawn, a shared round is validated, or a name changes; ``rollup_context`` shapes it for
``reports/rollup/report.html``, which the worker renders to PDF like the round's report.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from assessments.models import Authority, Band
from indicators.rules import methodology
from territories.rollup import CAPACITY_LEVEL, COORDINATION_BODY, MIGRATION_UNIT, Rollup, region_rollup

from .context import fingerprint

TEMPLATE = "reports/rollup/report.html"
# Raise when the roll-up report's content or layout changes, so that older files are not reused.
ROLLUP_FORMAT = 1


def rollup_facts(parent: Authority, result: Rollup) -> dict[str, Any]:
    """The roll-up report's inputs as plain, JSON-ready data: only the municipalities that share their round. No query."""
    shared = [m for m in result.municipalities if m.shared]
    return {
        "format": ROLLUP_FORMAT,
        "parent": {"id": parent.pk, "name": parent.name},
        "period": result.period,
        "children": len(result.municipalities),
        "municipalities": [
            [m.authority.pk, m.authority.name, m.round.pk, m.round.status, m.coordination_level, m.unit_level]
            for m in shared
        ],
        "dimensions": [
            [d.code, d.name, d.municipalities, [band.count for band in d.bands], d.unscored, d.median]
            for d in result.dimensions
        ],
    }


def rollup_inputs(parent: Authority, period: str, language: str) -> tuple[Rollup, dict[str, Any], str]:
    """The parent's roll-up of ``period``, its facts and their fingerprint, in ``language`` (the roll-up's queries)."""
    with translation.override(language):
        result = region_rollup(parent, period)
        facts = rollup_facts(parent, result)
    return result, facts, fingerprint(facts, language)


def rollup_context(parent: Authority, period: str, language: str) -> dict[str, Any]:
    """What the roll-up report shows, in ``language``: the sharing municipalities, the dimensions, the capacities."""
    result, _facts, inputs_fingerprint = rollup_inputs(parent, period, language)
    with translation.override(language):
        shared = [m for m in result.municipalities if m.shared]
        dimensions = []
        for dimension in result.dimensions:
            scored = dimension.municipalities - dimension.unscored
            dimensions.append(
                {
                    "dimension": dimension,
                    # The distribution drawn as one bar: each band's share of the scored municipalities.
                    "shares": [
                        {
                            "band": band.band,
                            "label": band.label,
                            "count": band.count,
                            "percent": 100 * band.count / scored,
                        }
                        for band in dimension.bands
                        if band.count and scored
                    ],
                }
            )
        return {
            "parent": parent,
            "language": language,
            "period": result.period or period,
            "rollup": result,
            "shared": shared,
            "counted": [m for m in shared if m.counted],
            "children": len(result.municipalities),
            "dimensions": dimensions,
            # The bands lowest first (the order of each dimension's band counts), with their ranges.
            "bands": [
                {"band": value, "label": found.label, "lower": found.lower, "upper": found.upper}
                for (value, _label), found in zip(Band.choices, methodology([]).bands, strict=True)
            ],
            "capacity_level": CAPACITY_LEVEL,
            "coordination_code": COORDINATION_BODY,
            "unit_code": MIGRATION_UNIT,
            "fingerprint": inputs_fingerprint,
        }


def render_rollup_html(parent: Authority, period: str, language: str) -> tuple[str, str]:
    """The roll-up report's HTML and its fingerprint (the worker turns it into a PDF)."""
    context = rollup_context(parent, period, language)
    with translation.override(language):
        return render_to_string(TEMPLATE, context), context["fingerprint"]
