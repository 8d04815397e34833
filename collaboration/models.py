"""Assignments of a round's dimensions or indicators to members, and offline workbook imports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessments.models import Round
from indicators.models import Dimension, Indicator


class AssignmentQuerySet(models.QuerySet):
    def for_round(self, round: Round) -> AssignmentQuerySet:
        return self.filter(round=round).select_related("assignee", "dimension", "indicator__dimension")


class Assignment(models.Model):
    """One dimension, or one indicator, of a round given to a member of its authority to answer by a date.

    A dimension and an indicator are each assigned to one person at most (database constraints); an
    indicator assigned on its own goes to that person even when its dimension is someone else's.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("round"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("assigned to")
    )
    dimension = models.ForeignKey(
        Dimension, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("dimension")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("indicator")
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned"), auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["round", "dimension__order", "indicator__order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dimension__isnull=True, indicator__isnull=False)
                | Q(dimension__isnull=False, indicator__isnull=True),
                name="assignment_dimension_or_indicator",
            ),
            models.UniqueConstraint(
                fields=["round", "dimension"], condition=Q(dimension__isnull=False), name="assignment_one_per_dimension"
            ),
            models.UniqueConstraint(
                fields=["round", "indicator"], condition=Q(indicator__isnull=False), name="assignment_one_per_indicator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.subject_code} → {self.assignee}"

    @property
    def subject_code(self) -> str:
        return self.dimension.code if self.dimension_id else self.indicator.code


class WorkbookImport(models.Model):
    """An uploaded workbook, checked (the dry run) and waiting for confirmation, then applied.

    ``changes`` holds what the dry run found to write, one entry per indicator:
    ``{"code", "base_revision", "response", "level", "justification"}``; the file itself is not kept.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="workbook_imports", verbose_name=_("round"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    changes = models.JSONField(_("changes"), default=list)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        verbose_name = _("workbook import")
        verbose_name_plural = _("workbook imports")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="applied", applied_at__isnull=False) | ~Q(status="applied"),
                name="workbook_import_applied_at",
            )
        ]

    def __str__(self) -> str:
        return f"{self.round}: {self.filename} ({self.status})"
