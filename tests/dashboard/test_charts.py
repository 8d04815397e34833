"""Chart builders: known data in, the expected traces and values out, valid by Plotly's schema."""

import plotly.graph_objects as go

from dashboard import charts


def valid(figure: dict) -> dict:
    """Check the figure against Plotly's schema (it raises on an unknown or malformed property)."""
    go.Figure(figure)
    return figure


def test_profile_figure_has_a_self_and_a_validated_bar_per_dimension():
    bars = [charts.DimensionBar("HC", "Horizontal", 50.0, 62.5), charts.DimensionBar("VC", "Vertical", None, 25.0)]
    figure = valid(charts.profile_figure(bars, title="Profile", labels=("Self", "Validated")))
    self_trace, validated_trace = figure["data"]
    assert (self_trace["name"], self_trace["x"], self_trace["y"]) == ("Self", ["HC", "VC"], [50.0, None])
    assert validated_trace["y"] == [62.5, 25.0]
    assert validated_trace["text"] == ["62", "25"]  # the number is written on each bar


def test_trend_figure_has_one_line_per_dimension_with_gaps_where_no_score():
    points = [
        charts.TrendPoint("2021", "HC", 40.0),
        charts.TrendPoint("2023", "HC", 55.0),
        charts.TrendPoint("2023", "VC", None),
        charts.TrendPoint("2021", "VC", 30.0),
    ]
    data = valid(charts.trend_figure(points, title="Trend"))["data"]
    assert [trace["name"] for trace in data] == ["HC", "VC"]
    assert data[0]["x"] == ["2021", "2023"] and data[0]["y"] == [40.0, 55.0]
    assert data[1]["y"] == [30.0, None]
    assert data[0]["marker"]["symbol"] != data[1]["marker"]["symbol"]  # not colour alone


def test_heatmap_keeps_rows_in_the_given_order_and_writes_each_score():
    rows = [charts.HeatmapRow("Accra", (10.0, None)), charts.HeatmapRow("Quito", (75.0, 50.0))]
    heatmap = valid(charts.heatmap_figure(rows, ["HC", "VC"], title="Heatmap"))["data"][0]
    assert heatmap["y"] == ["Accra", "Quito"] and heatmap["x"] == ["HC", "VC"]
    assert heatmap["z"] == [[10.0, None], [75.0, 50.0]]
    assert heatmap["text"] == [["10", ""], ["75", "50"]]
    assert (heatmap["zmin"], heatmap["zmax"]) == (0, 100)


def test_level_distribution_stacks_five_levels_per_indicator():
    rows = [charts.LevelDistribution("VC-03", (3, 1, 0, 0, 0)), charts.LevelDistribution("HC-01", (0, 0, 2, 1, 1))]
    figure = valid(charts.level_distribution_figure(rows, title="Weakest", level_labels=["0", "1", "2", "3", "4"]))
    assert len(figure["data"]) == 5 and figure["layout"]["barmode"] == "stack"
    assert figure["data"][0]["x"] == [3, 0] and figure["data"][4]["x"] == [0, 1]
    assert figure["data"][0]["y"] == ["VC-03", "HC-01"]


def test_self_validated_figure_plots_each_authority_against_the_diagonal():
    points = [charts.SelfValidatedPoint("Quito", 60.0, 45.0), charts.SelfValidatedPoint("Accra", 30.0, 35.0)]
    diagonal, authorities = valid(charts.self_validated_figure(points, title="Self vs validated"))["data"]
    assert diagonal["x"] == [0, 100] and diagonal["y"] == [0, 100]
    assert authorities["x"] == [60.0, 30.0] and authorities["y"] == [45.0, 35.0]
    assert authorities["text"] == ["Quito", "Accra"]


def test_peer_profile_figure_puts_the_median_beside_the_bars():
    figure = charts.peer_profile_figure(
        ["HC", "VC"], [50.0, 20.0], [40.0, None], title="Peers", labels=("Quito", "Median")
    )
    bars, median = valid(figure)["data"]
    assert bars["y"] == [50.0, 20.0] and median["y"] == [40.0, None]
