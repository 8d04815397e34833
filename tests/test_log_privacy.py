"""The logs hold neither a survey respondent's address nor a survey's token (the key to its link).

Gunicorn's access log goes through ``coherence_site.gunicorn_logging.PrivateAccessLogger`` (the
entrypoint's ``--logger-class``); Django's own request and security logs through the
``survey_tokens`` filter of ``settings.LOGGING``.
"""

from __future__ import annotations

import datetime
import io
import logging
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from gunicorn.config import Config

from coherence_site.gunicorn_logging import PrivateAccessLogger
from coherence_site.logs import mask_survey_tokens

TOKEN = "Zq3xY7-secretSurveyToken_42"
ADDRESSES = ("203.0.113.77", "198.51.100.9", "192.0.2.1")


def _access_line(access_log_format: str | None = None) -> str:
    config = Config()
    config.set("accesslog", "-")
    if access_log_format:
        config.set("access_log_format", access_log_format)
    logger = PrivateAccessLogger(config)
    stream = io.StringIO()
    logger.access_log.handlers = [logging.StreamHandler(stream)]
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/survey/{TOKEN}/?lang=fr",
        "PATH_INFO": f"/survey/{TOKEN}/",
        "QUERY_STRING": "lang=fr",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.77",
        "REMOTE_PORT": "51234",
        "HTTP_REFERER": f"https://coherence.example.org/survey/{TOKEN}/",
        "HTTP_USER_AGENT": "Phone/1.0",
        "HTTP_X_FORWARDED_FOR": "198.51.100.9, 192.0.2.1",
    }
    request = types.SimpleNamespace(
        headers=[
            ("HOST", "coherence.example.org"),
            ("REFERER", environ["HTTP_REFERER"]),
            ("USER-AGENT", "Phone/1.0"),
            ("X-FORWARDED-FOR", environ["HTTP_X_FORWARDED_FOR"]),
            ("X-REAL-IP", "198.51.100.9"),
            ("FORWARDED", "for=198.51.100.9"),
        ]
    )
    response = types.SimpleNamespace(
        status="302 Found", headers=[("Location", f"/survey/{TOKEN}/thanks/")], sent=0, response_length=0
    )
    logger.access(response, request, environ, datetime.timedelta(milliseconds=12))
    return stream.getvalue()


def test_the_access_log_line_holds_neither_the_address_nor_the_token():
    line = _access_line()

    assert '"POST /survey/…/?lang=fr HTTP/1.1" 302' in line
    assert '"https://coherence.example.org/survey/…/"' in line
    assert "Phone/1.0" in line
    assert line.startswith("- - - [")
    assert TOKEN not in line
    for address in ADDRESSES:
        assert address not in line


def test_a_format_that_asks_for_forwarding_headers_or_the_environ_gets_no_address_nor_token():
    line = _access_line(
        "%(h)s %({x-forwarded-for}i)s %({x-real-ip}i)s %({forwarded}i)s %({remote_addr}e)s %({remote_port}e)s "
        '%({http_x_forwarded_for}e)s "%(U)s" "%({raw_uri}e)s" "%({referer}i)s" "%({location}o)s"'
    )

    assert TOKEN not in line
    for address in ADDRESSES:
        assert address not in line
    assert '"/survey/…/" "/survey/…/?lang=fr"' in line
    assert '"/survey/…/thanks/"' in line


def test_the_entrypoint_runs_gunicorn_with_the_private_access_logger():
    entrypoint = (Path(settings.BASE_DIR) / "docker" / "entrypoint.sh").read_text()

    assert "--logger-class coherence_site.gunicorn_logging.PrivateAccessLogger" in entrypoint
    assert "--access-log-format" not in entrypoint  # the default format, whose %(h)s the logger hides


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"/survey/{TOKEN}/", "/survey/…/"),
        (f"/survey/{TOKEN}/thanks/", "/survey/…/thanks/"),
        (f"/survey/{TOKEN}", "/survey/…"),
        (f"Not Found: /survey/{TOKEN}/?lang=es", "Not Found: /survey/…/?lang=es"),
        ("/participation/rounds/3/survey/", "/participation/rounds/3/survey/"),
    ],
)
def test_a_survey_token_in_a_text_is_masked(text, masked):
    assert mask_survey_tokens(text) == masked


@pytest.mark.django_db
def test_djangos_request_log_of_a_bad_survey_link_shows_no_token(caplog):
    caplog.set_level(logging.WARNING, logger="django.request")

    response = Client().get(f"/survey/{TOKEN}/")

    assert response.status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records
    assert "/survey/…/" in caplog.text
    assert TOKEN not in caplog.text


@pytest.mark.django_db
def test_djangos_security_log_of_a_refused_survey_form_shows_no_token(caplog):
    caplog.set_level(logging.WARNING)

    response = Client(enforce_csrf_checks=True).post(f"/survey/{TOKEN}/", {"level-SP-01": "2"})

    assert response.status_code == 403
    assert any(r.name == "django.security.csrf" for r in caplog.records)
    assert TOKEN not in caplog.text
