"""Demo notifications for seed_demo (``assessments.slots.DEMO_DATA``, after every other app's demo).

The demo's people already have their notifications: the rounds were opened, submitted, returned and validated
through the services, which tell them. This adds the reminders of due dates as beat sent them (the 2025 rounds
still with their city are overdue: reminded the day after their due date, as beat did then, and today's), the demo reviewer's choice of a daily digest of submissions,
and marks the news of the old cycles (2021, 2023) read, so that each login finds a few unread ones on top. A second
run adds nothing: a reminder is sent once per round and due date, the choice is one per kind.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from assessments.events import Kind
from assessments.models import Round

from .models import MailSetting, Notification
from .reminders import WITH_THE_CITY, reminders_send

REVIEWER = "reviewer"
OLD_PERIODS = ("2021", "2023")  # validated long ago: their news are read


def seed(stdout) -> None:
    """Send today's reminders, choose the reviewer's digest, leave the old cycles' news read (idempotent)."""
    today = timezone.localdate()
    passed = (
        Round.objects.filter(status__in=WITH_THE_CITY, due_date__lt=today).values_list("due_date", flat=True).distinct()
    )
    sent = sum(reminders_send(today=day) for day in sorted({due + timedelta(days=1) for due in passed} | {today}))
    if sent:
        stdout.write(f"Notifications: {sent} reminders of due dates sent.")
    reviewer = get_user_model().objects.filter(username=REVIEWER).first()
    if reviewer is not None:
        MailSetting.objects.update_or_create(
            user=reviewer, kind=Kind.SUBMITTED, defaults={"delivery": MailSetting.Delivery.DIGEST}
        )
    Notification.objects.filter(round__period__in=OLD_PERIODS).mark_read()
