"""What the logs may not hold: a survey's token (its link is its only key) or a respondent's address.

``mask_survey_tokens`` is shared by the Django log filter below and by the gunicorn access log
(``coherence_site.gunicorn_logging``).
"""

from __future__ import annotations

import logging
import re

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
