"""Browser journeys: Playwright drives Debian's Chromium (/usr/bin/chromium) against the live server.

Never `playwright install`: the project's setup installs Chromium with apt.
Screenshots of failing journeys are kept under test-results/.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright beside the live server

CHROMIUM = "/usr/bin/chromium"
RESULTS = Path(settings.BASE_DIR) / "test-results"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        for n, page in enumerate(item.funcargs.get("_pages", []), start=1):
            RESULTS.mkdir(exist_ok=True)
            page.screenshot(path=str(RESULTS / f"{item.name}-page{n}.png"), full_page=True)
    return report


@pytest.fixture
def _pages():
    return []


@pytest.fixture
def login(browser, live_server, _pages, settings):
    """Open a new browser context logged in as ``username``; returns its page."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    contexts = []

    def open_as(username: str, password: str = "pw-for-tests-only"):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        _pages.append(page)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.locator("main").get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()
