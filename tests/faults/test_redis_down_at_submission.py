"""Redis is down when an approver submits a round: the submission succeeds, and its mails go out once Redis is back.

The whole story with real processes: a redis-server of the test's own (tests/conftest.py ``broker``) stopped
during the submission, then started again (empty: what it would have held is lost); a real Celery worker fed
from it, and a real SMTP server (tests/smtp_sink.py) that writes each mail it receives to a folder. Beat's
outbox job (``outbox.tasks.send_unsent_mails``, every minute in production) is sent to the broker as beat sends
it, twice, as two ticks of beat would: each person concerned gets the submission's mail exactly once.
tests/outbox/test_outbox.py shows the same with the job run in this process; here nothing is.
Needs PostgreSQL, Redis and redis-server: in CI a missing one fails the test; elsewhere it skips.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from assessments.models import Round
from coherence_site.celery import app
from outbox.models import Mail
from tests.conftest import wait_until
from tests.factories import UserFactory
from tests.processes import free_port
from tests.world import answer_everything

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

BEATS_OUTBOX_JOB = settings.CELERY_BEAT_SCHEDULE["send-unsent-mails"]["task"]


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server on a free port; returns (port, folder of the mails it received)."""
    folder, port = tmp_path / "mails", free_port()
    command = [sys.executable, "tests/smtp_sink.py", "--port", str(port), "--folder", str(folder)]
    server = subprocess.Popen(command, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "listening"
        yield port, folder
    finally:
        server.terminate()
        server.wait(timeout=10)


def _received(folder: Path) -> list[str]:
    """The recipients of every mail the SMTP server received, one entry per mail."""
    return sorted(to for path in folder.glob("*.json") for to in json.loads(path.read_text())["rcpt_tos"])


def test_a_round_submitted_while_redis_is_down_is_submitted_and_its_mails_go_out_once_when_it_is_back(
    client, broker, start_worker, smtp_server, draft, quito, reviewer, tmp_path
):
    second_reviewer = UserFactory(username="ravi-reviewer", email="ravi@example.org")
    second_reviewer.groups.add(Group.objects.get(name="Programme reviewers"))
    answer_everything(draft, quito.editor)
    expected = sorted(["rita@example.org", "ravi@example.org"])  # the programme's reviewers are told
    client.force_login(quito.approver)

    broker.stop()
    started = time.monotonic()
    response = client.post(reverse("round_submit", args=[draft.pk]))
    elapsed = time.monotonic() - started

    assert response.status_code == 302 and elapsed < 8, (response.status_code, elapsed)
    assert Round.objects.get(pk=draft.pk).status == Round.Status.SUBMITTED
    assert sorted(Mail.objects.values_list("to", flat=True)) == expected
    assert not Mail.objects.filter(sent_at__isnull=False).exists() and mail.outbox == []

    broker.start()  # empty: the send task refused at the commit is not there
    port, folder = smtp_server
    start_worker(
        broker.url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
    )
    assert redis.Redis.from_url(broker.url).llen("celery") == 0
    for _tick in range(2):  # two ticks of beat: a mail sent by the first is not sent again by the second
        app.send_task(BEATS_OUTBOX_JOB)

    worker_log = tmp_path / "worker-0.log"  # start_worker's log of its first worker
    wait_until(lambda: _ticks_done(worker_log) == 2, 60, "the worker to run both ticks of beat's outbox job")
    assert _received(folder) == expected
    assert not Mail.objects.filter(sent_at__isnull=True).exists()
    assert all(row.error == "" and row.attempts == 0 for row in Mail.objects.all())


def _ticks_done(worker_log: Path) -> int:
    lines = worker_log.read_text().splitlines()
    return sum(f"Task {BEATS_OUTBOX_JOB}[" in line and " succeeded in " in line for line in lines)
