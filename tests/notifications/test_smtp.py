"""Mail through a real SMTP server process (tests/smtp_sink.py): recipients, headers, both parts, each one's language."""

import json
import socket
import subprocess
import sys
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from assessments import services
from assessments.models import Preference, Round
from outbox.models import Mail
from outbox.services import mail_send_due
from tests.factories import MembershipFactory, UserFactory
from tests.processes import free_port
from tests.world import answer_everything

# They start a process and take a port: run with the others that do, one after another (tests/conftest.py).
pytestmark = [pytest.mark.processes, pytest.mark.xdist_group("processes")]

SMTP = "django.core.mail.backends.smtp.EmailBackend"
LANGUAGES = {"ed@quito.example": "fr", "rita@example.org": "es", "eve@quito.example": "ar"}


class SmtpSink:
    """tests/smtp_sink.py running on a free port; ``received()`` reads what it was sent."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder / "mails"
        self.refuse_flag = folder / "refuse"
        script = Path(__file__).resolve().parent.parent / "smtp_sink.py"
        self.log = open(folder / "smtp_sink.log", "w")  # noqa: SIM115 - closed in stop()
        command = [sys.executable, str(script), "--port", str(self.port), "--folder", str(self.folder)]
        self.process = subprocess.Popen(
            [*command, "--refuse-while", str(self.refuse_flag)], stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_listening()

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.folder.parent / "smtp_sink.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as client:
                    if client.recv(64).startswith(b"220"):
                        return
            except OSError:
                time.sleep(0.1)
        pytest.fail("the SMTP server did not answer within 20 s")

    def refuse(self, refusing: bool) -> None:
        if refusing:
            self.refuse_flag.touch()
        else:
            self.refuse_flag.unlink(missing_ok=True)

    def received(self) -> dict[str, tuple[dict, object]]:
        """Each recipient → (envelope, parsed message), of every mail received so far."""
        mails = {}
        for path in sorted(self.folder.glob("*.eml")):
            envelope = json.loads(path.with_suffix(".json").read_text())
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            for to in envelope["rcpt_tos"]:
                assert to not in mails, f"{to} received two mails"
                mails[to] = (envelope, message)
        return mails

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def smtp(tmp_path, settings):
    sink = SmtpSink(tmp_path)
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.stop()


@pytest.fixture
def answered(draft, quito, reviewer):
    """A round ready to submit, whose people read French (the editor), Spanish (the reviewer) and Arabic."""
    people = [
        (quito.editor, "ed@quito.example"),
        (reviewer, "rita@example.org"),
        (
            MembershipFactory(authority=quito.authority, user=UserFactory(username="quito-eve")).user,
            "eve@quito.example",
        ),
    ]
    for person, address in people:
        person.email = address
        person.save(update_fields=["email"])
        Preference.objects.update_or_create(user=person, defaults={"language": LANGUAGES[address]})
    answer_everything(draft, quito.editor)
    return draft


def _submit(client, round, quito):
    client.force_login(quito.approver)
    return client.post(reverse("round_submit", args=[round.pk]))


def test_each_recipient_gets_both_parts_in_their_language_through_a_real_smtp_server(smtp, answered, quito, settings):
    services.round_submit(round=answered, actor=quito.approver)
    assert mail_send_due() is True

    received = smtp.received()
    assert set(received) == set(LANGUAGES)  # the members and the reviewer; not the approver, who submitted
    preferences = settings.SITE_URL + reverse("notification_preferences")
    round_link = settings.SITE_URL + reverse("round_detail", args=[answered.pk])
    for to, (envelope, message) in received.items():
        language = LANGUAGES[to]
        with translation.override(language):
            headline = gettext("%(round)s was submitted for review") % {"round": answered}
            subject = gettext("Coherence: %(headline)s") % {"headline": headline}
            open_it = gettext("Open it:")
        assert envelope["mail_from"] in settings.DEFAULT_FROM_EMAIL
        assert message["To"] == to and message["From"] == settings.DEFAULT_FROM_EMAIL
        assert message["Subject"].strip() == subject  # a long encoded subject is folded after "Subject:"
        assert message.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert headline in text and open_it in text and round_link in text and preferences in text
        direction = "rtl" if language == "ar" else "ltr"
        assert f'<html lang="{language}" dir="{direction}">' in html and f'href="{preferences}"' in html
        assert headline in html
    texts = {to: message.get_body(("plain",)).get_content() for to, (_envelope, message) in received.items()}
    assert "Pour l'ouvrir" in texts["ed@quito.example"] and "Para abrirla" in texts["rita@example.org"]
    assert "لفتحه:" in texts["eve@quito.example"]  # Arabic, read right to left (the HTML part says dir="rtl")


def test_a_refusing_server_keeps_the_mails_and_records_the_attempt_until_it_accepts_them(
    smtp, answered, quito, client, django_capture_on_commit_callbacks
):
    smtp.refuse(True)
    with django_capture_on_commit_callbacks(execute=True):  # the Celery task runs as the commit ends
        response = _submit(client, answered, quito)
    assert response.status_code == 302

    refused = Mail.objects.get(attempts=1)
    assert refused.sent_at is None and "451" in refused.error
    assert refused.next_attempt_at > timezone.now() + timedelta(seconds=30)  # a backoff, not at once
    assert Mail.objects.filter(sent_at__isnull=True).count() == 3 and smtp.received() == {}

    smtp.refuse(False)
    assert mail_send_due() is True  # the two that waited behind it; the refused one when its time comes
    assert len(smtp.received()) == 2
    refused.refresh_from_db()
    assert refused.sent_at is None
    with time_machine.travel(refused.next_attempt_at + timedelta(seconds=1)):
        assert mail_send_due() is True
    assert set(smtp.received()) == set(LANGUAGES)
    refused.refresh_from_db()
    assert refused.sent_at is not None and refused.error == ""
    assert mail_send_due() is True and len(smtp.received()) == 3  # each sent once


def test_who_submits_while_the_mail_server_is_down_gets_the_next_page_not_an_error(
    answered, quito, client, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there

    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client, answered, quito)

    assert response.status_code == 302
    assert Round.objects.get(pk=answered.pk).status == Round.Status.SUBMITTED
    assert Mail.objects.filter(sent_at__isnull=True).count() == 3
    assert "Connection refused" in Mail.objects.get(attempts=1).error
