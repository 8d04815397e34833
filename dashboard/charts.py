"""Chart figures: pure functions from plain data to Plotly figures.

The dashboard draws them in the browser (plotly.js from static/); the PDF report turns the
same figures into SVG (reports/rendering.py). No function here touches the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from django.utils.translation import gettext as _

# Colour-blind-safe pair (Okabe-Ito) plus a neutral; bars also differ by pattern, so colour is
# never the only signal.
SELF_COLOUR = "#E69F00"
VALIDATED_COLOUR = "#0072B2"
NEUTRAL = "#555555"
BAND_LINES = (25, 50, 75)


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


def _layout(figure: go.Figure, title: str, subtitle: str = "") -> go.Figure:
    text = f"{title}<br><sup>{subtitle}</sup>" if subtitle else title
    figure.update_layout(
        title={"text": text, "x": 0, "xanchor": "left"},
        font={"family": "Noto Sans, DejaVu Sans, sans-serif", "size": 12, "color": "#222"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 50, "r": 20, "t": 70, "b": 50},
        legend={"orientation": "h", "y": -0.18},
        width=720,
        height=360,
    )
    figure.update_yaxes(range=[0, 100], gridcolor="#e5e5e5", title_text=_("Score (0-100)"), dtick=25)
    return figure


def profile_figure(
    bars: Sequence[DimensionBar], *, title: str, subtitle: str = "", labels: tuple[str, str]
) -> go.Figure:
    """Grouped bars of each dimension's self-assessed and validated score."""
    self_label, validated_label = labels
    x = [bar.code for bar in bars]
    hover = [bar.name for bar in bars]
    figure = go.Figure(
        [
            go.Bar(
                name=self_label,
                x=x,
                y=[bar.self_score for bar in bars],
                hovertext=hover,
                marker={"color": SELF_COLOUR, "pattern": {"shape": "/"}},
                text=[_label(bar.self_score) for bar in bars],
                textposition="outside",
            ),
            go.Bar(
                name=validated_label,
                x=x,
                y=[bar.validated_score for bar in bars],
                hovertext=hover,
                marker={"color": VALIDATED_COLOUR},
                text=[_label(bar.validated_score) for bar in bars],
                textposition="outside",
            ),
        ]
    )
    figure.update_layout(barmode="group")
    return _layout(figure, title, subtitle)


def trend_figure(points: Sequence[TrendPoint], *, title: str, subtitle: str = "") -> go.Figure:
    """One line per dimension across periods (gaps where a dimension had no score)."""
    periods = sorted({p.period for p in points})
    dimensions = list(dict.fromkeys(p.dimension for p in points))
    by_key = {(p.dimension, p.period): p.score for p in points}
    symbols = ["circle", "square", "diamond", "triangle-up", "x", "star"]
    figure = go.Figure(
        [
            go.Scatter(
                name=dimension,
                x=periods,
                y=[by_key.get((dimension, period)) for period in periods],
                mode="lines+markers",
                marker={"symbol": symbols[n % len(symbols)], "size": 9},
                connectgaps=False,
            )
            for n, dimension in enumerate(dimensions)
        ]
    )
    figure.update_xaxes(type="category")
    return _layout(figure, title, subtitle)


def _label(score: float | None) -> str:
    return "" if score is None else f"{score:.0f}"


@dataclass(frozen=True)
class HeatmapRow:
    authority: str
    scores: tuple[float | None, ...]  # one per dimension, in the order of ``dimensions``


def heatmap_figure(
    rows: Sequence[HeatmapRow], dimensions: Sequence[str], *, title: str, subtitle: str = ""
) -> go.Figure:
    """Authorities × dimensions, coloured by score; each cell also says its number."""
    z = [list(row.scores) for row in rows]
    text = [["" if score is None else f"{score:.0f}" for score in row.scores] for row in rows]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=list(dimensions),
            y=[row.authority for row in rows],
            text=text,
            texttemplate="%{text}",
            zmin=0,
            zmax=100,
            colorscale="Blues",
            colorbar={"title": {"text": _("Score")}},
            hoverongaps=False,
        )
    )
    figure = _layout(figure, title, subtitle)
    figure.update_yaxes(range=None, autorange="reversed", dtick=None, title_text="", gridcolor=None)
    figure.update_layout(height=max(320, 60 + 26 * len(rows)))
    return figure


@dataclass(frozen=True)
class LevelDistribution:
    indicator: str
    counts: tuple[int, int, int, int, int]  # authorities at validated level 0, 1, 2, 3, 4


def level_distribution_figure(
    rows: Sequence[LevelDistribution], *, title: str, subtitle: str = "", level_labels: Sequence[str]
) -> go.Figure:
    """Stacked horizontal bars: how many authorities sit at each validated level, per indicator."""
    colours = ["#b2182b", "#ef8a62", "#fddbc7", "#67a9cf", "#2166ac"]
    patterns = ["x", "/", "", ".", "+"]
    figure = go.Figure(
        [
            go.Bar(
                name=level_labels[level],
                y=[row.indicator for row in rows],
                x=[row.counts[level] for row in rows],
                orientation="h",
                marker={"color": colours[level], "pattern": {"shape": patterns[level]}},
            )
            for level in range(5)
        ]
    )
    figure.update_layout(barmode="stack")
    figure = _layout(figure, title, subtitle)
    figure.update_yaxes(range=None, autorange="reversed", dtick=None, title_text="")
    figure.update_xaxes(title_text=_("Authorities"))
    figure.update_layout(height=max(320, 80 + 28 * len(rows)))
    return figure


@dataclass(frozen=True)
class SelfValidatedPoint:
    authority: str
    self_score: float
    validated_score: float


def self_validated_figure(points: Sequence[SelfValidatedPoint], *, title: str, subtitle: str = "") -> go.Figure:
    """Each authority's self-assessed against validated headline; above the line, reviewers rated higher."""
    figure = go.Figure(
        [
            go.Scatter(
                x=[0, 100],
                y=[0, 100],
                mode="lines",
                line={"color": NEUTRAL, "dash": "dash"},
                name=_("Same score"),
                hoverinfo="skip",
            ),
            go.Scatter(
                x=[p.self_score for p in points],
                y=[p.validated_score for p in points],
                mode="markers",
                marker={"color": VALIDATED_COLOUR, "size": 9, "symbol": "circle"},
                text=[p.authority for p in points],
                hovertemplate="%{text}: %{x:.0f} → %{y:.0f}<extra></extra>",
                name=_("Authorities"),
            ),
        ]
    )
    figure = _layout(figure, title, subtitle)
    figure.update_xaxes(range=[0, 100], title_text=_("Self-assessed headline"), dtick=25, gridcolor="#e5e5e5")
    figure.update_yaxes(title_text=_("Validated headline"))
    return figure


def peer_profile_figure(
    codes: Sequence[str],
    own: Sequence[float | None],
    median: Sequence[float | None],
    *,
    title: str,
    subtitle: str = "",
    labels: tuple[str, str],
) -> go.Figure:
    """An authority's dimension scores beside its peer group's median."""
    own_label, median_label = labels
    figure = go.Figure(
        [
            go.Bar(
                name=own_label,
                x=list(codes),
                y=list(own),
                marker={"color": VALIDATED_COLOUR},
                text=[_label(v) for v in own],
                textposition="outside",
            ),
            go.Scatter(
                name=median_label,
                x=list(codes),
                y=list(median),
                mode="markers",
                marker={"color": "#222", "symbol": "line-ew-open", "size": 28, "line": {"width": 3}},
            ),
        ]
    )
    return _layout(figure, title, subtitle)
