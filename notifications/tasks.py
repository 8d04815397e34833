"""Celery adapters for notifications: what beat runs."""

from celery import shared_task

from .digest import digests_send
from .reminders import reminders_send


@shared_task
def send_reminders() -> int:
    """Remind the members of rounds reaching a due-date threshold (beat: hourly; idempotent)."""
    return reminders_send()


@shared_task
def send_digests() -> int:
    """Mail the daily digests (beat: daily)."""
    return digests_send()
