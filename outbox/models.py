"""Mails waiting to go: written in the transaction that causes them, sent after it commits."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MailQuerySet(models.QuerySet):
    def unsent(self) -> MailQuerySet:
        return self.filter(sent_at__isnull=True)

    def due(self) -> MailQuerySet:
        """Unsent mails whose next attempt has come, short of the last attempt."""
        return self.unsent().filter(next_attempt_at__lte=timezone.now(), attempts__lt=Mail.MAX_ATTEMPTS)


class Mail(models.Model):
    """One mail to one recipient; it stays here, unsent, until the mail server accepts it."""

    # With the backoff of ``outbox.services`` (1 min doubling to 1 h), about eight hours of trying.
    MAX_ATTEMPTS = 14

    to = models.EmailField(_("to"))
    from_email = models.CharField(_("from"), max_length=254)
    subject = models.TextField(_("subject"))
    body = models.TextField(_("body"))
    html = models.TextField(
        _("HTML body"), blank=True, help_text=_("The same as the body, in HTML; empty for a text-only mail.")
    )
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    error = models.TextField(_("last error"), blank=True)

    objects = MailQuerySet.as_manager()

    class Meta:
        verbose_name = _("mail")
        verbose_name_plural = _("mails")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(sent_at__isnull=True), name="outbox_mail_unsent")
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
