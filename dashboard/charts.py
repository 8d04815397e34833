"""Chart figures: pure functions from plain data to Plotly figures.

A figure is Plotly's JSON figure (``{"data": [...], "layout": {...}}``): plotly.js draws it in
the dashboard, and kaleido turns the very same figure into SVG for the PDF report
(reports/rendering.py). Building the dictionaries directly, rather than through
``plotly.graph_objects``, skips Plotly's per-property validation, which cost more than the
database at 1,000 authorities; tests/dashboard/test_charts.py checks each figure against
Plotly's schema instead. No function here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.formats import get_format
from django.utils.translation import gettext as _

Figure = dict[str, Any]

# Colour-blind-safe pair (Okabe-Ito) plus a neutral; bars also differ by pattern and lines by
# marker symbol, so colour is never the only signal.
SELF_COLOUR = "#E69F00"
VALIDATED_COLOUR = "#0072B2"
NEUTRAL = "#555555"
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")
# One per level of the answer scale (indicators/rules.py), lowest first.
LEVEL_COLOURS = ("#b2182b", "#ef8a62", "#fddbc7", "#67a9cf", "#2166ac")
LEVEL_PATTERNS = ("x", "/", "", ".", "+")


@dataclass(frozen=True)
class DimensionBar:
    code: str
    name: str
    self_score: float | None
    validated_score: float | None


@dataclass(frozen=True)
class TrendPoint:
    period: str
    dimension: str
    score: float | None


@dataclass(frozen=True)
class HeatmapRow:
    authority: str
    scores: tuple[float | None, ...]  # one per dimension, in the order of ``dimensions``


@dataclass(frozen=True)
class LevelDistribution:
    indicator: str
    counts: tuple[int, ...]  # authorities at each validated level of the scale, lowest first


@dataclass(frozen=True)
class PerceptionPoint:
    code: str
    name: str  # for the hover: the indicator's question
    city_level: int | None  # None: the city gave no level (unanswered, don't know, not applicable)
    median: float


@dataclass(frozen=True)
class SelfValidatedPoint:
    authority: str
    self_score: float
    validated_score: float


def separators() -> str:
    """Plotly's decimal and thousands separators, from the active language's number format."""
    return f"{get_format('DECIMAL_SEPARATOR')}{get_format('THOUSAND_SEPARATOR')}"


def wrap(text: str, width: int = 16) -> str:
    """Break a long name into lines of about ``width`` characters with ``<br>``, for an axis label."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _label(score: float | None) -> str:
    return "" if score is None else f"{score:.0f}"


def _score_axis(title: str | None = None) -> dict:
    return {"range": [0, 100], "dtick": 25, "gridcolor": "#e5e5e5", "title": {"text": title or _("Score (0-100)")}}


def _figure(data: list[dict], title: str, subtitle: str = "", *, height: int = 360, **layout: Any) -> Figure:
    text = f"{title}<br><sup>{subtitle}</sup>" if subtitle else title
    return {
        "data": data,
        "layout": {
            "title": {"text": text, "x": 0, "xanchor": "left"},
            "font": {"family": "Noto Sans, DejaVu Sans, sans-serif", "size": 12, "color": "#222"},
            "separators": separators(),
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "margin": {"l": 50, "r": 20, "t": 70, "b": 50},
            "legend": {"orientation": "h", "y": -0.18},
            "width": 720,
            "height": height,
            "yaxis": _score_axis(),
            **layout,
        },
    }


