"""Report jobs: ask for one, render it (in a worker), and sweep away jobs whose worker died.

A job is one document of a round in one language: the full report (PDF), the two-page brief (PDF)
or the full report as an editable Word file. It is offered to the broker once its row commits. A
broker that is down leaves the job queued (the page says it will be prepared when the service is
back) and beat, the page's poll or asking again offer it anew. While a worker renders, it writes a
heartbeat on the job; a running job whose heartbeat stopped lost its worker and is failed, so that
the person can ask again. A public profile asks for documents of published rounds the same way
(``public_report``), with no one as the requester. A parent authority's roll-up report of one period
(``rollup_report_request``, ``reports.rollup``) is a job like the others, of the parent instead of a round.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import Truncator

from assessments.models import Authority, Round
from assessments.uploads import STORAGE_ERRORS
from coherence_site.celery import publish_on_commit

from .context import fingerprint, report_context, report_facts
from .models import ReportJob, ReportJobQuerySet
from .rendering import html_to_pdf
from .rollup import render_rollup_html, rollup_inputs
from .summary import Summary

logger = logging.getLogger(__name__)
TEMPLATE = "reports/pdf/report.html"
BRIEF_TEMPLATE = "reports/brief/brief.html"
Kind = ReportJob.Kind
# Raise when a document's own layout changes (the full report's is context.REPORT_FORMAT), so that
# older files of that kind are not reused.
DOCUMENT_FORMATS = {Kind.BRIEF: 2, Kind.DOCX: 2}
# How long a failed render of a public document is shown as failed before a visitor's request tries again.
PUBLIC_RETRY_AFTER = timedelta(minutes=15)
LANGUAGES = {code for code, _name in settings.LANGUAGES}
# The brief's second page holds three priorities, each with one example of good practice (the full
# report gives two): their texts are cut to these lengths (characters), so that the page holds them
# in every language whatever the catalogue says.
BRIEF_LIMITS = {"title": 200, "suggestion": 400, "example": 320, "place": 60}
BRIEF_EXAMPLES = 1


class ReportNotStored(Exception):
    """The file store refused the rendered document (a bucket refusing writes, an endpoint that does not answer)."""


def document_fingerprint(report_fingerprint: str, kind: str) -> str:
    """The fingerprint of one document: the report's inputs and language, and which document it is.

    The full report keeps the report's own (the one printed in it); the brief and the Word file
    hash it with their kind and format, so that no document is ever taken for another.
    """
    if kind == Kind.FULL:
        return report_fingerprint
    return hashlib.sha256(f"{report_fingerprint}:{kind}:{DOCUMENT_FORMATS[kind]}".encode()).hexdigest()


def render_report_html(round: Round, language: str, *, charts: str = "svg", public: bool = False) -> tuple[str, str]:
    """Return the report's final HTML and its fingerprint (the PDF and the preview share it).

    ``charts="svg"`` (the PDF, in the worker) exports the charts with kaleido's Chromium;
    ``charts="figures"`` (the preview, in a web worker) leaves them to plotly.js in the page.
    ``public``: the published round's document for its public profile, without the counterpart's section.
    """
    context = report_context(round, language, charts=charts, public=public)
    with translation.override(language):
        return render_to_string(TEMPLATE, context), context["fingerprint"]


def render_brief_html(round: Round, language: str, *, public: bool = False) -> tuple[str, str]:
    """Return the two-page brief's HTML and its fingerprint: the executive summary, then the priorities.

    No chart: the brief is text and one table, so that it renders in well under two seconds.
    """
    context = report_context(round, language, charts=None, public=public)
    actions = [row["action"] for row in context["plan"]["actions"] if row["action"].is_open]
    context.update(
        summary=brief_summary(context["summary"]),
        open_actions=len(actions),
        overdue_actions=sum(action.is_overdue for action in actions),
    )
    with translation.override(language):
        return render_to_string(BRIEF_TEMPLATE, context), document_fingerprint(context["fingerprint"], Kind.BRIEF)


def brief_summary(summary: Summary) -> Summary:
    """The summary for the brief's second page: BRIEF_EXAMPLES per priority, texts cut to BRIEF_LIMITS (with "…")."""

    def cut(text: str, limit: str) -> str:
        return Truncator(text).chars(BRIEF_LIMITS[limit])

    priorities = tuple(
        dataclasses.replace(
            priority,
            title=cut(priority.title, "title"),
            suggestion=cut(priority.suggestion, "suggestion"),
            examples=tuple(
                dataclasses.replace(example, place=cut(example.place, "place"), text=cut(example.text, "example"))
                for example in priority.examples[:BRIEF_EXAMPLES]
            ),
        )
        for priority in summary.priorities
    )
    return dataclasses.replace(summary, priorities=priorities)


def render_document(round: Round, language: str, kind: str, *, public: bool = False) -> tuple[bytes, str]:
    """Render one document of the round: its bytes and its fingerprint (``public``: for the public profile)."""
    if kind == Kind.BRIEF:
        html, inputs_fingerprint = render_brief_html(round, language, public=public)
        return html_to_pdf(html), inputs_fingerprint
    if kind == Kind.DOCX:
        from .docx import report_docx

        # The figures' JSON (no browser): the Word file leaves charts out, but says which periods they show.
        context = report_context(round, language, charts="figures", public=public)
        with translation.override(language):
            return report_docx(context), document_fingerprint(context["fingerprint"], Kind.DOCX)
    html, inputs_fingerprint = render_report_html(round, language, public=public)
    return html_to_pdf(html), inputs_fingerprint


