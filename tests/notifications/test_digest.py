"""The daily digest: reviewers may take the submissions as one mail a day, in their language, mailed once."""

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from assessments import services
from assessments.events import Kind
from assessments.models import Preference
from notifications.digest import digests_send
from notifications.models import MailSetting, Notification
from notifications.tasks import send_digests
from outbox.models import Mail
from tests.factories import UserFactory
from tests.world import answer_everything, make_city


@pytest.fixture
def digest_reader(reviewer):
    """The reviewer, in French, who takes submissions as a digest."""
    Preference.objects.create(user=reviewer, language="fr")
    MailSetting.objects.create(user=reviewer, kind=Kind.SUBMITTED, delivery=MailSetting.Delivery.DIGEST)
    return reviewer


def _submit(city):
    round = services.round_create(authority=city.authority, period="2025", actor=city.approver)
    answer_everything(round, city.editor)
    return services.round_submit(round=round, actor=city.approver)


def test_a_reviewer_who_chose_the_digest_gets_the_days_submissions_in_one_mail_in_their_language(digest_reader, quito):
    rounds = [_submit(quito), _submit(make_city("lima"))]
    assert not Mail.objects.filter(to=digest_reader.email).exists()  # no mail at each submission
    assert Notification.objects.filter(user=digest_reader, mail=Notification.Mail.DIGEST).count() == 2

    assert send_digests.delay().get() == 1

    mail = Mail.objects.get(to=digest_reader.email)
    with translation.override("fr"):
        headlines = [gettext("%(round)s was submitted for review") % {"round": r} for r in rounds]
        open_it = gettext("Open it:")
    assert open_it.startswith("Pour l'ouvrir")  # the catalogue's French, not the site's English
    assert open_it in mail.body and '<html lang="fr" dir="ltr">' in mail.html
    for round, headline in zip(rounds, headlines, strict=True):
        link = settings.SITE_URL + reverse("round_detail", args=[round.pk])
        assert headline in mail.body and link in mail.body
        assert headline in mail.html and f'href="{link}"' in mail.html
    preferences = settings.SITE_URL + reverse("notification_preferences")
    assert preferences in mail.body and f'href="{preferences}"' in mail.html
    assert set(Notification.objects.filter(user=digest_reader).values_list("mail", flat=True)) == {
        Notification.Mail.DIGESTED
    }

    assert digests_send() == 0  # the next run: nothing waits
    assert Mail.objects.filter(to=digest_reader.email).count() == 1


def test_who_did_not_choose_the_digest_is_mailed_at_each_submission(digest_reader, quito):
    other = UserFactory(username="omar-reviewer", email="omar@example.org")
    other.groups.add(*digest_reader.groups.all())
    _submit(quito)
    assert list(Mail.objects.values_list("to", flat=True)) == ["omar@example.org"]
    assert digests_send() == 1
    assert sorted(Mail.objects.values_list("to", flat=True)) == ["omar@example.org", "rita@example.org"]


def test_who_cannot_be_mailed_is_not_recorded_as_sent_a_digest(db):
    gone = UserFactory(username="gone", email="gone@example.org", is_active=False)
    silent = UserFactory(username="silent", email="")
    reader = UserFactory(username="reader", email="reader@example.org")
    for person in (gone, silent, reader):
        Notification.objects.create(user=person, kind=Kind.SUBMITTED, mail=Notification.Mail.DIGEST)

    assert digests_send() == 1
    assert list(Mail.objects.values_list("to", flat=True)) == ["reader@example.org"]
    assert dict(Notification.objects.values_list("user__username", "mail")) == {
        "gone": Notification.Mail.NONE,
        "silent": Notification.Mail.NONE,
        "reader": Notification.Mail.DIGESTED,
    }


@pytest.mark.django_db(transaction=True)
def test_two_digest_runs_at_once_mail_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite lets one writer at a time in")
    person = UserFactory(username="rita", email="rita@example.org")
    Notification.objects.bulk_create(
        Notification(user=person, kind=Kind.SUBMITTED, mail=Notification.Mail.DIGEST) for _ in range(3)
    )
    barrier = threading.Barrier(2)
    sent, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            sent.append(digests_send())
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == [] and sorted(sent) == [0, 1]
    assert Mail.objects.filter(to="rita@example.org").count() == 1
