"""Reminders of due dates, sent by beat: once per round, threshold and due date, however often beat runs.

The ``Reminder`` row is the proof that a reminder went out. Each run inserts the rows it would send with
``ON CONFLICT DO NOTHING … RETURNING``: the database gives back only the rows this run inserted, so two beats
at once (or one run twice) tell each member once. A moved due date is a new key, and the reminders start again.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from assessments.events import Event, Kind, members
from assessments.models import Round

from .models import Reminder
from .services import notify

# Rounds still with the city: the ones a reminder is about.
WITH_THE_CITY = (Round.Status.DRAFT, Round.Status.RETURNED)
BATCH = 500  # rows per INSERT: well within the parameters a database takes in one statement
# How long after its due date a round is still reminded of as overdue: a round abandoned years ago is not
# news, and the first beat after a deployment must not mail every old round.
OVERDUE_FOR = timedelta(days=30)


def threshold(due_date: date, today: date) -> str | None:
    """The most urgent reminder reached on ``today`` for ``due_date``, or None when none is yet."""
    days_left = (due_date - today).days
    if days_left < 0:
        return Kind.OVERDUE
    if days_left <= 3:
        return Kind.DUE_3
    if days_left <= 14:
        return Kind.DUE_14
    return None


@transaction.atomic
def reminders_send(*, today: date | None = None) -> int:
    """Remind the members of each round reaching a threshold; returns how many reminders this run sent.

    A constant number of queries for any number of rounds and members (one more per ``BATCH`` rounds).
    """
    today = today or timezone.localdate()
    # Locked: a round being submitted at this moment is read once its submission is committed, and then
    # no longer matches; no reminder goes out about a round that has just left the city.
    rounds = (
        Round.objects.filter(
            status__in=WITH_THE_CITY,
            due_date__gte=today - OVERDUE_FOR,
            due_date__lte=today + timedelta(days=14),
        )
        .select_related("authority")
        .select_for_update(of=("self",))
    )
    due = {(r.pk, threshold(r.due_date, today), r.due_date): r for r in rounds}
    inserted = [key for keys in _batches(list(due)) for key in _insert(keys)]
    if not inserted:
        return 0
    rounds = [due[key] for key in inserted]
    recipients = members(rounds)
    notify(
        Event(kind, due[(pk, kind, due_date)], None, recipients[pk], {"due_date": due_date.isoformat()})
        for pk, kind, due_date in inserted
    )
    return len(inserted)


def _batches(keys: list) -> list[list]:
    return [keys[start : start + BATCH] for start in range(0, len(keys), BATCH)]


def _insert(keys: list[tuple[int, str, date]]) -> list[tuple[int, str, date]]:
    """Insert these reminders; the keys of those this statement inserted (not those already there)."""
    if not keys:
        return []
    quote = connection.ops.quote_name
    table = quote(Reminder._meta.db_table)
    columns = [quote(Reminder._meta.get_field(name).column) for name in ("round", "kind", "due_date", "sent_at")]
    key = ", ".join(columns[:3])
    now = timezone.now()
    values = ", ".join(["(%s, %s, %s, %s)"] * len(keys))
    params = [value for pk, kind, due_date in keys for value in (pk, str(kind), due_date, now)]
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "  # names from the model, values as parameters
        f"ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [(pk, kind, _date(due_date)) for pk, kind, due_date in rows]


def _date(value) -> date:
    return value if isinstance(value, date) else parse_date(value)  # SQLite returns text
