"""Campaigns: one cycle of assessment run for many authorities at once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessments.models import Authority, Round
from indicators.models import CatalogueVersion


class CampaignQuerySet(models.QuerySet):
    def open(self) -> CampaignQuerySet:
        return self.filter(closed_at__isnull=True)


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

    class Meta:
        verbose_name = _("authority in a campaign")
        verbose_name_plural = _("authorities in a campaign")
        ordering = ["campaign", "authority__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "authority"], name="participant_once_per_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.authority}"


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
