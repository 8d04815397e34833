"""Gunicorn's access log without the client's address or a survey's token (``--logger-class``).

The survey promises respondents that their address is not recorded, and its token is the key to
its link: the access log keeps neither. Every atom that can hold an address (``%(h)s``, the
forwarding headers, ``REMOTE_ADDR``) reads ``-``; every other one (the request line, path and
referrer among them) shows ``/survey/…`` for ``/survey/<token>``.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from .logs import mask_survey_tokens

HIDDEN = "-"
# Atoms that carry the client's address: gunicorn's own, request headers ({…}i), environ ({…}e).
ADDRESS_ATOMS = frozenset(
    {"h", "{remote_addr}e", "{remote_port}e", "{x-real-ip}i", "{http_x_real_ip}e", "{true-client-ip}i"}
    | {"{cf-connecting-ip}i", "{client-ip}i", "{http_client_ip}e"}
)


def _carries_address(atom: str) -> bool:
    return atom in ADDRESS_ATOMS or "forwarded" in atom  # Forwarded, X-Forwarded-For, HTTP_X_FORWARDED_FOR …


class PrivateAccessLogger(Logger):
    """Gunicorn's logger, whose access log holds no client address and no survey token."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        remote = environ.get("REMOTE_ADDR") or None
        for atom, value in atoms.items():
            if _carries_address(atom) or (remote is not None and value == remote):
                atoms[atom] = HIDDEN
            elif isinstance(value, str):
                atoms[atom] = mask_survey_tokens(value)
        return atoms
