"""Writing notifications and their mails, in each recipient's language and by their choices."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from assessments.events import Event
from assessments.models import Preference
from outbox.services import Message, mails_queue

from . import texts
from .models import DIGEST_KINDS, MailSetting, Notification


def on_round_events(sender, events: list[Event], **kwargs) -> None:
    """``assessments.events.round_events`` receiver."""
    notify(events)


@transaction.atomic
def notify(events: Iterable[Event]) -> list[Notification]:
    """A notification for each recipient of each event, and a mail in their language unless they chose otherwise.

    A constant number of queries for any number of events and people (a campaign opens a thousand rounds at once).
    """
    events = list(events)
    user_ids = {pk for event in events for pk in event.recipients}
    if not user_ids:
        return []
    people = get_user_model().objects.filter(pk__in=user_ids, is_active=True).only("pk", "email", "username")
    people = {person.pk: person for person in people}
    languages = Preference.objects.languages(people)
    # Rounds opened in bulk carry only their authority's id: the mails name it (one query for all).
    prefetch_related_objects([event.round for event in events], "authority")
    deliveries = MailSetting.objects.deliveries(people)
    notifications = []
    for event in events:
        data = dict(event.data)
        if event.round.due_date and "due_date" not in data:
            data["due_date"] = event.round.due_date.isoformat()
        for pk in event.recipients:
            person = people.get(pk)
            if person is None:
                continue
            delivery = deliveries.get((pk, event.kind), MailSetting.Delivery.IMMEDIATE)
            if not person.email or delivery == MailSetting.Delivery.OFF:
                mail = Notification.Mail.NONE
            elif delivery == MailSetting.Delivery.DIGEST and event.kind in DIGEST_KINDS:
                mail = Notification.Mail.DIGEST
            else:
                mail = Notification.Mail.SENT
            notifications.append(
                Notification(user=person, kind=event.kind, round=event.round, actor=event.actor, data=data, mail=mail)
            )
    notifications = Notification.objects.bulk_create(notifications)
    mails_queue(message(n, n.user, languages[n.user_id]) for n in notifications if n.mail == Notification.Mail.SENT)
    return notifications


def message(notification: Notification, person, language: str) -> Message:
    """The mail of one notification to its person, in ``language``: plain text and HTML, with a link to the choices."""
    with translation.override(language):
        label, quoted = texts.quote(notification)
        context = {
            "headline": texts.headline(notification),
            "explanation": texts.explanation(notification),
            "quote_label": label,
            "quote": quoted,
            "link": settings.SITE_URL + texts.link(notification),
            "preferences": settings.SITE_URL + reverse("notification_preferences"),
            "language": language,
        }
        subject = _one_line(_("Coherence: %(headline)s") % {"headline": context["headline"]})
        body = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    return Message(person.email, subject, body, html)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@transaction.atomic
def mail_settings_save(*, user, choices: dict[str, str]) -> None:
    """Keep ``user``'s choice of mail for each kind in ``choices`` (kind → delivery); the default keeps no row."""
    default = MailSetting.Delivery.IMMEDIATE
    MailSetting.objects.filter(user=user, kind__in=[k for k, d in choices.items() if d == default]).delete()
    MailSetting.objects.bulk_create(
        [MailSetting(user=user, kind=k, delivery=d) for k, d in choices.items() if d != default],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["delivery"],
    )
