"""Report jobs: ask for one, render it (in a worker), and sweep away jobs whose worker died."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from assessments.models import Round

from .context import fingerprint, report_context, report_facts
from .models import ReportJob
from .rendering import html_to_pdf

logger = logging.getLogger(__name__)
TEMPLATE = "reports/pdf/report.html"


def render_report_html(round: Round, language: str) -> tuple[str, str]:
    """Return the report's final HTML and its fingerprint (the PDF and the preview share it)."""
    context = report_context(round, language)
    with translation.override(language):
        return render_to_string(TEMPLATE, context), context["fingerprint"]


def report_request(*, round: Round, user, language: str) -> ReportJob:
    """Ask for a report: the job in flight if there is one, a finished one for unchanged inputs, or a new job."""
    from .tasks import render_report

    with transaction.atomic():
        report_sweep_stale()
        in_flight = ReportJob.objects.in_flight().filter(round=round, language=language).first()
        if in_flight:
            return in_flight
        current = fingerprint(_facts(round, language), language)
        reusable = (
            ReportJob.objects.filter(round=round, language=language, status=ReportJob.Status.DONE, fingerprint=current)
            .exclude(file="")
            .first()
        )
        if reusable and reusable.file.storage.exists(reusable.file.name):
            return reusable
        try:
            with transaction.atomic():
                job = ReportJob.objects.create(round=round, language=language, requested_by=user, fingerprint=current)
        except IntegrityError:  # a colleague asked at the same moment: theirs is the one
            return ReportJob.objects.in_flight().get(round=round, language=language)
        transaction.on_commit(lambda: render_report.delay(job.pk))
    return job


def _facts(round: Round, language: str) -> dict:
    with translation.override(language):
        return report_facts(round)


def report_render(*, job: ReportJob) -> ReportJob:
    """Render a job's PDF and store it; the job records each step so that the page can show it."""
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().select_related("round__authority", "round__version").get(pk=job.pk)
        if job.status == ReportJob.Status.DONE:
            return job
        job.status, job.started_at, job.attempts = ReportJob.Status.RUNNING, timezone.now(), job.attempts + 1
        job.save(update_fields=["status", "started_at", "attempts"])
    html, inputs_fingerprint = render_report_html(job.round, job.language)
    pdf = html_to_pdf(html)
    with transaction.atomic():
        job.fingerprint = inputs_fingerprint
        job.file.save(f"{job.pk}.pdf", ContentFile(pdf), save=False)
        job.status, job.finished_at, job.error = ReportJob.Status.DONE, timezone.now(), ""
        job.save(update_fields=["fingerprint", "file", "status", "finished_at", "error"])
    return job


def report_fail(*, job_id: int, failure: str, detail: str = "") -> None:
    """Mark a job failed: why (a ReportJob.Failure, shown in the reader's language) and the technical detail."""
    ReportJob.objects.filter(pk=job_id).exclude(status=ReportJob.Status.DONE).update(
        status=ReportJob.Status.FAILED, failure=failure, error=detail[:2000], finished_at=timezone.now()
    )


def report_sweep_stale() -> int:
    """Fail the jobs that stayed pending or running far too long (their worker died)."""
    return ReportJob.objects.stale().update(
        status=ReportJob.Status.FAILED, failure=ReportJob.Failure.STALE, finished_at=timezone.now()
    )
