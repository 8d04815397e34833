"""What a request says about its sender and its size, read the way this deployment allows."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

# Room for the form fields, file name and multipart boundaries that travel with an evidence file.
MULTIPART_ALLOWANCE = 64 * 1024


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address: REMOTE_ADDR, or the one the nearest trusted proxy saw.

    Behind TRUSTED_PROXY_COUNT proxies, each of which appends the address it received the request
    from to X-Forwarded-For, the client is that many entries from the right; anything further left
    was written by the client and is ignored. Without trusted proxies the header is never read.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote


def back_url(request: HttpRequest) -> str:
    """Return the page the request came from, if it is on this site; else the home page."""
    back = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return resolve_url("home")


def request_body_limit() -> int:
    """Return the largest request body accepted: one evidence file and its form fields."""
    return settings.EVIDENCE_MAX_BYTES + MULTIPART_ALLOWANCE


def declared_body_size(request: HttpRequest) -> int:
    """Return the request's Content-Length, 0 when absent or unreadable (Django then reads nothing)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class UploadLimitHandler(FileUploadHandler):
    """Stop reading uploaded files once they pass EVIDENCE_MAX_BYTES, whatever the request declared.

    The rest of the body is left unread and the request is marked; RequestSizeLimitMiddleware
    answers it with a 413 before any view sees the truncated files.
    """

    def __init__(self, request: HttpRequest | None = None):
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.EVIDENCE_MAX_BYTES:
            if self.request is not None:
                self.request.upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
