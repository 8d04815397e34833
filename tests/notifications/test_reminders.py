"""Reminders of due dates: once per round, threshold and due date, however often (and however many) beats run."""

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from assessments import services
from assessments.events import Kind
from assessments.models import Round
from coherence_site.celery import app
from notifications.models import REMINDER_KINDS, Notification, Reminder
from notifications.reminders import OVERDUE_FOR, reminders_send
from notifications.tasks import send_reminders
from outbox.models import Mail
from tests.world import answer_everything, make_city

DUE = date(2026, 3, 31)


def _at(day: date):
    """The clock stopped at nine in the morning of ``day``."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, tzinfo=UTC), tick=False)


def _due(round: Round, due_date: date) -> Round:
    Round.objects.filter(pk=round.pk).update(due_date=due_date)
    round.refresh_from_db()
    return round


def _beat() -> int:
    """What beat does: the task, as the worker runs it."""
    result = send_reminders.delay()
    assert result.successful(), result.traceback
    return result.get()


def _told() -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(kind__in=REMINDER_KINDS).values_list("user__username", "kind", "data__due_date")
    )


@pytest.fixture
def due(draft, quito):
    for person, address in ((quito.editor, "ed@quito.example"), (quito.approver, "ap@quito.example")):
        person.email = address
        person.save(update_fields=["email"])
    return _due(draft, DUE)


def test_two_beats_a_day_remind_each_member_once_per_threshold_and_a_moved_due_date_starts_again(due, quito):
    people = ("quito-approver", "quito-editor")

    def told(kind, due_date=DUE):
        return [(person, kind, due_date.isoformat()) for person in people]

    with _at(date(2026, 3, 16)):  # 15 days left: too early
        assert _beat() == 0 and _told() == []
    with _at(date(2026, 3, 17)):  # 14 days left
        assert _beat() == 1
        assert _beat() == 0  # beat ran twice
    assert _told() == told(Kind.DUE_14)
    assert Mail.objects.filter(subject__contains="14").count() == 2

    with _at(date(2026, 3, 25)):  # 6 days left: the 14-day reminder is sent already
        assert _beat() == 0
    with _at(date(2026, 3, 28)):  # 3 days left
        assert _beat() == 1 and _beat() == 0
    with _at(date(2026, 4, 1)):  # a day late
        assert _beat() == 1 and _beat() == 0
    with _at(date(2026, 4, 20)):
        assert _beat() == 0
    assert _told() == sorted(told(Kind.DUE_14) + told(Kind.DUE_3) + told(Kind.OVERDUE))
    assert Reminder.objects.count() == 3

    moved = date(2026, 5, 10)
    _due(due, moved)
    with _at(date(2026, 4, 20)):  # 20 days left of the new date
        assert _beat() == 0
    with _at(date(2026, 4, 26)):  # 14 days left of the new date: reminded again
        assert _beat() == 1 and _beat() == 0
    assert _told() == sorted(told(Kind.DUE_14) + told(Kind.DUE_3) + told(Kind.OVERDUE) + told(Kind.DUE_14, moved))


def test_a_late_first_beat_sends_only_the_most_urgent_reminder(due):
    with _at(date(2026, 4, 2)):
        assert _beat() == 1
    assert {kind for _person, kind, _due_date in _told()} == {Kind.OVERDUE}


def test_rounds_no_longer_with_the_city_or_without_a_due_date_get_no_reminder(due, quito):
    other = make_city("lima")
    undated = services.round_create(authority=other.authority, period="2025", actor=other.approver)
    answer_everything(due, quito.editor)
    services.round_submit(round=due, actor=quito.approver)
    assert reminders_send(today=date(2026, 4, 1)) == 0 and _told() == []
    assert undated.due_date is None

    Round.objects.filter(pk=due.pk).update(status=Round.Status.RETURNED)  # with the city again
    assert reminders_send(today=date(2026, 4, 1)) == 1
    assert {kind for _person, kind, _due_date in _told()} == {Kind.OVERDUE}


def test_a_round_overdue_for_longer_than_a_month_is_no_longer_reminded_of(due):
    # The first beat after a deployment finds rounds abandoned long ago: they are not news to anyone.
    assert reminders_send(today=DUE + OVERDUE_FOR + timedelta(days=1)) == 0
    assert reminders_send(today=DUE + OVERDUE_FOR) == 1
    assert {kind for _person, kind, _due_date in _told()} == {Kind.OVERDUE}


@pytest.mark.django_db(transaction=True)
def test_a_round_submitted_while_beat_runs_gets_no_reminder(due, quito):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite lets one writer at a time in")
    locked, errors, sent = threading.Event(), [], []

    def submission():
        # What round_submit does to the round, held open for a moment while beat reads.
        try:
            with transaction.atomic():
                Round.objects.select_for_update().get(pk=due.pk)
                Round.objects.filter(pk=due.pk).update(status=Round.Status.SUBMITTED)
                locked.set()
                time.sleep(1)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=submission)
    thread.start()
    assert locked.wait(10)
    sent.append(reminders_send(today=DUE))  # waits for the submission, then no longer finds the round
    thread.join(timeout=30)

    assert errors == [] and sent == [0]
    assert _told() == [] and not Reminder.objects.exists()


def test_the_queries_do_not_grow_with_the_rounds(due):
    def queries(today: date) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reminders_send(today=today) > 0
        return len(captured.captured_queries)

    one = queries(date(2026, 3, 17))
    for slug in ("lima", "bogota", "cusco"):
        city = make_city(slug)
        _due(services.round_create(authority=city.authority, period="2025", actor=city.approver), DUE)
    assert queries(date(2026, 3, 28)) == one  # four rounds, eight people: as many queries as for one


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_the_same_moment_remind_once(due, quito):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite lets one writer at a time in")
    barrier = threading.Barrier(2)
    sent, errors = [], []

    def beat():
        try:
            barrier.wait(timeout=10)
            sent.append(reminders_send(today=date(2026, 3, 17)))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == [] and sorted(sent) == [0, 1]
    assert list(Reminder.objects.values_list("round", "kind", "due_date")) == [(due.pk, Kind.DUE_14, DUE)]
    assert [(person, kind) for person, kind, _due_date in _told()] == [
        ("quito-approver", Kind.DUE_14),
        ("quito-editor", Kind.DUE_14),
    ]
    assert Mail.objects.filter(subject__contains="14").count() == 2


def test_beat_runs_the_reminders_hourly_and_the_digests_daily_at_six_utc():
    app.loader.import_default_modules()
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["notifications.tasks.send_reminders"] == 3600.0
    digests = schedule["notifications.tasks.send_digests"]
    assert digests.hour == {6} and digests.minute == {0} and app.timezone.key == "UTC"
    assert {"notifications.tasks.send_reminders", "notifications.tasks.send_digests"} <= set(app.tasks)
