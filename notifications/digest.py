"""The daily digest: one mail a day, in each person's language, of the notifications they chose to take so."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assessments.models import Preference
from outbox.services import Message, mails_queue

from . import texts
from .models import Notification


@transaction.atomic
def digests_send(*, now: datetime | None = None) -> int:
    """Mail each person the notifications waiting for their digest (up to ``now``); returns how many mails.

    The waiting rows are locked and marked digested in the transaction that writes the mails, so that two
    runs at once never mail one twice (the second skips what the first holds).
    """
    now = now or timezone.now()
    waiting = Notification.objects.filter(mail=Notification.Mail.DIGEST, created_at__lte=now)
    ids = list(waiting.select_for_update(skip_locked=True).values_list("pk", flat=True))
    if not ids:
        return 0
    by_person = defaultdict(list)
    notifications = (
        Notification.objects.filter(pk__in=ids)
        .select_related("user", "round__authority", "actor")
        .order_by("created_at", "id")
    )
    for notification in notifications:
        by_person[notification.user].append(notification)
    reachable = {person: items for person, items in by_person.items() if person.email and person.is_active}
    languages = Preference.objects.languages(person.pk for person in reachable)
    mails = mails_queue(_message(person, items, languages[person.pk], now) for person, items in reachable.items())
    mailed = [n.pk for items in reachable.values() for n in items]
    Notification.objects.filter(pk__in=mailed).update(mail=Notification.Mail.DIGESTED)
    # Someone without an address or no longer active was mailed nothing: their rows say so.
    Notification.objects.filter(pk__in=ids).exclude(pk__in=mailed).update(mail=Notification.Mail.NONE)
    return len(mails)


def _message(person, notifications: list[Notification], language: str, now: datetime) -> Message:
    with translation.override(language):
        context = {
            "items": [
                (texts.headline(n), texts.explanation(n), settings.SITE_URL + texts.link(n)) for n in notifications
            ],
            "preferences": settings.SITE_URL + reverse("notification_preferences"),
            "language": language,
            "title": _("Your daily summary from Coherence, %(date)s")
            % {"date": date_format(timezone.localdate(now), "DATE_FORMAT")},
        }
        body = render_to_string("notifications/email/digest.txt", context)
        html = render_to_string("notifications/email/digest.html", context)
    return Message(person.email, context["title"], body, html)
