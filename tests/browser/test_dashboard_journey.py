"""A reviewer's dashboard draws its five charts in the browser, and a filter changes what they show."""

import re

import pytest
from playwright.sync_api import expect

from assessments import services
from tests.browser.conftest import assert_accessible
from tests.world import answer_everything, make_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def validate(city, period: str, level: int, reviewer) -> None:
    """Take a round through the real workflow to validation, every indicator at ``level``."""
    round = services.round_create(authority=city.authority, period=period, actor=city.approver)
    answer_everything(round, city.editor, level=level)
    services.round_submit(round=round, actor=city.approver)
    services.round_review(round=round, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)


@pytest.fixture
def rounds(catalogue, reviewer):
    """Four cities validated in 2025, two of them also in 2024."""
    cities = {slug: make_city(slug) for slug in ("accra", "lima", "naga", "tunis")}
    for slug, level in (("accra", 1), ("lima", 2)):
        validate(cities[slug], "2024", level, reviewer)
    for slug, level in (("accra", 2), ("lima", 3), ("naga", 1), ("tunis", 4)):
        validate(cities[slug], "2025", level, reviewer)


def test_the_reviewer_dashboard_draws_five_charts_and_a_filter_redraws_them(login, rounds):
    page = login("rita-reviewer")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    charts = page.locator(".chart")
    expect(charts).to_have_count(5)
    for chart in charts.all():
        expect(chart.locator("svg.main-svg").first).to_be_visible()
    heatmap = page.locator("#chart-heatmap")
    expect(heatmap.locator(".ytick text")).to_have_count(4)
    assert sorted(heatmap.locator(".ytick text").all_text_contents()) == ["Accra", "Lima", "Naga", "Tunis"]
    expect(page.locator("#panel-heatmap-summary")).to_contain_text("4 authorities in 2025")
    assert_accessible(page, "reviewer dashboard")

    page.get_by_label("Period").select_option("2024")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]period=2024(&|$)"))
    expect(page.locator("#panel-heatmap-summary")).to_contain_text("2 authorities in 2024")
    expect(page.get_by_role("heading", name="Validated scores by dimension, 2024")).to_be_visible()
    expect(heatmap.locator(".ytick text")).to_have_count(2)
    assert sorted(heatmap.locator(".ytick text").all_text_contents()) == ["Accra", "Lima"]
    expect(charts).to_have_count(5)
    for chart in charts.all():
        expect(chart.locator("svg.main-svg").first).to_be_visible()
    assert_accessible(page, "reviewer dashboard (2024)")
