"""Each request has an id (the proxy's X-Request-ID or a new one) that every log line of it carries; LOG_FORMAT=json
writes one JSON object a line, with no survey token in it."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.test import Client

from coherence_site.logs import JsonFormatter, RequestIdFilter, request_id

TOKEN = "Zq3xY7-secretSurveyToken_42"


@pytest.fixture
def json_lines():
    """What the django.request logger writes through a JSON console handler like the one LOG_FORMAT=json sets."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_a_valid_request_id_from_the_proxy_is_kept_and_returned():
    response = Client().get("/healthz", headers={"X-Request-ID": "nginx-5f2b9c0e7a1d4e3f"})

    assert response["X-Request-ID"] == "nginx-5f2b9c0e7a1d4e3f"


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", [None, "", "two words", "line\nbreak", "x" * 129, "<script>"])
def test_a_request_without_a_valid_id_gets_a_new_uuid(incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}

    response = Client().get("/healthz", headers=headers)

    assert uuid.UUID(hex=response["X-Request-ID"]).version == 4
    assert response["X-Request-ID"] != incoming


@pytest.mark.django_db
def test_the_id_is_forgotten_once_the_response_is_closed():
    Client().get("/healthz", headers={"X-Request-ID": "done-1"})

    assert request_id.get() is None


@pytest.mark.django_db
def test_djangos_log_of_a_request_is_one_json_object_with_its_id_method_path_and_status(json_lines):
    response = Client().get(f"/survey/{TOKEN}/", headers={"X-Request-ID": "req-404"})

    assert response.status_code == 404
    [line] = json_lines()
    assert line["request_id"] == "req-404"
    assert line["level"] == "WARNING"
    assert line["logger"] == "django.request"
    assert line["method"] == "GET"
    assert line["path"] == "/survey/…/"
    assert line["status"] == 404
    assert TOKEN not in json.dumps(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_an_exception_is_logged_as_text_in_the_json_object_and_outside_a_request_the_id_is_null():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.ops")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad /survey/{TOKEN}/")
        except ValueError:
            logger.exception("It failed")
    finally:
        logger.removeHandler(handler)

    line = json.loads(stream.getvalue())
    assert line["message"] == "It failed"
    assert line["request_id"] is None
    assert line["exception"].startswith("Traceback (most recent call last)")
    assert "ValueError: bad /survey/…/" in line["exception"]
    assert TOKEN not in stream.getvalue()


def _settings_process(log_format: str) -> subprocess.CompletedProcess:
    code = "import logging; logging.getLogger('coherence').warning('hello %s', 'there')"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, "LOG_FORMAT": log_format, "DJANGO_SETTINGS_MODULE": "coherence_site.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_log_format_json_in_settings_makes_the_console_write_json_and_text_stays_the_default():
    as_json = _settings_process("json")
    as_text = _settings_process("")

    assert as_json.returncode == 0, as_json.stderr
    line = json.loads(as_json.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello there"
    assert line["logger"] == "coherence"
    assert as_text.stderr.strip().splitlines()[-1] == "hello there"


def test_an_unknown_log_format_refuses_to_start():
    refused = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "LOG_FORMAT": "yaml", "DJANGO_SETTINGS_MODULE": "coherence_site.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert refused.returncode != 0
    assert "LOG_FORMAT must be text or json" in refused.stderr
