"""The outbox: mails are rows written with the change that causes them, and sent after it commits.

A mail server that refuses a mail, or a broker that is down, loses nothing: the row stays unsent,
the task retries with backoff, and beat sends what is still due.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from coherence_site.celery import publish_on_commit

from .models import Mail

logger = logging.getLogger(__name__)
SMTP_TIMEOUT = 10  # seconds, unless EMAIL_TIMEOUT says otherwise: a hung mail server must not hang a worker


@dataclass(frozen=True)
class Message:
    """One mail to one person: plain text, and the same in HTML when ``html`` is given."""

    to: str
    subject: str
    body: str
    html: str = ""


@transaction.atomic
def mails_queue(messages: Iterable[Message], *, from_email: str = "") -> list[Mail]:
    """Write each message in the current transaction (one query); they are sent once it commits."""
    from .tasks import send_mails

    sender = from_email or settings.DEFAULT_FROM_EMAIL
    mails = Mail.objects.bulk_create(
        Mail(to=m.to, subject=m.subject, body=m.body, html=m.html, from_email=sender) for m in messages
    )
    if mails:
        publish_on_commit(send_mails, [mail.pk for mail in mails])
    return mails


def mail_queue(*, subject: str, body: str, recipients: Iterable[str], from_email: str = "") -> list[Mail]:
    """Write the same mail to each recipient; they are sent once the transaction commits."""
    return mails_queue((Message(to, subject, body) for to in recipients), from_email=from_email)


def mail_send(*, ids: Iterable[int]) -> bool:
    """Send the unsent mails among ``ids`` over one connection; False when the mail server refused one.

    Each mail is locked while it goes, so that the task and beat never send it twice. A refusal is
    recorded on its row with the time of the next attempt, and the mails after it wait for that.
    """
    connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT or SMTP_TIMEOUT)
    try:
        for mail_id in ids:
            with transaction.atomic():
                mail = Mail.objects.select_for_update().unsent().filter(pk=mail_id).first()
                if mail is None:  # sent meanwhile
                    continue
                try:
                    connection.send_messages([_message(mail)])
                except (SMTPException, OSError) as error:
                    _refused(mail, error)
                    return False
                mail.sent_at, mail.error = timezone.now(), ""
                mail.save(update_fields=["sent_at", "error"])
    finally:
        connection.close()
    return True


def mail_send_due() -> bool:
    """Send the unsent mails whose next attempt has come (beat runs this); False when one was refused."""
    return mail_send(ids=list(Mail.objects.due().order_by("created_at", "id").values_list("pk", flat=True)[:500]))


def _message(mail: Mail) -> EmailMessage:
    if not mail.html:
        return EmailMessage(subject=mail.subject, body=mail.body, from_email=mail.from_email, to=[mail.to])
    message = EmailMultiAlternatives(subject=mail.subject, body=mail.body, from_email=mail.from_email, to=[mail.to])
    message.attach_alternative(mail.html, "text/html")
    return message


def _refused(mail: Mail, error: Exception) -> None:
    logger.warning("The mail server refused mail %s to %s: %s", mail.pk, mail.to, error)
    mail.attempts += 1
    mail.error = f"{type(error).__name__}: {error}"[:2000]
    mail.next_attempt_at = timezone.now() + timedelta(minutes=min(2 ** (mail.attempts - 1), 60))
    mail.save(update_fields=["attempts", "error", "next_attempt_at"])
