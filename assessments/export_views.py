"""The download of everything of an authority as one ZIP archive, streamed (``assessments.export``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .export import can_export, export_filename, export_stream
from .http import refused_page
from .models import Authority


def authority_export(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the authority's data as a ZIP to its approvers (and administrators); other members get a 403, others a 404."""
    authority = get_object_or_404(Authority.objects.visible_to(request.user), slug=slug)
    if not can_export(request.user, authority):
        message = _("Only an approver of %(authority)s can download all of its data.") % {"authority": authority}
        return refused_page(request, message, reverse("home"), status=403)
    response = StreamingHttpResponse(export_stream(authority, request.LANGUAGE_CODE), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(authority, timezone.now())}"'
    return response
