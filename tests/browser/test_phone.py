"""On a phone (390 × 844 CSS pixels) the home page's table of rounds fits the screen: every column
can be read without scrolling sideways, in English and in Spanish (the longest dates)."""

import datetime

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from assessments import services
from tests.browser.conftest import RESULTS, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server, _pages, settings):
    """Log in on a phone-sized screen; returns the page."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True)

    def open_as(username: str, language: str = "en"):
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(20_000)
        _pages.append(page)
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill("pw-for-tests-only")
        page.locator("main").locator("button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_as
    context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_home_table_fits_a_phone_screen(phone, quito, language):
    services.round_create(
        authority=quito.authority, period="2025", actor=quito.approver, due_date=datetime.date(2025, 11, 30)
    )
    services.round_create(authority=quito.authority, period="2024", actor=quito.approver)

    page = phone("quito-approver", language)
    table = page.locator("main table")
    expect(table).to_be_visible()
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"phone-home-{language}.png"), full_page=True)

    widths = table.evaluate(
        """(table) => ({
            table: table.scrollWidth,
            box: table.parentElement.clientWidth,
            page: document.documentElement.scrollWidth,
            screen: window.innerWidth,
            cells: Math.max(...[...table.querySelectorAll("th, td")].map((cell) => cell.getBoundingClientRect().right)),
        })"""
    )
    assert widths["screen"] == PHONE["width"]
    assert widths["table"] <= widths["box"], widths  # nothing hidden in a sideways scroll
    assert widths["page"] <= PHONE["width"], widths
    assert widths["cells"] <= PHONE["width"], widths  # every cell, the last columns too, is on screen
    # The last two columns, the ones a phone used to cut off, are on screen.
    expect(page.get_by_text("30 de noviembre de 2025" if language == "es" else "Nov. 30, 2025")).to_be_in_viewport()
    with translation.override(language):
        waiting = gettext("Fill in the answers, then submit")
    expect(page.get_by_text(waiting).first).to_be_in_viewport()
    assert_accessible(page, f"home on a phone ({language})")