def profile_figure(
    bars: Sequence[DimensionBar], *, title: str, subtitle: str = "", labels: tuple[str, str], axis: str = "code"
) -> Figure:
    """Grouped bars of each dimension's self-assessed and validated score.

    ``axis``: "code" labels the bars with the dimensions' codes, "name" with their names (wrapped).
    """
    x = [wrap(bar.name, 13) if axis == "name" else bar.code for bar in bars]
    hover = [bar.name for bar in bars]
    series = (
        (labels[0], [bar.self_score for bar in bars], {"color": SELF_COLOUR, "pattern": {"shape": "/"}}),
        (labels[1], [bar.validated_score for bar in bars], {"color": VALIDATED_COLOUR}),
    )
    data = [
        {
            "type": "bar",
            "name": name,
            "x": x,
            "y": y,
            "hovertext": hover,
            "marker": marker,
            "text": [_label(v) for v in y],
            "textposition": "outside",
        }
        for name, y, marker in series
    ]
    if axis == "name":  # names take up to three lines below the bars: the legend goes to the right
        return _figure(
            data,
            title,
            subtitle,
            barmode="group",
            margin={"l": 50, "r": 20, "t": 70, "b": 80},
            xaxis={"tickangle": 0, "tickfont": {"size": 10}},
            legend={"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1, "yanchor": "top"},
        )
    return _figure(data, title, subtitle, barmode="group")


def trend_figure(
    points: Sequence[TrendPoint], *, title: str, subtitle: str = "", names: Mapping[str, str] | None = None
) -> Figure:
    """One line per dimension across periods (gaps where a dimension had no score).

    ``names``: dimension code → name, for the legend (the code where none is given).
    """
    periods = sorted({p.period for p in points})
    dimensions = list(dict.fromkeys(p.dimension for p in points))
    by_key = {(p.dimension, p.period): p.score for p in points}
    data = [
        {
            "type": "scatter",
            "name": (names or {}).get(dimension, dimension),
            "x": periods,
            "y": [by_key.get((dimension, period)) for period in periods],
            "mode": "lines+markers",
            "marker": {"symbol": SYMBOLS[n % len(SYMBOLS)], "size": 9},
            "connectgaps": False,
        }
        for n, dimension in enumerate(dimensions)
    ]
    return _figure(data, title, subtitle, xaxis={"type": "category"})


def heatmap_figure(rows: Sequence[HeatmapRow], dimensions: Sequence[str], *, title: str, subtitle: str = "") -> Figure:
    """Authorities × dimensions, coloured by score; each cell also says its number."""
    data = [
        {
            "type": "heatmap",
            "z": [list(row.scores) for row in rows],
            "x": list(dimensions),
            "y": [row.authority for row in rows],
            "text": [[_label(score) for score in row.scores] for row in rows],
            "texttemplate": "%{text}",
            "zmin": 0,
            "zmax": 100,
            # Explicit stops: plotly.js reads the name "Blues" dark-to-light, the other way round
            # from Python's; higher scores must look darker in the browser and in the PDF alike.
            "colorscale": [[0, "#f7fbff"], [0.25, "#c6dbef"], [0.5, "#6baed6"], [0.75, "#2171b5"], [1, "#08306b"]],
            "colorbar": {"title": {"text": _("Score")}},
            "hoverongaps": False,
        }
    ]
    return _figure(
        data, title, subtitle, height=max(320, 60 + 26 * len(rows)), yaxis={"autorange": "reversed", "automargin": True}
    )


def level_distribution_figure(
    rows: Sequence[LevelDistribution], *, title: str, subtitle: str = "", level_labels: Sequence[str]
) -> Figure:
    """Stacked horizontal bars: how many authorities sit at each validated level, per indicator."""
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": label,
            "y": [row.indicator for row in rows],
            "x": [row.counts[n] for row in rows],
            "marker": {"color": LEVEL_COLOURS[n], "pattern": {"shape": LEVEL_PATTERNS[n]}},
        }
        for n, label in enumerate(level_labels)
    ]
    return _figure(
        data,
        title,
        subtitle,
        height=max(320, 80 + 28 * len(rows)),
        barmode="stack",
        yaxis={"autorange": "reversed"},
        xaxis={"title": {"text": _("Authorities")}},
    )


def self_validated_figure(points: Sequence[SelfValidatedPoint], *, title: str, subtitle: str = "") -> Figure:
    """Each authority's self-assessed against validated headline; below the line, reviewers scored lower."""
    data = [
        {
            "type": "scatter",
            "x": [0, 100],
            "y": [0, 100],
            "mode": "lines",
            "line": {"color": NEUTRAL, "dash": "dash"},
            "name": _("Same score"),
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": [p.self_score for p in points],
            "y": [p.validated_score for p in points],
            "mode": "markers",
            "marker": {"color": VALIDATED_COLOUR, "size": 9, "symbol": "circle"},
            "text": [p.authority for p in points],
            "hovertemplate": "%{text}: %{x:.0f} → %{y:.0f}<extra></extra>",
            "name": _("Authorities"),
        },
    ]
    return _figure(
        data,
        title,
        subtitle,
        xaxis={**_score_axis(_("Self-assessed headline"))},
        yaxis=_score_axis(_("Validated headline")),
    )


