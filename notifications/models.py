"""Notifications (what a person was told), their choices of mail, and the reminders already sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.events import Kind
from assessments.models import Round

# Kinds that a person may take as one mail a day instead of one mail each (reviewers, for submissions).
DIGEST_KINDS = (Kind.SUBMITTED,)
# The reminders of a round's due date, each sent once per round and due date (``Reminder``).
REMINDER_KINDS = (Kind.DUE_14, Kind.DUE_3, Kind.OVERDUE)


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationQuerySet:
        return self.filter(user=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def mark_read(self) -> int:
        """Mark the unread ones among these read, now; returns how many."""
        return self.unread().update(read_at=timezone.now())


class Notification(models.Model):
    """One thing one person was told; its words are drawn in the reader's language when shown (``texts``)."""

    class Mail(models.TextChoices):
        NONE = "none", _("Not mailed")
        SENT = "sent", _("Mailed")
        DIGEST = "digest", _("Waiting for the daily digest")
        DIGESTED = "digested", _("Mailed in a digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("round")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    mail = models.CharField(_("mail"), max_length=10, choices=Mail.choices, default=Mail.NONE)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_user_unread"),
            models.Index(fields=["user"], condition=Q(mail="digest"), name="notification_digest_waiting"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.round or ''}".strip()

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class MailSettingQuerySet(models.QuerySet):
    def deliveries(self, user_ids) -> dict[tuple[int, str], str]:
        """``(user id, kind)`` → delivery, for the choices people made (absent: mail at once)."""
        return {
            (u, k): d for u, k, d in self.filter(user_id__in=list(user_ids)).values_list("user_id", "kind", "delivery")
        }


class MailSetting(models.Model):
    """A person's choice of mail for one kind of event; without one, each event is mailed at once."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", _("A mail for each")
        DIGEST = "digest", _("One mail a day")
        OFF = "off", _("No mail (the list in Coherence only)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_settings", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    delivery = models.CharField(_("mail"), max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)

    objects = MailSettingQuerySet.as_manager()

    class Meta:
        verbose_name = _("mail setting")
        verbose_name_plural = _("mail settings")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="mail_setting_one_per_kind"),
            models.CheckConstraint(
                condition=~Q(delivery="digest") | Q(kind__in=[k.value for k in DIGEST_KINDS]),
                name="mail_setting_digest_only_where_offered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.delivery}"


class Reminder(models.Model):
    """A reminder of a round's due date, sent once: the constraint holds it even when two beats run at once.

    The due date is part of the key: when a coordinator moves it, the reminders start again.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+", verbose_name=_("round"))
    kind = models.CharField(_("kind"), max_length=20, choices=[(k.value, k.label) for k in REMINDER_KINDS])
    due_date = models.DateField(_("due date"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["round", "kind", "due_date"], name="reminder_once_per_round_kind_due_date")
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.kind} {self.due_date}"
