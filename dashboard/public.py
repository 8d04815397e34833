"""Public city profiles: one page per authority with a round published with consent, and its documents.

Everything here reads through ``Round.objects.published()`` (validated, with the authority's
consent) and ``Authority.objects.published()``: an authority without such a round has no profile
(404), and nothing of its other rounds (drafts, rounds under review, validated without consent)
reaches these pages. No log-in is needed.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers

from assessments.models import Authority, Band, Round
from assessments.uploads import LOGO_CONTENT_TYPES, file_response
from reports import services as reports
from reports.models import ReportJob
from reports.views import serve_job_file

from . import data

DOCUMENTS = ("brief", "full")  # the kinds of report a profile offers, as PDF
REFRESH_SECONDS = 10


@login_not_required
def public_profile(request: HttpRequest, slug: str) -> HttpResponse:
    """An authority's published rounds: its latest summary, its scores over time, its public actions, its reports."""
    authority = get_object_or_404(Authority.objects.published(), slug=slug)
    published = Round.objects.published()
    rounds = list(published.filter(authority=authority).select_related("snapshot", "version").order_by("-period"))
    latest = rounds[0]
    snapshot = getattr(latest, "snapshot", None)  # a validated round has one
    return render(
        request,
        "dashboard/profile.html",
        {
            "authority": authority,
            "latest": latest,
            "headline": snapshot.validated_headline if snapshot else None,
            "band": dict(Band.choices).get(snapshot.validated_band, "") if snapshot else "",
            "dimensions": data.published_dimension_scores(latest),
            "trend": data.trend_panel(published, authority.slug),
            "rounds": rounds,
            "documents": DOCUMENTS,
            "public_actions": data.public_actions(published.filter(authority=authority), latest.period),
        },
    )


@login_not_required
def public_logo(request: HttpRequest, slug: str) -> HttpResponse:
    """The logo of an authority with a public profile (media files are never served directly)."""
    authority = get_object_or_404(Authority.objects.published().exclude(logo=""), slug=slug)
    content_type = LOGO_CONTENT_TYPES.get(Path(authority.logo.name).suffix.lower())
    if content_type is None:
        raise Http404
    return file_response(authority.logo, Path(authority.logo.name).name, content_type=content_type, as_attachment=False)


@login_not_required
def public_report(request: HttpRequest, slug: str, period: str, kind: str, language: str) -> HttpResponse:
    """A published round's brief or full report as PDF: the file once ready, else a page that says it is being prepared.

    Asking starts the rendering (``reports.services.public_report``: one job per round, kind and
    language, reused while the round's data are unchanged). Unpublished rounds are a 404.
    """
    if kind not in DOCUMENTS or language not in dict(settings.LANGUAGES):
        raise Http404
    round = get_object_or_404(
        Round.objects.published().select_related("authority"), authority__slug=slug, period=period
    )
    job = reports.public_report(round, kind=kind, language=language)
    if job.status != ReportJob.Status.DONE:
        job.refresh_from_db()  # rendered in-process when the transaction committed (no broker)
    # Only a public job's file: a member's report in flight may be handed back meanwhile, and it holds what
    # the public never sees (the national counterpart's levels); the next refresh makes the public one.
    if job.status == ReportJob.Status.DONE and job.file and job.requested_by_id is None:
        return serve_job_file(job)
    failed = job.status == ReportJob.Status.FAILED  # a recent failure: no new render for a while
    response = render(
        request,
        "dashboard/profile_preparing.html",
        {
            "authority": round.authority,
            "round": round,
            "kind": kind,
            "language": language,
            "refresh": REFRESH_SECONDS,
            "failed": failed,
        },
        status=503 if failed else 202,
    )
    add_never_cache_headers(response)
    return response
