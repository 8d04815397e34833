"""Campaigns: one cycle of assessment run for many authorities at once."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Answer, Authority, Round, StatusEvent
from assessments.scoring import percent
from indicators.models import CatalogueVersion

# A round past its due date is overdue while the city still has to act on it (not once submitted or validated).
OVERDUE_STATUSES = (Round.Status.DRAFT, Round.Status.RETURNED)


class CampaignQuerySet(models.QuerySet):
    def open(self) -> CampaignQuerySet:
        return self.filter(closed_at__isnull=True)

    def with_counts(self) -> CampaignQuerySet:
        """Annotate ``authority_count``, ``opened_count`` and ``skipped_count`` (one query for the whole list)."""
        return self.annotate(
            authority_count=Count("participants"),
            opened_count=Count("participants", filter=Q(participants__opened=True)),
            skipped_count=Count("participants", filter=Q(participants__opened=False)),
        )


class ParticipantQuerySet(models.QuerySet):
    def board(self, campaign: Campaign) -> ParticipantQuerySet:
        """The campaign's board: each authority with its round, ``answered``/``indicator_total`` and ``last_activity``.

        One query whatever the number of authorities: progress is ``Round.objects.with_progress()`` (the one
        definition of answered) read through a subquery. The last activity is the latest answer save or change of
        status (submitted, returned, validated...): what shows an authority at work. The events that keep a status
        (a due date moved, a dimension left out, consent given) and the one that opened the round (no
        ``from_status``) are the programme's doing, not the authority's, so they do not count: a round nobody has
        touched since it opened has no last activity, and extending its due date does not make it look active.
        """
        progress = Round.objects.filter(pk=OuterRef("round_id")).with_progress()
        last_answer = (
            Answer.objects.filter(round_id=OuterRef("round_id"))
            .order_by()
            .values("round_id")
            .annotate(last=Max("updated_at"))
            .values("last")
        )
        last_event = (
            StatusEvent.objects.filter(round_id=OuterRef("round_id"))
            .exclude(from_status="")
            .exclude(from_status=F("to_status"))
            .order_by()
            .values("round_id")
            .annotate(last=Max("at"))
            .values("last")
        )
        # GREATEST ignores NULLs on PostgreSQL but not on SQLite: give each side the other as its fallback.
        answer_at, event_at = Subquery(last_answer), Subquery(last_event)
        return (
            self.filter(campaign=campaign)
            .select_related("authority", "round")
            .annotate(
                answered=Subquery(progress.values("answered")),
                indicator_total=Subquery(progress.values("indicator_total")),
                last_activity=Greatest(Coalesce(answer_at, event_at), Coalesce(event_at, answer_at)),
            )
            .order_by("authority__name", "pk")
        )

    def overdue(self, today: datetime.date | None = None) -> ParticipantQuerySet:
        """Those whose round is past its due date and still waits for the city (``Participant.is_overdue``)."""
        today = today or timezone.localdate()
        return self.filter(round__due_date__lt=today, round__status__in=OVERDUE_STATUSES)


class Campaign(models.Model):
    """A period of assessment opened for many authorities at once, on one catalogue version, with one due date."""

    name = models.CharField(_("name"), max_length=200)
    period = models.CharField(_("period"), max_length=20, help_text=_("For example 2027."))
    version = models.ForeignKey(
        CatalogueVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("catalogue version")
    )
    due_date = models.DateField(_("due date"))
    message = models.TextField(_("message to the authorities"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_by__isnull=True)
                | Q(closed_at__isnull=False, closed_by__isnull=False),
                name="campaign_closed_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Participant(models.Model):
    """An authority in a campaign, with its round: the one the campaign opened, or the one it already had (skipped)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="participants", verbose_name=_("campaign")
    )
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+", verbose_name=_("authority"))
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+", verbose_name=_("round"))
    opened = models.BooleanField(
        _("opened by the campaign"), help_text=_("False: the authority already had a round for the period.")
    )

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("authority in a campaign")
        verbose_name_plural = _("authorities in a campaign")
        ordering = ["campaign", "authority__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "authority"], name="participant_once_per_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.authority}"

    @property
    def percent_answered(self) -> int:
        """Share of indicators answered, from ``board()`` annotations."""
        return percent(self.answered or 0, self.indicator_total or 0)

    @property
    def days_left(self) -> int | None:
        """Days until the round's due date (negative once past); None without a due date."""
        if self.round.due_date is None:
            return None
        return (self.round.due_date - timezone.localdate()).days

    @property
    def is_overdue(self) -> bool:
        """Past the due date and still waiting for the city (the rule of ``ParticipantQuerySet.overdue``)."""
        days = self.days_left
        return days is not None and days < 0 and self.round.status in OVERDUE_STATUSES


class Extension(models.Model):
    """A due date moved for one authority of a campaign: kept, with who moved it and why."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("authority in a campaign")
    )
    old_date = models.DateField(_("due date before"), null=True)
    new_date = models.DateField(_("new due date"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("moved"), auto_now_add=True)

    class Meta:
        verbose_name = _("due date extension")
        verbose_name_plural = _("due date extensions")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.participant}: {self.old_date} → {self.new_date}"


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True)


class Invitation(models.Model):
    """An account made for a person who sets their own password through a single-use, expiring link.

    The link is Django's token machinery (``invitations.token_generator``): it stops working once the
    password is set (the token hashes it) or after ``INVITATION_TIMEOUT`` seconds. Re-sending makes a
    new link; ``send_count`` and ``last_sent_at`` say how often and when.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitation", verbose_name=_("person")
    )
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    last_sent_at = models.DateTimeField(_("last sent"))
    send_count = models.PositiveSmallIntegerField(_("times sent"), default=1)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-last_sent_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(send_count__gte=1), name="invitation_sent_at_least_once")]

    def __str__(self) -> str:
        return str(self.user)


class ImportBatch(models.Model):
    """An uploaded file of authorities and people, checked (the dry run) and waiting for confirmation, then applied.

    ``rows`` holds the checked rows to write: ``{"authority", "slug", "country", "kind", "email", "name", "role",
    "language"}``; the file itself is not kept.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    rows = models.JSONField(_("rows"), default=list)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        verbose_name = _("import of authorities and people")
        verbose_name_plural = _("imports of authorities and people")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="applied", applied_at__isnull=False) | ~Q(status="applied"),
                name="import_batch_applied_at",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
