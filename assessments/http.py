"""Responses the pages of every app give alike."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def refused_page(request: HttpRequest, message: str, back: str, status: int = 409) -> HttpResponse:
    """Explain a refused action on a page of its own, with a 4xx status; nothing was changed."""
    return render(request, "refused.html", {"message": message, "back": back}, status=status)
