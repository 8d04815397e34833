"""A parent authority's roll-up report: ask for it, watch it render, download it.

The region's roll-up page (``territories.region_views.region_rollup``) knows nothing of reports: this
app fills its slot (``slots.ROLLUP_PAGE``, ``rollup_panels.py``) with a section that loads
``rollup_report`` with htmx, and links to it as a page of its own for browsers without JavaScript.
Whoever may see the parent's roll-up (its members, programme staff: ``territories.access.can_view_rollup``)
may ask for its report and download it; anyone else gets a 404, as on the roll-up page.

A finished report is served and listed only while its fingerprint is still the roll-up's current one
(``reports.rollup.rollup_inputs``, as asking for it computes it): once a municipality withdraws its
consent (or a shared round is validated, a name changes), the old file is out of date — it may name
a municipality that no longer shares its round — so it leaves the list and its download is a 410
that says so and offers to ask again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from assessments.http import refused_page
from assessments.models import Authority
from territories import access
from territories.rollup import default_period, shared_rounds

from . import services
from .models import ReportJob
from .rollup import rollup_inputs
from .views import _is_htmx, _language, serve_job_file

# The latest jobs the panel follows: one per period and language, the newest first.
LATEST = 6


def _parent(user, slug: str) -> Authority:
    """The parent authority whose roll-up the user may see; a 404 for anyone else, as on the roll-up page."""
    parent = get_object_or_404(Authority, slug=slug)
    if not access.can_view_rollup(user, parent):
        raise Http404
    return parent


def _periods(parent: Authority) -> tuple[list[str], str | None]:
    """The periods of the rounds the parent's municipalities share, newest first, and the one to offer (one query)."""
    shared = list(shared_rounds(parent).values_list("period", "status"))
    return sorted({period for period, _status in shared}, reverse=True), default_period(shared)


def _current(parent: Authority, job: ReportJob, memo: dict[tuple[str, str], str] | None = None) -> bool:
    """Whether a finished roll-up job's file still matches the roll-up's current inputs (the roll-up's queries,
    once per period and language with ``memo``). A job not finished yet renders current inputs anyway."""
    if job.status != ReportJob.Status.DONE:
        return True
    memo = {} if memo is None else memo
    key = (job.period, job.language)
    if key not in memo:
        memo[key] = rollup_inputs(parent, job.period, job.language)[2]
    return job.fingerprint == memo[key]


def latest_rollup_jobs(parent: Authority) -> list[ReportJob]:
    """The latest job of each period and language of the parent's roll-up report, newest first.

    One query, and the roll-up's own for each finished job listed (at most LATEST): a finished job
    whose inputs changed since is out of date and left out, so that its file is not offered.
    """
    latest = (
        ReportJob.objects.filter(authority=parent, kind=ReportJob.Kind.ROLLUP)
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("period"), F("language")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(recency=1)
        .order_by("-created_at", "-id")
    )
    memo: dict[tuple[str, str], str] = {}
    return [job for job in latest[:LATEST] if _current(parent, job, memo)]


def rollup_report(request: HttpRequest, slug: str) -> HttpResponse:
    """The parent's roll-up report: choose a period and a language, ask for it (POST), follow the latest jobs.

    A fragment for the roll-up page, which loads it with htmx; a page of its own otherwise. Asking
    answers htmx with the jobs' list (the asked one in it), a browser without JavaScript with this page.
    """
    parent = _parent(request.user, slug)
    periods, offered = _periods(parent)
    if request.method == "POST":
        period = request.POST.get("period")
        if period not in periods:
            message = _("No municipality shares a round of that period: there is no roll-up to report.")
            back = reverse("rollup_report", args=[parent.slug])
            return refused_page(request, message, back, status=400)
        services.rollup_report_request(
            parent=parent, period=period, user=request.user, language=_language(request.POST.get("language"))
        )
        if _is_htmx(request):
            return render(request, "reports/rollup/_jobs.html", {"parent": parent, "jobs": latest_rollup_jobs(parent)})
        return redirect("rollup_report", parent.slug)
    asked = request.GET.get("period")
    context = {
        "parent": parent,
        "periods": periods,
        "selected": asked if asked in periods else offered,
        "jobs": latest_rollup_jobs(parent),
    }
    return render(request, "reports/rollup/_panel.html" if _is_htmx(request) else "reports/rollup/panel.html", context)


def rollup_report_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The job's state as a fragment the panel polls while the report renders (following the job up, as a round's)."""
    parent = _parent(request.user, slug)
    job = get_object_or_404(ReportJob, pk=pk, kind=ReportJob.Kind.ROLLUP, authority=parent)
    if job.in_flight:
        job = services.report_check(job=job)
    return render(request, "reports/rollup/_job.html", {"job": job, "parent": parent})


def rollup_report_download(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The finished report's PDF while its inputs are current; a 410 page that says it is out of date otherwise."""
    parent = _parent(request.user, slug)
    job = get_object_or_404(
        ReportJob.objects.select_related("authority"),
        pk=pk,
        kind=ReportJob.Kind.ROLLUP,
        authority=parent,
        status=ReportJob.Status.DONE,
    )
    if not _current(parent, job):
        message = _(
            "This roll-up report is out of date: what the municipalities share has changed since it was made. "
            "Ask for the report again to get one with the current roll-up."
        )
        back = reverse("rollup_report", args=[parent.slug]) + "?" + urlencode({"period": job.period})
        return refused_page(request, message, back, status=410)
    return serve_job_file(job)
