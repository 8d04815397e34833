"""Site-wide request and response rules: request ids, body size, caching of private pages, browser features."""

from __future__ import annotations

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from participation import public_views

from . import logs
from .http import back_url, declared_body_size, request_body_limit

REQUEST_ID_HEADER = "X-Request-ID"

# The app uses none of these browser features; deny them to the page and to anything it embeds.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "clipboard-read",
        "clipboard-write",
        "compute-pressure",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "identity-credentials-get",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "otp-credentials",
        "payment",
        "picture-in-picture",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "sync-xhr",
        "usb",
        "window-management",
        "xr-spatial-tracking",
    )
)


class RequestIdMiddleware:
    """Give each request an id: the proxy's X-Request-ID when it sent a valid one, else a new UUID.

    First in MIDDLEWARE, so that every log record of the request (a refused host, a redirect, a traceback)
    carries it (``logs.RequestIdFilter``); the response returns it in X-Request-ID, where gunicorn's access
    log finds it. It stays set until the response is closed: a streamed download logs with it too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = logs.new_request_id(request.headers.get(REQUEST_ID_HEADER))
        logs.request_id.set(request.request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


@receiver(request_finished, dispatch_uid="coherence_site.middleware.forget_request_id")
def _forget_request_id(**kwargs) -> None:
    """The response is closed: what this thread logs next belongs to no request."""
    logs.request_id.set(None)


class ResponseHeadersMiddleware:
    """Keep pages for a signed-in user out of every cache, and deny unused browser features.

    Placed after WhiteNoise: static files never come through here and stay cacheable, as do
    pages for anonymous visitors. A response already marked no-store keeps its own header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than one evidence file with a 413, before reading it.

    Runs in process_view, before CsrfViewMiddleware reads the form: the declared Content-Length
    decides first; UploadLimitHandler stops the reading of files that run past the limit anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        limit = request_body_limit()
        if public_views.is_public_path(request):
            limit = min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)  # the survey takes no files
        if declared_body_size(request) > limit:
            return _too_large(request)
        # Only a signed-in user's upload is parsed here; an anonymous one goes unread to the log-in redirect.
        if request.method == "POST" and request.content_type == "multipart/form-data" and request.user.is_authenticated:
            try:
                request.FILES  # noqa: B018 - parse now, through UploadLimitHandler
            except OSError:
                return None  # an unreadable body; CsrfViewMiddleware and the view handle it as before
            if getattr(request, "upload_too_large", False):
                return _too_large(request)
        return None


def _too_large(request: HttpRequest) -> HttpResponse:
    if public_views.is_public_path(request):  # a survey respondent: the public layout, in their language
        return public_views.public_error(
            request, "participation/public/too_large.html", {"again": request.path}, status=413
        )
    message = _("The file is too large: the limit is %(limit)s. Nothing was saved.") % {
        "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)
    }
    if request.headers.get("HX-Request") == "true":
        # For the evidence form: the message goes at the top of the section it targets, which keeps its form.
        response = render(request, "_too_large.html", {"message": message}, status=413)
        response["HX-Reswap"] = "afterbegin"
        return response
    return render(request, "refused.html", {"message": message, "back": back_url(request)}, status=413)
