"""Benchmark the pages with charts in a real browser, cold cache: time until every chart is drawn, and bytes.

Serves the app as in production (``DEBUG=0``, gunicorn, ``collectstatic`` with WhiteNoise's
compressed manifest storage into a temporary ``STATIC_ROOT``) on this command's database, which
needs the demo data (``load_catalogue``, then ``seed_demo`` with ``DEBUG=1``), and opens each page in
Debian's Chromium through Playwright (never ``playwright install``), each time in a new browser
context, so with an empty cache. Two variants, interleaved run by run: "full" swaps the page's
plotly.js for the full bundle the plotly Python package carries (what the pages loaded before
issue 18), "partial" is the page as served. A benchmark, not a test: it never fails for being slow.
"""

from __future__ import annotations

import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import brotli
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client, override_settings

CHROMIUM = "/usr/bin/chromium"
SECRET_KEY = "bench-browser-only-" + "x" * 40
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Collected but no part of these pages; compressing them only slows the command down.
NOT_ON_THESE_PAGES = ["admin", "rest_framework", "modeltranslation", "drf_spectacular*"]
FULL_BUNDLE = "bench-full/plotly.min.js"
# Record when charts.js says every chart is drawn, in ms since the navigation started.
RECORD_DRAWN = """
document.addEventListener("charts:drawn", function (event) {
  window.__chartsDrawn = { at: performance.now(), count: event.detail.count };
});
"""


class Command(BaseCommand):
    help = "Time until the charts are drawn, cold cache, in headless Chromium: full and partial plotly.js."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--shots", default="", help="a folder for screenshots of each page (partial bundle)")

    def handle(self, runs: int, port: int, shots: str, **options):
        if not Path(CHROMIUM).exists():
            self.stdout.write(f"skipped: no Chromium at {CHROMIUM} (apt-get install chromium)")
            return
        User = get_user_model()
        if not User.objects.filter(username="reviewer").exists():
            raise CommandError("Needs the demo data: manage.py load_catalogue, then DEBUG=1 manage.py seed_demo")
        pages = self.pages()
        with tempfile.TemporaryDirectory(prefix="bench-browser-") as root:
            env = self.production_env(Path(root), port)
            started = time.perf_counter()
            self.collect(env, Path(root))
            self.stdout.write(
                f"collectstatic (DEBUG=0, compressed manifest storage): {time.perf_counter() - started:.0f} s"
            )
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "coherence_site.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    "2",
                    "--log-level",
                    "warning",
                ],
                cwd=settings.BASE_DIR,
                env=env,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                self.wait_until_up(base + "/healthz")
                self.measure(base, pages, runs, Path(shots) if shots else None)
            finally:
                server.terminate()
                server.wait(timeout=20)

    def pages(self) -> list[tuple[str, str, str | None]]:
        """(label, path, username or None for the public) of each page with charts."""
        from assessments.models import Authority

        slug = Authority.objects.published().order_by("name").values_list("slug", flat=True).first()
        member = get_user_model().objects.filter(memberships__isnull=False).order_by("username").first()
        pages = [
            ("reviewer dashboard", "/dashboard/", "reviewer"),
            ("city dashboard", "/my-dashboard/", member.username if member else None),
            ("public dashboard", "/public/", None),
        ]
        if slug:
            pages.append(("public profile", f"/public/{slug}/", None))
        return pages

    def production_env(self, static_root: Path, port: int) -> dict[str, str]:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "STATIC_ROOT": str(static_root),
        }
        if connection.vendor == "postgresql":
            env["DATABASE_URL"] = (
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
            )
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        return env

    def collect(self, env: dict[str, str], root: Path) -> None:
        ignores = [f"--ignore={pattern}" for pattern in NOT_ON_THESE_PAGES]
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0", *ignores],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
        )
        # The "full" variant: plotly.js as the pages served it before, compressed the way WhiteNoise's storage would.
        import plotly

        full = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        target = root / FULL_BUNDLE
        target.parent.mkdir()
        shutil.copy(full, target)
        body = full.read_bytes()
        target.with_name(target.name + ".gz").write_bytes(gzip.compress(body, 9))
        target.with_name(target.name + ".br").write_bytes(brotli.compress(body))

    def wait_until_up(self, url: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise CommandError(f"gunicorn did not answer {url} within 30 s") from None
                time.sleep(0.3)

    def session_cookie(self, username: str, base: str) -> dict:
        client = Client()
        with override_settings(SECRET_KEY=SECRET_KEY):  # the server's: it signs sessions and their auth hash
            client.force_login(get_user_model().objects.get(username=username))
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        return {"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base}

    def measure(self, base: str, pages, runs: int, shots: Path | None) -> None:
        from playwright.sync_api import sync_playwright

        cookies = {user: self.session_cookie(user, base) for _label, _path, user in pages if user}
        results: dict[tuple[str, str], list[tuple[float, int, int]]] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                for run in range(runs + 1):  # the first run warms the server (imports, connections) and is dropped
                    for label, path, user in pages:
                        for variant in ("full", "partial"):
                            shot = shots / f"{path.strip('/').replace('/', '-')}.png" if shots and run == runs else None
                            figures = self.open(browser, base, path, cookies.get(user), variant, shot)
                            if run:
                                results.setdefault((label, variant), []).append(figures)
            finally:
                browser.close()
        self.stdout.write(
            f"{'page':<20} {'plotly.js':<8} {'drawn (ms)':>10} {'transferred':>12} {'charts':>6}   "
            f"(median of {runs} cold-cache loads)"
        )
        for label, _path, _user in pages:
            for variant in ("full", "partial"):
                rows = results[(label, variant)]
                drawn = statistics.median(r[0] for r in rows)
                transferred = statistics.median(r[1] for r in rows)
                verdict = "ok" if drawn <= 1000 else "over 1 s"
                self.stdout.write(
                    f"{label:<20} {variant:<8} {drawn:>10.0f} {transferred / 1024:>9.0f} KB {rows[0][2]:>6}   {verdict}"
                )
        if shots:
            self.stdout.write(f"screenshots (partial bundle) in {shots}")

    def open(self, browser, base: str, path: str, cookie: dict | None, variant: str, shot: Path | None):
        """Load ``path`` in a new context (an empty cache); return (ms until drawn, bytes received, charts)."""
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            if cookie:
                context.add_cookies([cookie])
            full = f"{base}/static/{FULL_BUNDLE}"
            # Both variants go through the same interception, so that it costs them alike.
            context.route(
                "**/static/vendor/plotly/*.js",
                lambda route: route.continue_(url=full) if variant == "full" else route.continue_(),
            )
            context.add_init_script(RECORD_DRAWN)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            received = []
            cdp.on("Network.loadingFinished", lambda event: received.append(event["encodedDataLength"]))
            response = page.goto(base + path)
            if response is None or response.status != 200:
                raise CommandError(f"{path}: HTTP {response.status if response else 'no response'}")
            # Polled from here: the site's Content-Security-Policy forbids the eval that wait_for_function needs.
            deadline = time.monotonic() + 30
            while not (drawn := page.evaluate("() => window.__chartsDrawn || null")):
                if time.monotonic() > deadline:
                    raise CommandError(f"{path}: the charts were not drawn within 30 s")
                time.sleep(0.02)
            if shot:
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot), full_page=True)
            return drawn["at"], sum(received), drawn["count"]
        finally:
            context.close()
