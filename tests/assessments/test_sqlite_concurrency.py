"""The embedded mode (SQLite) keeps every answer when many are autosaved at the same moment.

A real server process on a fresh SQLite file, with the embedded mode's settings, and real HTTP
requests from threads: no PostgreSQL, no Redis, so this runs everywhere, CI included.
"""

import http.cookiejar
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.processes import free_port, manage

SAVES = 30
# Two processes of eight threads: writers meet both within a process and across processes.
GUNICORN = ["--workers", "2", "--threads", "8", "--timeout", "120"]
PASSWORD = "pw-for-tests-only"

SETUP = f"""
from django.contrib.auth import get_user_model
from assessments import services
from assessments.models import Authority, Membership
from indicators.models import CatalogueVersion

authority = Authority.objects.create(name="Quito", slug="quito", kind="municipality", country="Ecuador", region="Americas")
editor = get_user_model().objects.create_user("quito-editor", password="{PASSWORD}")
Membership.objects.create(user=editor, authority=authority, role=Membership.Role.EDITOR)
approver = get_user_model().objects.create_user("quito-approver")
Membership.objects.create(user=approver, authority=authority, role=Membership.Role.APPROVER)
round = services.round_create(authority=authority, period="2025", actor=approver)
codes = list(CatalogueVersion.objects.current().indicators.values_list("code", flat=True))
print("ROUND", round.pk)
print("CODES", " ".join(sorted(codes)[:{SAVES}]))
"""


@pytest.fixture
def sqlite_server(tmp_path):
    """Serve the app with gunicorn from a subprocess on a fresh SQLite file; stop it by its pid."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'coherence.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DEBUG": "1",
    }
    for name in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_catalogue", "-v0")
    output = manage(env, "shell", "-c", SETUP)
    round_pk = int(re.search(r"^ROUND (\d+)$", output, re.M).group(1))
    codes = re.search(r"^CODES (.+)$", output, re.M).group(1).split()
    assert len(codes) == SAVES

    port = free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "coherence_site.wsgi:application", "--bind", f"127.0.0.1:{port}", *GUNICORN],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/accounts/login/", timeout=5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the server did not start:\n" + Path(tmp_path / "server.log").read_text())
                time.sleep(0.2)
        yield url, round_pk, codes, tmp_path / "coherence.sqlite3"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _logged_in(url: str) -> tuple[urllib.request.OpenerDirector, str]:
    """Log in through the real form; return an opener holding the session and the CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{url}/accounts/login/", timeout=30).close()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    body = urllib.parse.urlencode({"username": "quito-editor", "password": PASSWORD, "csrfmiddlewaretoken": token})
    opener.open(f"{url}/accounts/login/", body.encode(), timeout=30).close()
    assert any(cookie.name == "sessionid" for cookie in jar), "the log-in failed"
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    return opener, token


def test_thirty_answers_autosaved_at_the_same_moment_are_all_saved(sqlite_server):
    url, round_pk, codes, database = sqlite_server
    opener, token = _logged_in(url)
    start = threading.Barrier(len(codes))
    statuses: dict[str, int | str] = {}

    def save(code: str) -> None:
        body = urllib.parse.urlencode(
            {f"{code}-choice": "2", f"{code}-justification": f"Minutes of {code}", f"{code}-revision": "0"}
        ).encode()
        request = urllib.request.Request(
            f"{url}/rounds/{round_pk}/answers/{code}/",
            data=body,
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
        start.wait(timeout=30)
        try:
            with opener.open(request, timeout=60) as response:
                statuses[code] = response.status
        except urllib.error.HTTPError as error:
            statuses[code] = error.code
        except OSError as error:
            statuses[code] = repr(error)

    threads = [threading.Thread(target=save, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == dict.fromkeys(codes, 200)
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # readers never wait for the writer
        saved = dict(
            db.execute(
                "SELECT i.code, a.justification FROM assessments_answer a"
                " JOIN indicators_indicator i ON i.id = a.indicator_id WHERE a.round_id = ?",
                (round_pk,),
            ).fetchall()
        )
    assert saved == {code: f"Minutes of {code}" for code in codes}