def peer_profile_figure(
    codes: Sequence[str],
    own: Sequence[float | None],
    median: Sequence[float | None],
    *,
    title: str,
    subtitle: str = "",
    labels: tuple[str, str],
) -> Figure:
    """An authority's dimension scores beside its peer group's median."""
    data = [
        {
            "type": "bar",
            "name": labels[0],
            "x": list(codes),
            "y": list(own),
            "marker": {"color": VALIDATED_COLOUR},
            "text": [_label(v) for v in own],
            "textposition": "outside",
        },
        {
            "type": "scatter",
            "name": labels[1],
            "x": list(codes),
            "y": list(median),
            "mode": "markers",
            "marker": {"color": "#222", "symbol": "line-ew-open", "size": 28, "line": {"width": 3}},
        },
    ]
    return _figure(data, title, subtitle)


def perception_figure(
    points: Sequence[PerceptionPoint],
    *,
    title: str,
    subtitle: str = "",
    labels: tuple[str, str],
    level_labels: Sequence[str],
) -> Figure:
    """Per surveyed indicator, the city's level beside the stakeholders' median, joined by a line (the gap).

    ``labels``: the names of the city's and the stakeholders' markers; ``level_labels``: the scale's
    names, lowest first, for the level axis. The markers differ in shape, not in colour alone: a filled
    diamond for the city, a ring around it for the stakeholders, so that equal levels stay readable.
    """
    codes = [p.code for p in points]
    # Each number outside the gap: the lower of the two to the left of its marker, the higher to the right.
    city_left = [p.city_level is None or p.city_level <= p.median for p in points]
    gaps_x: list[float | None] = []
    gaps_y: list[str | None] = []
    for p in points:
        if p.city_level is not None:
            gaps_x += [p.city_level, p.median, None]
            gaps_y += [p.code, p.code, None]
    hover = "%{customdata}<br>%{fullData.name}: %{x}<extra></extra>"
    data = [
        {
            "type": "scatter",
            "x": gaps_x,
            "y": gaps_y,
            "mode": "lines",
            "line": {"color": "#9a9a9a", "width": 2},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "name": labels[0],
            "x": [p.city_level for p in points],
            "y": codes,
            "customdata": [p.name for p in points],
            "mode": "markers+text",
            "marker": {"color": VALIDATED_COLOUR, "symbol": "diamond", "size": 11},
            # Where both agree, the ring's number says it for both.
            "text": ["" if p.city_level is None or p.city_level == p.median else str(p.city_level) for p in points],
            "textposition": ["middle left" if left else "middle right" for left in city_left],
            "hovertemplate": hover,
        },
        {
            "type": "scatter",
            "name": labels[1],
            "x": [p.median for p in points],
            "y": codes,
            "customdata": [p.name for p in points],
            "mode": "markers+text",
            "marker": {
                "color": "rgba(0,0,0,0)",
                "symbol": "circle",
                "size": 20,
                "line": {"color": SELF_COLOUR, "width": 3},
            },
            "text": [f"{p.median:g}".replace(".", get_format("DECIMAL_SEPARATOR")) for p in points],
            "textposition": ["middle right" if left else "middle left" for left in city_left],
            "hovertemplate": hover,
        },
    ]
    levels = list(range(len(level_labels)))
    return _figure(
        data,
        title,
        subtitle,
        height=160 + 44 * max(len(points), 2),
        margin={"l": 70, "r": 20, "t": 70, "b": 100},
        xaxis={
            "range": [-0.4, len(levels) - 0.6],
            "tickvals": levels,
            "ticktext": [f"{n}<br>{wrap(label, 12)}" for n, label in zip(levels, level_labels, strict=True)],
            "gridcolor": "#e5e5e5",
            "zeroline": False,
            "title": {"text": _("Level"), "standoff": 6},
        },
        # Top to bottom in the given order (not the order the traces first name them), half a row to spare at each end.
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": codes,
            "range": [len(points) - 0.4, -0.6],
            "title": {"text": _("Indicator")},
        },
        # At the foot of the whole figure, below the level axis and its title, whatever the figure's height.
        legend={"orientation": "h", "yref": "container", "y": 0.01, "yanchor": "bottom", "x": 0},
    )
