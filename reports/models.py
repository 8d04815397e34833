"""Report jobs: a PDF report of one round, rendered by a worker while the user watches."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Round


class ReportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReportJobQuerySet:
        """Jobs of rounds the user may see."""
        return self.filter(round__in=Round.objects.visible_to(user))

    def in_flight(self) -> ReportJobQuerySet:
        return self.filter(status__in=[ReportJob.Status.PENDING, ReportJob.Status.RUNNING])

    def stale(self) -> ReportJobQuerySet:
        """Jobs a worker should have finished long ago: its worker died or the queue lost them."""
        limit = timezone.now() - timedelta(seconds=settings.REPORT_STALE_SECONDS)
        return self.filter(
            Q(status=ReportJob.Status.RUNNING, started_at__lt=limit)
            | Q(status=ReportJob.Status.PENDING, created_at__lt=limit)
        )


def report_upload_to(job: ReportJob, filename: str) -> str:
    return f"reports/{job.round_id}/{job.pk}-{job.fingerprint[:12]}.pdf"


class ReportJob(models.Model):
    class Failure(models.TextChoices):
        """Why a job failed, said in the reader's language when the page shows it."""

        STALE = "stale", _("The report worker stopped before finishing. Try again.")
        DATABASE = "database", _("The database was unavailable; try again later.")
        RENDER = "render", _("The report could not be rendered.")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="report_jobs", verbose_name=_("round"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    failure = models.CharField(_("failure"), max_length=16, choices=Failure, blank=True)
    error = models.TextField(_("technical detail"), blank=True)
    file = models.FileField(_("file"), upload_to=report_upload_to, blank=True)
    fingerprint = models.CharField(_("fingerprint of the inputs"), max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One job in flight per round and language: asking again returns the pending one.
            models.UniqueConstraint(
                fields=["round", "language"],
                condition=Q(status__in=["pending", "running"]),
                name="report_one_in_flight",
            ),
            models.CheckConstraint(condition=~Q(status="done") | ~Q(file=""), name="report_done_has_file"),
        ]

    def __str__(self) -> str:
        return f"{self.round} ({self.language}) {self.status}"

    @property
    def in_flight(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)
