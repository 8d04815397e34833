"""Mails go through the outbox: written with the change, sent after it commits, kept when they cannot go."""

import ast
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.models import Round
from outbox.models import Mail
from outbox.services import mail_queue
from outbox.tasks import send_unsent_mails
from tests.world import answer_everything

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def answered(draft, quito, reviewer):
    answer_everything(draft, quito.editor)
    return draft


def _submit(client, round, quito):
    client.force_login(quito.approver)
    started = time.monotonic()
    response = client.post(reverse("round_submit", args=[round.pk]))
    return response, time.monotonic() - started


def _nothing_listens() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_the_mails_of_a_change_are_written_with_it_and_sent_once_it_commits(
    client, answered, quito, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _submit(client, answered, quito)
    assert Mail.objects.get().sent_at is None and mail.outbox == []

    for callback in callbacks:
        callback()
    assert mail.outbox[0].to == ["rita@example.org"] and "submitted" in mail.outbox[0].subject
    assert Mail.objects.get().sent_at is not None


@pytest.mark.django_db
def test_a_change_that_rolls_back_leaves_no_mail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        mail_queue(subject="Hello", body="Body", recipients=["a@example.org"])
        raise RuntimeError("the change failed")
    assert not Mail.objects.exists() and mail.outbox == []


@pytest.mark.django_db
def test_a_mail_server_that_is_down_keeps_the_mail_and_the_action_succeeds_and_a_later_send_delivers_it(
    client, answered, quito, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _nothing_listens()

    with django_capture_on_commit_callbacks(execute=True):
        response, _elapsed = _submit(client, answered, quito)

    assert response.status_code == 302
    assert Round.objects.get(pk=answered.pk).status == Round.Status.SUBMITTED
    kept = Mail.objects.get()
    assert kept.sent_at is None and kept.attempts == 1 and "Connection refused" in kept.error
    assert kept.next_attempt_at > timezone.now()  # tried again after a backoff, not at once

    settings.EMAIL_BACKEND = LOCMEM  # the mail server is back
    assert send_unsent_mails() is True and mail.outbox == []  # its next attempt has not come yet
    Mail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert send_unsent_mails() is True
    assert [m.to for m in mail.outbox] == [["rita@example.org"]]
    kept.refresh_from_db()
    assert kept.sent_at is not None and kept.error == ""
    assert send_unsent_mails() is True and len(mail.outbox) == 1  # sent once


@pytest.mark.real_worker  # tasks go through the broker, not in-process
@pytest.mark.django_db(transaction=True)
def test_mails_written_while_the_broker_is_down_are_kept_and_sent_by_beat(client, broker, answered, quito):
    broker.stop()
    response, elapsed = _submit(client, answered, quito)

    assert response.status_code == 302 and elapsed < 8
    assert Round.objects.get(pk=answered.pk).status == Round.Status.SUBMITTED
    kept = Mail.objects.get()
    assert kept.sent_at is None and kept.attempts == 0 and mail.outbox == []

    broker.start()
    assert send_unsent_mails() is True  # what beat runs every minute
    assert [m.to for m in mail.outbox] == [["rita@example.org"]]
    kept.refresh_from_db()
    assert kept.sent_at is not None


@pytest.mark.django_db
def test_the_admin_lists_the_outbox_and_sends_what_is_unsent(client, settings):
    settings.EMAIL_BACKEND = LOCMEM
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    waiting = Mail.objects.create(to="a@example.org", from_email="x@example.org", subject="Waiting", body="Body")
    client.force_login(admin)
    assert "Waiting" in client.get(reverse("admin:outbox_mail_changelist")).content.decode()

    response = client.post(
        reverse("admin:outbox_mail_changelist"), {"action": "send_now", "_selected_action": [waiting.pk]}, follow=True
    )
    assert "were sent" in response.content.decode()
    assert [m.subject for m in mail.outbox] == ["Waiting"]


def test_the_outbox_depends_on_no_app_above_it():
    upper = {"indicators", "assessments", "reports", "dashboard"}
    for path in (Path(django_settings.BASE_DIR) / "outbox").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            assert not {name.split(".")[0] for name in names} & upper, f"{path.name} imports {names}"
