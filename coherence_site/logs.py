"""What the logs hold and may not hold.

Not a survey's token (its link is its only key) nor a respondent's address: ``mask_survey_tokens`` is shared by
the Django log filter below and by the gunicorn access log (``coherence_site.gunicorn_logging``).
With ``LOG_FORMAT=json``, each line is one JSON object (``JsonFormatter``) carrying the id of the request it
belongs to (``request_id``, set by ``coherence_site.middleware.RequestIdMiddleware``).
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import uuid
from contextvars import ContextVar

from django.http import HttpRequest

# A survey link's token: what follows /survey/ up to the next slash, query, fragment, space or quote.
SURVEY_TOKEN = re.compile(r"(/survey/)[^/?#\s\"']+")
MASK = "\u2026"


def mask_survey_tokens(text: str) -> str:
    """Return ``text`` with every ``/survey/<token>`` shown as ``/survey/…``."""
    return SURVEY_TOKEN.sub(rf"\g<1>{MASK}", text)


class SurveyTokenFilter(logging.Filter):
    """Mask survey tokens in a record's message and arguments (Django logs each 4xx with its path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_survey_tokens(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(value) for value in record.args)
        return True


def _masked(value):
    return mask_survey_tokens(value) if isinstance(value, str) else value


# --- LOG_FORMAT=json: one JSON object a line, each with the id of the request it belongs to --------

# The request being served in this thread or task: set by RequestIdMiddleware, read by RequestIdFilter.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# What a proxy's X-Request-ID may hold to be kept (nginx's $request_id, a UUID, …); anything else is replaced.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}", re.ASCII)


def new_request_id(incoming: str | None = None) -> str:
    """Return ``incoming`` when it is a plausible request id, else a new one (a UUID4, hex)."""
    if incoming and VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request it was logged in (``None`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id; a request's method, path, status and
    duration when the record knows them; a traceback as text. Paths and messages show no survey token."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_survey_tokens(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):  # django.request and django.security pass the request
            entry["method"] = request.method
            entry["path"] = mask_survey_tokens(request.path)
        for field in ("method", "path", "status", "duration_ms"):  # the access log's (gunicorn_logging)
            if getattr(record, field, None) is not None:
                entry[field] = getattr(record, field)
        if getattr(record, "status_code", None) is not None:
            entry["status"] = record.status_code
        if record.exc_info:
            entry["exception"] = mask_survey_tokens(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = mask_survey_tokens(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)  # ASCII: a non-UTF-8 stream cannot break a line
