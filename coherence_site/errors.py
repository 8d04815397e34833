"""The site's own error pages, in the visitor's language; under /survey/, in the survey's public layout."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from participation import public_views

from .http import back_url


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form the CSRF check refused (403): most often the browser blocks cookies, or the page was open too long.

    Settings' ``CSRF_FAILURE_VIEW``; Django's own page is in English and says nothing a respondent can act on.
    """
    if public_views.is_public_path(request):
        return public_views.public_error(
            request, "participation/public/cookies_needed.html", {"again": request.path}, status=403
        )
    return render(request, "csrf_failure.html", {"back": back_url(request)}, status=403)
