"""Gunicorn's access log without the client's address or a survey's token (``--logger-class``).

The survey promises respondents that their address is not recorded, and its token is the key to
its link: the access log keeps neither. Every atom that can hold an address (``%(h)s``, the
forwarding headers, ``REMOTE_ADDR``) reads ``-``; every other one (the request line, path and
referrer among them) shows ``/survey/…`` for ``/survey/<token>``.

With ``LOG_FORMAT=json``, gunicorn's own log and its access log are JSON lines like Django's: the access line has
the method, path, status, duration and the request id (the response's X-Request-ID, which
``coherence_site.middleware.RequestIdMiddleware`` set), and no address either.
"""

from __future__ import annotations

import os

from gunicorn.glogging import Logger

from .logs import JsonFormatter, RequestIdFilter, mask_survey_tokens

HIDDEN = "-"
# Atoms that carry the client's address: gunicorn's own, request headers ({…}i), environ ({…}e).
ADDRESS_ATOMS = frozenset(
    {"h", "{remote_addr}e", "{remote_port}e", "{x-real-ip}i", "{http_x_real_ip}e", "{true-client-ip}i"}
    | {"{cf-connecting-ip}i", "{client-ip}i", "{http_client_ip}e"}
)


def _carries_address(atom: str) -> bool:
    return atom in ADDRESS_ATOMS or "forwarded" in atom  # Forwarded, X-Forwarded-For, HTTP_X_FORWARDED_FOR …


def _json() -> bool:
    return os.environ.get("LOG_FORMAT", "").strip().lower() == "json"


class PrivateAccessLogger(Logger):
    """Gunicorn's logger, whose access log holds no client address and no survey token."""

    def setup(self, cfg):
        super().setup(cfg)
        if _json():
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())
                    handler.addFilter(RequestIdFilter())

    def access(self, resp, req, environ, request_time):
        if not _json():
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": atoms.get("{x-request-id}o"),
        }
        self.access_log.info('"%s" %s', atoms["r"], atoms["s"], extra=fields)
        return None

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        remote = environ.get("REMOTE_ADDR") or None
        for atom, value in atoms.items():
            if _carries_address(atom) or (remote is not None and value == remote):
                atoms[atom] = HIDDEN
            elif isinstance(value, str):
                atoms[atom] = mask_survey_tokens(value)
        return atoms
