"""Asking for a report, watching it render, downloading it, and previewing it as HTML."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from assessments.models import Round

from . import services
from .models import ReportJob

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language(value: str | None) -> str:
    return value if value in LANGUAGES else get_language()


@require_POST
def report_request(request: HttpRequest, pk: int) -> HttpResponse:
    round = get_object_or_404(Round.objects.visible_to(request.user), pk=pk)
    job = services.report_request(round=round, user=request.user, language=_language(request.POST.get("language")))
    if request.headers.get("HX-Request") == "true":
        return render(request, "reports/_job.html", {"job": job, "round": round})
    return redirect("round_detail", round.pk)


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
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    name = f"coherence-{job.round.authority.slug}-{job.round.period}-{job.language}.pdf"
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")


def report_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as HTML, built by the same context and template as the PDF; plotly.js draws its charts."""
    round = get_object_or_404(Round.objects.visible_to(request.user).select_related("authority", "version"), pk=pk)
    language = _language(request.GET.get("language"))
    # Figure JSON, not SVG: exporting SVG starts a headless Chromium, which belongs in the worker only.
    html, _fingerprint = services.render_report_html(round, language, charts="figures")
    return HttpResponse(html)
