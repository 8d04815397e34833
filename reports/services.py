"""Report jobs: ask for one, render it (in a worker), and sweep away jobs whose worker died.

A job is offered to the broker once its row commits. A broker that is down leaves the job queued
(the page says it will be prepared when the service is back) and beat, the page's poll or asking
again offer it anew. While a worker renders, it writes a heartbeat on the job; a running job whose
heartbeat stopped lost its worker and is failed, so that the person can ask again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from assessments.models import Round
from coherence_site.celery import publish_on_commit

from .context import fingerprint, report_context, report_facts
from .models import ReportJob, ReportJobQuerySet
from .rendering import html_to_pdf

logger = logging.getLogger(__name__)
TEMPLATE = "reports/pdf/report.html"


def render_report_html(round: Round, language: str, *, charts: str = "svg") -> tuple[str, str]:
    """Return the report's final HTML and its fingerprint (the PDF and the preview share it).

    ``charts="svg"`` (the PDF, in the worker) exports the charts with kaleido's Chromium;
    ``charts="figures"`` (the preview, in a web worker) leaves them to plotly.js in the page.
    """
    context = report_context(round, language, charts=charts)
    with translation.override(language):
        return render_to_string(TEMPLATE, context), context["fingerprint"]


def report_request(*, round: Round, user, language: str) -> ReportJob:
    """Ask for a report: the job in flight if there is one, a finished one for unchanged inputs, or a new job."""
    with transaction.atomic():
        report_sweep_stale()
        in_flight = ReportJob.objects.in_flight().filter(round=round, language=language).first()
        if in_flight:
            if in_flight.status == ReportJob.Status.QUEUED:  # the broker was down: offer it again
                _send(in_flight)
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
        _send(job)
    return job


def _facts(round: Round, language: str) -> dict:
    with translation.override(language):
        return report_facts(round)


def _send(job: ReportJob) -> None:
    """Offer the job to the broker once the transaction commits; the job records whether it was taken."""
    from .tasks import render_report

    def sent() -> None:
        job.sent_at = timezone.now()
        ReportJob.objects.filter(pk=job.pk).update(sent_at=job.sent_at)
        if ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.QUEUED).update(status=ReportJob.Status.PENDING):
            job.status = ReportJob.Status.PENDING

    def refused() -> None:
        ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.PENDING, sent_at=None).update(
            status=ReportJob.Status.QUEUED
        )
        if job.status == ReportJob.Status.PENDING and job.sent_at is None:
            job.status = ReportJob.Status.QUEUED

    publish_on_commit(render_report, job.pk, sent=sent, refused=refused)


def report_check(*, job: ReportJob) -> ReportJob:
    """Follow up a job the page is watching: fail it if its worker died, offer it again if the broker has not taken it."""
    if report_sweep_stale(jobs=ReportJob.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    elif ReportJob.objects.to_send().filter(pk=job.pk).exists():
        _send(job)
    return job


def report_send_unsent() -> int:
    """Offer the broker again the jobs it has not taken, until it refuses one; return how many it took."""
    taken = 0
    for job in ReportJob.objects.to_send().order_by("created_at", "id")[:100]:
        _send(job)
        if job.sent_at is None:  # still down: the next sweep tries again
            break
        taken += 1
    return taken


def report_render(*, job: ReportJob, resume: bool = False) -> ReportJob:
    """Render a job's PDF and store it; the job records each step so that the page can show it.

    Only a job that waits is taken: a message delivered twice, or again after its worker died,
    finds the job taken, done or failed and leaves it. ``resume`` takes it running, for a retry of
    the same task. While it renders, a heartbeat on the job tells the sweep that its worker lives.
    """
    takes = [ReportJob.Status.QUEUED, ReportJob.Status.PENDING]
    if resume:
        takes.append(ReportJob.Status.RUNNING)
    with transaction.atomic():
        job = ReportJob.objects.select_for_update().select_related("round__authority", "round__version").get(pk=job.pk)
        if job.status not in takes:
            return job
        job.status, job.attempts = ReportJob.Status.RUNNING, job.attempts + 1
        job.started_at = job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts"])
    with _heartbeat(job.pk):
        html, inputs_fingerprint = render_report_html(job.round, job.language)
        pdf = html_to_pdf(html)
    with transaction.atomic():
        job.fingerprint = inputs_fingerprint
        job.file.save(f"{job.pk}.pdf", ContentFile(pdf), save=False)
        job.status, job.finished_at, job.error = ReportJob.Status.DONE, timezone.now(), ""
        job.save(update_fields=["fingerprint", "file", "status", "finished_at", "error"])
    return job


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """Write a sign of life on the running job every REPORT_HEARTBEAT_SECONDS, from a small thread."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.REPORT_HEARTBEAT_SECONDS):
                try:
                    ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:  # a missed beat; the next one may pass
                    logger.warning("Could not write the heartbeat of report job %s", job_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"report-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def report_fail(*, job_id: int, failure: str, detail: str = "") -> None:
    """Mark a job failed: why (a ReportJob.Failure, shown in the reader's language) and the technical detail."""
    ReportJob.objects.filter(pk=job_id).exclude(status=ReportJob.Status.DONE).update(
        status=ReportJob.Status.FAILED, failure=failure, error=detail[:2000], finished_at=timezone.now()
    )


def report_sweep_stale(*, jobs: ReportJobQuerySet | None = None) -> int:
    """Fail the jobs whose worker died or that no worker took up, so that they can be asked for again."""
    jobs = ReportJob.objects.all() if jobs is None else jobs
    now = timezone.now()
    lost = jobs.worker_lost().update(status=ReportJob.Status.FAILED, failure=ReportJob.Failure.STALE, finished_at=now)
    untaken = jobs.not_taken_up().update(
        status=ReportJob.Status.FAILED, failure=ReportJob.Failure.NOT_TAKEN_UP, finished_at=now
    )
    return lost + untaken