def render_rollup(parent: Authority, period: str, language: str) -> tuple[bytes, str]:
    """Render the parent's roll-up report of ``period``: its PDF and its fingerprint."""
    html, inputs_fingerprint = render_rollup_html(parent, period, language)
    return html_to_pdf(html), inputs_fingerprint


def report_request(*, round: Round, user, language: str, kind: str = Kind.FULL) -> ReportJob:
    """Ask for a document: a finished one for unchanged inputs, the job in flight if there is one, or a new job.

    A job asked for by no one (``user`` None: ``public_report``) is a public document, without the
    counterpart's section: its fingerprint differs from a member's, so neither file is served for the other.
    """
    with transaction.atomic():
        report_sweep_stale()
        current = document_fingerprint(fingerprint(_facts(round, language, public=user is None), language), kind)
        return _job_for({"round": round, "language": language, "kind": kind}, current, user)


def rollup_report_request(*, parent: Authority, period: str, user, language: str) -> ReportJob:
    """Ask for the parent's roll-up report of ``period``, as ``report_request`` asks for a round's document.

    The caller has checked that the user may see the parent's roll-up (``territories.access.can_view_rollup``).
    """
    with transaction.atomic():
        report_sweep_stale()
        _result, _facts, current = rollup_inputs(parent, period, language)
        subject = {"authority": parent, "period": period, "language": language, "kind": Kind.ROLLUP}
        return _job_for(subject, current, user)


def _job_for(subject: dict, current: str, user) -> ReportJob:
    """The finished job of ``subject`` for the inputs ``current``, else the one in flight, else a new job.

    ``subject``: the fields that say which document (a round's, or a parent's roll-up), in which language.
    """
    jobs = ReportJob.objects.filter(**subject)
    reusable = jobs.filter(status=ReportJob.Status.DONE, fingerprint=current).exclude(file="").first()
    if reusable and _still_stored(reusable):
        return reusable
    in_flight = jobs.in_flight().first()
    if in_flight:
        if in_flight.status == ReportJob.Status.QUEUED:  # the broker was down: offer it again
            _send(in_flight)
        return in_flight
    try:
        with transaction.atomic():
            job = ReportJob.objects.create(**subject, requested_by=user, fingerprint=current)
    except IntegrityError:  # a colleague asked at the same moment: theirs is the one
        return ReportJob.objects.in_flight().get(**subject)
    _send(job)
    return job


def _still_stored(job: ReportJob) -> bool:
    """Whether a done job's file is still in storage; a store that does not answer now is taken to still have it."""
    try:
        return job.file.storage.exists(job.file.name)
    except STORAGE_ERRORS:  # the download will say the store is unavailable; a render now could not be stored
        logger.warning("The file store did not answer about report job %s", job.pk, exc_info=True)
        return True


def public_report(round: Round, *, kind: str, language: str) -> ReportJob:
    """A document of a published round for its public profile: the finished one for current inputs,
    else the one in flight, else a new job (asked for by no one) offered to the broker after commit.

    ValueError for a round that is not published (the caller answers 404), an unknown kind or language.
    """
    if not round.is_published:
        raise ValueError("Only a published round's reports are public.")
    if kind not in ReportJob.ROUND_KINDS or language not in LANGUAGES:
        raise ValueError(f"No {kind!r} report in {language!r}.")
    # Anyone may ask: after a failed public render, visitors get that failure, not a new render each,
    # until PUBLIC_RETRY_AFTER has passed.
    failed = (
        ReportJob.objects.filter(
            round=round,
            language=language,
            kind=kind,
            requested_by=None,
            status=ReportJob.Status.FAILED,
            finished_at__gte=timezone.now() - PUBLIC_RETRY_AFTER,
        )
        .order_by("-finished_at")
        .first()
    )
    if failed and not ReportJob.objects.filter(round=round, language=language, kind=kind, pk__gt=failed.pk).exists():
        return failed
    return report_request(round=round, user=None, language=language, kind=kind)


def _facts(round: Round, language: str, *, public: bool = False) -> dict:
    with translation.override(language):
        return report_facts(round, public=public)


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
    """Render a job's document and store it; the job records each step so that the page can show it.

    Only a job that waits is taken: a message delivered twice, or again after its worker died,
    finds the job taken, done or failed and leaves it. ``resume`` takes it running, for a retry of
    the same task. While it renders, a heartbeat on the job tells the sweep that its worker lives.
    """
    takes = [ReportJob.Status.QUEUED, ReportJob.Status.PENDING]
    if resume:
        takes.append(ReportJob.Status.RUNNING)
    with transaction.atomic():
        job = (
            ReportJob.objects.select_for_update(of=("self",))
            .select_related("round__authority", "round__version", "authority")
            .get(pk=job.pk)
        )
        if job.status not in takes:
            return job
        job.status, job.attempts = ReportJob.Status.RUNNING, job.attempts + 1
        job.started_at = job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts"])
    with _heartbeat(job.pk):
        if job.kind == Kind.ROLLUP:
            content, inputs_fingerprint = render_rollup(job.authority, job.period, job.language)
        else:
            # A job asked for by no one is the public profile's document (``public_report``).
            public = job.requested_by_id is None
            content, inputs_fingerprint = render_document(job.round, job.language, job.kind, public=public)
    with transaction.atomic():
        job.fingerprint = inputs_fingerprint
        try:
            job.file.save(f"{job.pk}.{job.extension}", ContentFile(content), save=False)
        except STORAGE_ERRORS as error:  # the task fails the job with this detail (no storage address in it)
            raise ReportNotStored(
                f"The report could not be stored: the file store refused it ({type(error).__name__})."
            ) from error
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
