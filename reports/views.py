"""Asking for a report, watching it render, downloading it, and previewing it as HTML.

The round page (``assessments``) knows nothing of reports: this app fills its slot (``panels.py``) with
a section that loads ``report_panel``, and links to it as a page of its own for browsers without JavaScript.
"""

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from assessments.access import Capability, access_round, require
from assessments.models import Round

from . import services
from .models import ReportJob

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language(value: str | None) -> str:
    return value if value in LANGUAGES else get_language()


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def report_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's report panel: ask for a PDF, follow the latest job, download it.

    A fragment for the round page, which loads it with htmx; a page of its own otherwise.
    """
    round = access_round(request.user, pk, Capability.VIEW, rounds=Round.objects.select_related("authority"))
    context = {"round": round, "job": ReportJob.objects.filter(round=round).first()}
    return render(request, "reports/_panel.html" if _is_htmx(request) else "reports/report_panel.html", context)


@require_POST
def report_request(request: HttpRequest, pk: int) -> HttpResponse:
    round = access_round(request.user, pk, Capability.DOWNLOAD)
    job = services.report_request(round=round, user=request.user, language=_language(request.POST.get("language")))
    if _is_htmx(request):
        return render(request, "reports/_job.html", {"job": job, "round": round})
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
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    name = f"coherence-{job.round.authority.slug}-{job.round.period}-{job.language}.pdf"
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")


def report_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as HTML, built by the same context and template as the PDF; plotly.js draws its charts."""
    round = access_round(request.user, pk, rounds=Round.objects.select_related("authority", "version"))
    language = _language(request.GET.get("language"))
    # Figure JSON, not SVG: exporting SVG starts a headless Chromium, which belongs in the worker only.
    html, _fingerprint = services.render_report_html(round, language, charts="figures")
    return HttpResponse(html)
