"""The HTML preview draws its charts with plotly.js in the page; only the PDF (the worker) exports SVG with Chromium."""

import json
import re

import kaleido
import pytest
from django.urls import reverse

from reports import rendering
from reports.services import render_report_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_browser(monkeypatch):
    """Make every way to Chromium (the SVG export, kaleido itself) record the call and raise."""
    calls = []

    def refuse(name):
        def call(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called: a web worker must not start Chromium")

        return call

    monkeypatch.setattr(rendering, "figure_svg", refuse("figure_svg"))
    monkeypatch.setattr(kaleido, "start_sync_server", refuse("kaleido.start_sync_server"))
    monkeypatch.setattr(kaleido, "calc_fig_sync", refuse("kaleido.calc_fig_sync"))
    return calls


def _json_scripts(body: str) -> dict[str, dict]:
    found = re.findall(r'<script id="([^"]+)" type="application/json">(.*?)</script>', body, re.DOTALL)
    return {name: json.loads(text) for name, text in found}


def test_the_preview_answers_with_the_figures_and_starts_no_browser(client, validated, quito, no_browser):
    client.force_login(quito.editor)

    response = client.get(reverse("report_preview", args=[validated.pk]), {"language": "en"})

    assert response.status_code == 200
    assert no_browser == []
    body = response.content.decode()
    figures = _json_scripts(body)
    assert set(figures) == {"figure-profile", "figure-trend"}
    profile = figures["figure-profile"]
    assert [trace["name"] for trace in profile["data"]] == ["Self-assessed", "Validated"]
    assert "Dimension profile" in profile["layout"]["title"]["text"]
    assert 'data-figure="figure-profile"' in body and 'data-figure="figure-trend"' in body
    assert "<svg" not in body  # nothing exported: plotly.js draws the charts in the page


def test_the_preview_shows_the_very_figures_the_pdf_exports(client, validated, quito, monkeypatch):
    exported = []

    def export(figure):
        exported.append(json.loads(json.dumps(figure)))
        return '<svg class="main-svg"></svg>'

    monkeypatch.setattr(rendering, "figure_svg", export)
    render_report_html(validated, "en")
    client.force_login(quito.editor)

    body = client.get(reverse("report_preview", args=[validated.pk]), {"language": "en"}).content.decode()

    figures = _json_scripts(body)
    assert [figures["figure-profile"], figures["figure-trend"]] == exported


def test_the_preview_loads_plotly_and_the_chart_script_and_runs_no_inline_script(client, validated, quito, no_browser):
    client.force_login(quito.editor)

    body = client.get(reverse("report_preview", args=[validated.pk])).content.decode()

    scripts = re.findall(r"<script\b([^>]*)>", body)
    sources = [re.search(r'src="([^"]+)"', attributes) for attributes in scripts]
    assert [m.group(1) for m in sources if m] == [
        "/static/vendor/plotly/plotly-cartesian.min.js",
        "/static/js/charts.js",
    ]
    # The Content-Security-Policy (script-src 'self') refuses inline scripts: only JSON data sits inline.
    assert all(m or 'type="application/json"' in attributes for m, attributes in zip(sources, scripts, strict=True))


def test_the_pdf_still_embeds_the_charts_as_svg(validated):
    html, _fingerprint = render_report_html(validated, "en")

    assert html.count('<svg class="main-svg"') == 2  # exported by kaleido, inline
    assert "Dimension profile" in html
    assert "data-figure" not in html and "application/json" not in html and "vendor/plotly" not in html
