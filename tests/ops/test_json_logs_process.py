"""A real gunicorn with LOG_FORMAT=json and DEBUG=0: every line it writes is a JSON object, and a request's lines
carry the request's id, which the response returns in X-Request-ID; an error's traceback carries it too."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.processes import free_port

pytestmark = [pytest.mark.processes, pytest.mark.xdist_group("processes")]

TOKEN = "Zq3xY7-secretSurveyToken_42"


class Gunicorn:
    def __init__(self, directory: Path):
        self.port = free_port()
        self.out = directory / "gunicorn.out"
        self.err = directory / "gunicorn.err"
        (directory / "static").mkdir()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(directory),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_FORMAT": "json",
            # An empty SQLite database: /healthz answers, /readyz finds the migrations not applied, and a page
            # that reads the catalogue fails inside the request.
            "VAR_DIR": str(directory),
            "MEDIA_ROOT": str(directory / "media"),
            "STATIC_ROOT": str(directory / "static"),
        }
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("gunicorn")),
                    "coherence_site.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                    "--access-logfile",
                    "-",
                    "--logger-class",
                    "coherence_site.gunicorn_logging.PrivateAccessLogger",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + 60
        while not self._answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                pytest.fail(f"gunicorn did not start:\n{self.err.read_text()}")
            time.sleep(0.3)

    def _answers(self) -> bool:
        try:
            return self.get("/healthz", request_id="startup").status_code == 200
        except requests.ConnectionError:
            return False

    def get(self, path: str, request_id: str | None = None) -> requests.Response:
        # As the TLS proxy sends it: the Host it serves, and that the visitor came over HTTPS.
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        if request_id:
            headers["X-Request-ID"] = request_id
        return requests.get(f"http://127.0.0.1:{self.port}{path}", headers=headers, timeout=20, allow_redirects=False)

    def lines(self) -> list[dict]:
        """Every line gunicorn wrote (its log and Django's on stderr, the access log on stdout), each parsed."""
        text = self.err.read_text() + self.out.read_text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def gunicorn(tmp_path):
    server = Gunicorn(tmp_path)
    yield server
    server.stop()


def _wait_for(gunicorn: Gunicorn, predicate, what: str) -> list[dict]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [line for line in gunicorn.lines() if predicate(line)]
        if lines:
            return lines
        time.sleep(0.2)
    pytest.fail(f"no log line for {what} in:\n{gunicorn.err.read_text()}\n{gunicorn.out.read_text()}")


def test_a_request_with_and_without_an_id_is_logged_in_json_with_the_id_the_response_returns(gunicorn):
    given = gunicorn.get("/healthz", request_id="proxy-7f3a9c")
    made = gunicorn.get("/healthz")

    assert given.status_code == made.status_code == 200
    assert given.headers["X-Request-ID"] == "proxy-7f3a9c"
    new_id = made.headers["X-Request-ID"]
    assert uuid.UUID(hex=new_id).version == 4

    for request_id in ("proxy-7f3a9c", new_id):
        [access] = _wait_for(gunicorn, lambda line, rid=request_id: line.get("request_id") == rid, request_id)
        assert access["logger"] == "gunicorn.access"
        assert access["method"] == "GET"
        assert access["path"] == "/healthz"
        assert access["status"] == 200
        assert isinstance(access["duration_ms"], int | float)
        assert access["level"] == "INFO"
        assert "time" in access
        assert "127.0.0.1" not in json.dumps(access)  # the client's address is not logged
    # gunicorn's own lines are JSON too (lines() parsed every one), with no request id.
    booting = [line for line in gunicorn.lines() if line["logger"] == "gunicorn.error"]
    assert any("Booting worker" in line["message"] for line in booting)
    assert all(line["request_id"] is None for line in booting)


def test_an_error_inside_a_request_logs_its_traceback_with_the_requests_id(gunicorn):
    response = gunicorn.get("/methodology/", request_id="boom-42")
    survey = gunicorn.get(f"/survey/{TOKEN}/", request_id="survey-1")  # fails too: the database is empty

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "boom-42"
    lines = _wait_for(gunicorn, lambda line: line.get("request_id") == "boom-42", "boom-42")
    [error] = [line for line in lines if line["logger"] == "django.request"]
    assert error["level"] == "ERROR"
    assert error["status"] == 500
    assert error["path"] == "/methodology/"
    assert error["exception"].startswith("Traceback (most recent call last)")
    assert "OperationalError" in error["exception"]
    _wait_for(gunicorn, lambda line: line.get("request_id") == "boom-42" and line.get("status") == 500, "the access")
    # The survey's token is in no line, whether Django's, gunicorn's or the access log's.
    assert survey.status_code >= 400
    survey_lines = _wait_for(gunicorn, lambda line: line.get("request_id") == "survey-1", "survey-1")
    assert {line["path"] for line in survey_lines} == {"/survey/…/"}
    assert TOKEN not in gunicorn.err.read_text() + gunicorn.out.read_text()


def test_readyz_in_the_real_process_answers_503_while_migrations_wait(gunicorn):
    response = gunicorn.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["pending"] > 0
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"] == {"ok": True, "mode": "in-process", "ms": body["checks"]["broker"]["ms"]}
    assert body["checks"]["storage"]["ok"] is True
