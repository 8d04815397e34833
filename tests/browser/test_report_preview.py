"""The report preview draws its charts with plotly.js in the page, under the site's Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_report_preview_draws_both_charts_in_the_page(login, validated):
    page = login("quito-approver")
    problems = []  # scripts that failed, and anything the Content-Security-Policy refused
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if "Content Security" in message.text else None)

    page.goto(f"/rounds/{validated.pk}/")
    page.get_by_role("link", name="Preview the full report in the browser").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Quito · 2025")
    for figure in ("figure-profile", "figure-trend"):
        chart = page.locator(f'.chart[data-figure="{figure}"]')
        expect(chart.locator("svg.main-svg").first).to_be_visible()
    expect(page.locator('.chart[data-figure="figure-profile"] .gtitle')).to_contain_text("Dimension profile")
    expect(page.locator('.chart[data-figure="figure-profile"] .trace.bars')).to_have_count(2)
    assert problems == []
    assert_accessible(page, "report preview")
