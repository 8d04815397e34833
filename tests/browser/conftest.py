"""Browser journeys: Playwright drives Debian's Chromium (/usr/bin/chromium) against the live server.

Never `playwright install`: the project's setup installs Chromium with apt.
Screenshots of failing journeys are kept under test-results/, and `assert_accessible` records what
axe-core (vendor/, see its README) finds on each checked page in test-results/axe-results.json.
"""

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import expect

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright beside the live server

CHROMIUM = "/usr/bin/chromium"
expect.set_options(timeout=15_000)
RESULTS = Path(settings.BASE_DIR) / "test-results"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core, see vendor/README.md
AXE_RESULTS = RESULTS / "axe-results.json"
BLOCKING_IMPACTS = ("serious", "critical")


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
        page.set_default_timeout(20_000)  # CI shares two cores with the live server and PostgreSQL
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
    _wait_for_requests_in_flight(live_server)


def _wait_for_requests_in_flight(live_server, timeout: float = 30) -> None:
    """Let the live server finish the requests the closed pages left behind before the database is emptied.

    A save still running when pytest-django truncates the tables for the next test holds row locks that the
    TRUNCATE waits on while the save waits on the TRUNCATE: PostgreSQL breaks the deadlock by failing the
    flush, and the next test starts on the last one's rows. Each request runs in a thread of the server
    (socketserver.ThreadingMixIn keeps them in ``_threads``); closing a browser context ends its
    connections, so these threads end once their request is answered.
    """
    for thread in list(getattr(live_server.thread.httpd, "_threads", ())):
        thread.join(timeout)


def assert_accessible(page, name: str) -> None:
    """Check the page with axe-core, record its violations under ``name``; fail on serious or critical ones."""
    # Evaluated rather than added as a <script> tag: the site's Content-Security-Policy (script-src 'self')
    # refuses inline scripts, and the journeys must run under the policy users get.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    # Colours are measured once running transitions end (a button that just got the focus is mid-fade).
    violations = page.evaluate(
        """async () => {
            const transitions = document.getAnimations().filter((animation) => animation instanceof CSSTransition);
            await Promise.allSettled(transitions.map((transition) => transition.finished));
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map((node) => node.target.join(" ")), summary: v.nodes[0].failureSummary,
            }));
        }"""
    )
    _record_axe(name, page.url, violations)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [
            f"- {v['id']} ({v['impact']}): {v['help']}; {len(v['targets'])} node(s), first: "
            f"{', '.join(v['targets'][:3])}\n  {v['summary']}"
            for v in blocking
        ]
        pytest.fail(f"axe found serious accessibility problems on {name} ({page.url}):\n" + "\n".join(lines))


def _record_axe(name: str, url: str, violations: list[dict]) -> None:
    RESULTS.mkdir(exist_ok=True)
    try:
        recorded = json.loads(AXE_RESULTS.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        recorded = {}
    recorded[name] = {
        "path": urlsplit(url).path,
        "violations": [{"id": v["id"], "impact": v["impact"], "nodes": len(v["targets"])} for v in violations],
    }
    temporary = AXE_RESULTS.with_suffix(".tmp")
    temporary.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(AXE_RESULTS)
