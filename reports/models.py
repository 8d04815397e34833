"""Report jobs: a document rendered by a worker.

Most are documents of one round (the full PDF, the two-page brief or the Word file); a roll-up
report belongs instead to a parent authority and a period: its consenting municipalities' rounds
added up (``reports.rollup``). The database holds which is which (``report_job_of_a_round_or_a_parent``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Authority, Round


class ReportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReportJobQuerySet:
        """Jobs of rounds the user may see."""
        return self.filter(round__in=Round.objects.visible_to(user))

    def in_flight(self) -> ReportJobQuerySet:
        return self.filter(status__in=ReportJob.IN_FLIGHT)

    def worker_lost(self) -> ReportJobQuerySet:
        """Running jobs whose worker died: no heartbeat for a while, or running far too long."""
        now = timezone.now()
        silent = now - timedelta(seconds=settings.REPORT_HEARTBEAT_TIMEOUT)
        too_long = now - timedelta(seconds=settings.REPORT_STALE_SECONDS)
        return self.filter(status=ReportJob.Status.RUNNING).filter(
            Q(heartbeat_at__lt=silent)
            | Q(heartbeat_at__isnull=True, started_at__lt=silent)
            | Q(started_at__lt=too_long)
        )

    def not_taken_up(self) -> ReportJobQuerySet:
        """Jobs the broker took long ago that no worker has started: the queue lost them."""
        limit = timezone.now() - timedelta(seconds=settings.REPORT_STALE_SECONDS)
        return self.filter(status=ReportJob.Status.PENDING).filter(
            Q(sent_at__lt=limit) | Q(sent_at__isnull=True, created_at__lt=limit)
        )

    def to_send(self) -> ReportJobQuerySet:
        """Jobs the broker has not taken: refused when it was down, or never offered (a web process died)."""
        offered = timezone.now() - timedelta(minutes=1)
        return self.filter(
            Q(status=ReportJob.Status.QUEUED)
            | Q(status=ReportJob.Status.PENDING, sent_at__isnull=True, created_at__lt=offered)
        )


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def report_upload_to(job: ReportJob, filename: str) -> str:
    if job.kind == ReportJob.Kind.ROLLUP:
        return f"reports/rollup/{job.authority_id}/{job.pk}-{job.fingerprint[:12]}.{job.extension}"
    return f"reports/{job.round_id}/{job.pk}-{job.fingerprint[:12]}.{job.extension}"


class ReportJob(models.Model):
    class Kind(models.TextChoices):
        """Which document: the full report, the two-page brief, or the full report as an editable Word file."""

        FULL = "full", _("Full report (PDF)")
        BRIEF = "brief", _("Two-page brief (PDF)")
        DOCX = "docx", _("Full report, editable (Word)")
        ROLLUP = "rollup", _("Roll-up of the municipalities (PDF)")

    class Failure(models.TextChoices):
        """Why a job failed, said in the reader's language when the page shows it."""

        STALE = "stale", _("The report worker stopped before finishing. Try again.")
        NOT_TAKEN_UP = "not_taken_up", _("No report worker took the report up in time. Try again.")
        DATABASE = "database", _("The database was unavailable; try again later.")
        RENDER = "render", _("The report could not be rendered.")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued until the report service is back")
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    # A document of a round; a roll-up report has none, but a parent authority and a period.
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, null=True, blank=True, related_name="report_jobs", verbose_name=_("round")
    )
    authority = models.ForeignKey(
        Authority,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rollup_report_jobs",
        verbose_name=_("parent authority"),
    )
    period = models.CharField(_("period"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    kind = models.CharField(_("document"), max_length=8, choices=Kind, default=Kind.FULL)
    # None for a request from a public profile: nobody signed in asked for it.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    failure = models.CharField(_("failure"), max_length=16, choices=Failure, blank=True)
    error = models.TextField(_("technical detail"), blank=True)
    file = models.FileField(_("file"), upload_to=report_upload_to, blank=True)
    fingerprint = models.CharField(_("fingerprint of the inputs"), max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("handed to the broker"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life of its worker"), null=True, blank=True)

    IN_FLIGHT = (Status.QUEUED, Status.PENDING, Status.RUNNING)
    # The documents of a round, which its report panel offers.
    ROUND_KINDS = (Kind.FULL, Kind.BRIEF, Kind.DOCX)

    objects = ReportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One job in flight per round, language and document: asking again returns the pending one.
            models.UniqueConstraint(
                fields=["round", "language", "kind"],
                condition=Q(status__in=["queued", "pending", "running"]),
                name="report_one_in_flight",
            ),
            # The same for a parent's roll-up report of one period.
            models.UniqueConstraint(
                fields=["authority", "period", "language"],
                condition=Q(kind="rollup", status__in=["queued", "pending", "running"]),
                name="report_one_rollup_in_flight",
            ),
            # A roll-up report belongs to a parent authority and a period, every other document to a round.
            models.CheckConstraint(
                condition=(Q(kind="rollup") & Q(round__isnull=True) & Q(authority__isnull=False) & ~Q(period=""))
                | (~Q(kind="rollup") & Q(round__isnull=False) & Q(authority__isnull=True) & Q(period="")),
                name="report_job_of_a_round_or_a_parent",
            ),
            models.CheckConstraint(condition=~Q(status="done") | ~Q(file=""), name="report_done_has_file"),
        ]

    def __str__(self) -> str:
        subject = f"{self.authority} · {self.period}" if self.kind == self.Kind.ROLLUP else self.round
        return f"{subject} ({self.kind}, {self.language}) {self.status}"

    @property
    def in_flight(self) -> bool:
        return self.status in self.IN_FLIGHT

    @property
    def extension(self) -> str:
        return "docx" if self.kind == self.Kind.DOCX else "pdf"

    @property
    def content_type(self) -> str:
        return DOCX_TYPE if self.kind == self.Kind.DOCX else "application/pdf"

    def download_name(self) -> str:
        """The attachment's name: the authority, the period, the document (the brief and the roll-up say so), the language."""
        if self.kind == self.Kind.ROLLUP:
            return f"coherence-{self.authority.slug}-{self.period}-rollup-{self.language}.{self.extension}"
        brief = "-brief" if self.kind == self.Kind.BRIEF else ""
        return f"coherence-{self.round.authority.slug}-{self.round.period}{brief}-{self.language}.{self.extension}"
