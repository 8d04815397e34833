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
