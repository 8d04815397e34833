"""The server's database connection is dropped in the middle of an autosave: the page says so, and the retry saves.

A real drop, not a simulated answer: the test holds the round's row lock (as a colleague's save would for a moment),
so that the live server's save waits inside its transaction; it then ends that server session with
``pg_terminate_backend`` (what a PostgreSQL restart or a failover does to every session) and lets the lock go.
The server answers 503 (the save rolled back; try again), the browser (Chromium, static/js/autosave.js) says
"Not saved — retrying", and the
retry, on a new connection, saves the text typed: one revision, nothing twice.
Needs PostgreSQL (pg_stat_activity, pg_terminate_backend): elsewhere it skips; in CI it runs.
"""

import re

import psycopg2
import pytest
from django.db import connection
from playwright.sync_api import expect

from assessments import services
from assessments.models import Answer, AnswerRevision
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWER_HC01 = re.compile(r"/rounds/\d+/answers/HC-01/$")
TEXT = "Adopted by the council in March; the minutes are attached."


@pytest.fixture
def round(quito):
    return services.round_create(authority=quito.authority, period="2025", actor=quito.approver)


@pytest.fixture
def round_lock(round):
    """Hold the round's row lock from a connection of the test's own, as a colleague's save holds it for a moment."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL) to end the server's session")
    db = connection.settings_dict
    holder = psycopg2.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"] or None, dbname=db["NAME"]
    )
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM assessments_round WHERE id = %s FOR UPDATE", [round.pk])
        yield holder  # holder.rollback() lets the lock go
    finally:
        holder.close()


def _sessions_waiting_for_a_lock() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_a_save_whose_database_connection_is_dropped_says_not_saved_and_the_retry_saves_it_once(
    login, round, round_lock
):
    page = login("quito-editor")
    page.add_init_script("window.coherenceAutosave = {retries: 3, backoff: 1000, debounce: 60000};")
    page.goto(f"/rounds/{round.pk}/dimensions/HC/")
    card = page.locator("#indicator-HC-01")
    answers = []
    page.on("response", lambda response: ANSWER_HC01.search(response.url) and answers.append(response))

    card.get_by_label("Justification").fill(TEXT)  # typed text waits for a pause in typing (a minute here)...
    card.get_by_role("button", name="Save now").click()  # ...or for the field to lose the focus, then "Save now"
    waiting = wait_until(_sessions_waiting_for_a_lock, 15, "the server's save to wait inside its transaction")
    assert len(waiting) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", waiting)
        assert cursor.fetchone() == (True,)
    round_lock.rollback()

    status = card.get_by_role("status")
    expect(status).to_contain_text("Not saved — retrying")
    expect(status).to_contain_text("Saved at")
    answer = Answer.objects.get(round=round, indicator__code="HC-01")
    assert (answer.justification, answer.revision) == (TEXT, 1)
    assert AnswerRevision.objects.filter(answer=answer).count() == 1
    # The dropped save was answered 503 "try again" (not a server error page), without the database; the retry 200.
    dropped, *_others, last = answers
    assert (dropped.status, dropped.headers.get("retry-after"), last.status) == (503, "5", 200)
    assert dropped.text() == "Not saved: the database is unavailable for a moment. Try again."
