"""The demo's notifications (the services' own, and ``notifications/demo.py``'s reminders and choices)."""

import io

import pytest
from django.core.management import call_command

from assessments.events import Kind
from assessments.models import Round
from notifications.models import MailSetting, Notification, Reminder

pytestmark = pytest.mark.django_db


def test_the_demo_people_were_told_of_their_rounds_and_reminded_of_the_overdue_ones(seeded):
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {Kind.OPENED, Kind.SUBMITTED, Kind.RETURNED, Kind.VALIDATED, Kind.OVERDUE} <= kinds
    # The campaign's opening quotes its message to the authorities' people.
    opened = Notification.objects.get(user__username="quito-editor", kind=Kind.OPENED, round__period="2027")
    assert opened.data["message"].startswith("The 2027 cycle is open")

    # The 2025 rounds still with their city are past their due date: each of their members is reminded once.
    late = Round.objects.filter(period="2025", status__in=[Round.Status.DRAFT, Round.Status.RETURNED])
    assert late.exists()
    for round in late:
        assert Reminder.objects.filter(round=round, kind=Kind.OVERDUE, due_date=round.due_date).count() == 1
        reminded = Notification.objects.filter(round=round, kind=Kind.OVERDUE)
        assert set(reminded.values_list("user__username", flat=True)) == {
            f"{round.authority.slug}-editor",
            f"{round.authority.slug}-approver",
        }
    assert not Reminder.objects.exclude(round__in=late).exists()


def test_each_demo_login_finds_a_few_unread_notifications_and_the_old_cycles_read(seeded):
    for username in ("quito-editor", "quito-approver", "accra-approver", "reviewer"):
        unread = Notification.objects.filter(user__username=username).unread()
        assert unread.exists(), username
        assert not unread.filter(round__period__in=["2021", "2023"]).exists(), username
    assert Notification.objects.filter(round__period="2021", read_at__isnull=False).exists()


def test_the_demo_reviewer_takes_submissions_as_a_daily_digest(seeded):
    setting = MailSetting.objects.get(user__username="reviewer")
    assert (setting.kind, setting.delivery) == (Kind.SUBMITTED, MailSetting.Delivery.DIGEST)


def test_a_second_seed_demo_adds_no_notification(seeded, settings):
    settings.DEBUG = True
    before = Notification.objects.count(), Notification.objects.unread().count(), Reminder.objects.count()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    after = Notification.objects.count(), Notification.objects.unread().count(), Reminder.objects.count()
    assert after == before
    assert "reminders of due dates sent" not in out.getvalue()
