"""Asking for a document (full report, brief, Word file), watching it render, downloading it, and previewing it.

The round page (``assessments``) knows nothing of reports: this app fills its slot (``panels.py``) with
a section that loads ``report_panel``, and links to it as a page of its own for browsers without JavaScript.
"""

from django.conf import settings
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from assessments.access import Capability, access_round, require
from assessments.models import Round
from assessments.uploads import file_response

from . import services
from .models import ReportJob

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language(value: str | None) -> str:
    return value if value in LANGUAGES else get_language()


def _kind(value: str | None) -> str:
    return value if value in ReportJob.ROUND_KINDS else ReportJob.Kind.FULL


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def latest_jobs(round: Round) -> list[ReportJob]:
    """The latest job of each document of the round, in the order of ``ReportJob.Kind`` (one query)."""
    latest = (
        ReportJob.objects.filter(round=round)
        .annotate(
            recency=Window(RowNumber(), partition_by=[F("kind")], order_by=[F("created_at").desc(), F("id").desc()])
        )
        .filter(recency=1)
    )
    order = {kind: n for n, kind in enumerate(ReportJob.Kind.values)}
    return sorted(latest, key=lambda job: order.get(job.kind, len(order)))


def report_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's report panel: choose a document and a language, follow the latest job of each, download it.

    A fragment for the round page, which loads it with htmx; a page of its own otherwise.
    """
    round = access_round(request.user, pk, Capability.VIEW, rounds=Round.objects.select_related("authority"))
    kinds = [(kind.value, kind.label) for kind in ReportJob.ROUND_KINDS]
    context = {"round": round, "jobs": latest_jobs(round), "kinds": kinds}
    return render(request, "reports/_panel.html" if _is_htmx(request) else "reports/report_panel.html", context)


@require_POST
def report_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a document; htmx gets the jobs' list back (the asked one in it), a browser without JavaScript the panel."""
    round = access_round(request.user, pk, Capability.DOWNLOAD)
    services.report_request(
        round=round,
        user=request.user,
        language=_language(request.POST.get("language")),
        kind=_kind(request.POST.get("kind")),
    )
    if _is_htmx(request):
        return render(request, "reports/_jobs.html", {"jobs": latest_jobs(round), "round": round})
    return redirect("report_panel", round.pk)


def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's state as a fragment the round page polls while the report renders.

    Each poll also follows the job up: a job whose worker died fails (and can be asked for again),
    and a job the broker did not take is offered to it again.
    """
    job = get_object_or_404(ReportJob.objects.visible_to(request.user).select_related("round"), pk=pk)
    if job.in_flight:
        job = services.report_check(job=job)
    return render(request, "reports/_job.html", {"job": job, "round": job.round})


def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(
        ReportJob.objects.visible_to(request.user).select_related("round__authority"),
        pk=pk,
        status=ReportJob.Status.DONE,
    )
    require(request.user, Capability.DOWNLOAD, job.round)
    return serve_job_file(job)


def serve_job_file(job: ReportJob) -> HttpResponse:
    """Stream a done job's file as an attachment with its content type; 404 when the file is gone.

    Streamed from storage through this process (``file_response``), never by a link to the bucket.

    The caller has checked that the reader may have it (``report_download``; a public profile for a
    published round). ``job.round.authority`` is read for the file's name.
    """
    if job.status != ReportJob.Status.DONE or not job.file:
        raise Http404
    return file_response(job.file, job.download_name(), content_type=job.content_type)


def report_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as HTML, built by the same context and template as the PDF; plotly.js draws its charts."""
    round = access_round(request.user, pk, rounds=Round.objects.select_related("authority", "version"))
    language = _language(request.GET.get("language"))
    # Figure JSON, not SVG: exporting SVG starts a headless Chromium, which belongs in the worker only.
    html, _fingerprint = services.render_report_html(round, language, charts="figures")
    return HttpResponse(html)
