"""Each person's choice of mail per kind of event, and how notify() follows it."""

import re

import pytest
from django.urls import reverse

from assessments.events import Event, Kind
from notifications.models import MailSetting, Notification
from notifications.services import notify
from outbox.models import Mail
from tests.factories import RoundFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return UserFactory(username="ana", email="ana@example.org")


def everything(**changes) -> dict[str, str]:
    choices = {kind.value: "immediate" for kind in Kind}
    choices.update(changes)
    return choices


def test_by_default_every_kind_is_mailed_at_once(client, person):
    client.force_login(person)
    response = client.get(reverse("notification_preferences"))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<fieldset") == len(Kind)
    assert re.findall(r'value="(\w+)"[^>]*checked', content) == ["immediate"] * len(Kind)
    assert content.count('value="digest"') == 1
    assert all(f"{kind.label}</legend>" in content for kind in Kind)


def test_saving_writes_only_the_choices_that_differ_from_the_default(client, person):
    client.force_login(person)
    response = client.post(reverse("notification_preferences"), everything(opened="off", submitted="digest"))
    assert response.status_code == 302
    assert dict(MailSetting.objects.filter(user=person).values_list("kind", "delivery")) == {
        "opened": "off",
        "submitted": "digest",
    }
    assert "Your mail settings are saved." in client.get(response.url).content.decode()
    client.post(reverse("notification_preferences"), everything(submitted="off"))
    assert dict(MailSetting.objects.filter(user=person).values_list("kind", "delivery")) == {"submitted": "off"}


def test_the_page_shows_the_saved_choices(client, person):
    MailSetting.objects.create(user=person, kind=Kind.OVERDUE, delivery="off")
    client.force_login(person)
    content = client.get(reverse("notification_preferences")).content.decode()
    assert re.findall(r'name="overdue" value="(\w+)"[^>]*checked', content) == ["off"]


@pytest.mark.parametrize(
    "changes",
    [{"returned": "digest"}, {"opened": "weekly"}, {"validated": ""}],
    ids=["digest-not-offered", "unknown", "missing"],
)
def test_an_invalid_choice_is_refused_and_nothing_is_written(client, person, changes):
    MailSetting.objects.create(user=person, kind=Kind.OVERDUE, delivery="off")
    client.force_login(person)
    response = client.post(reverse("notification_preferences"), everything(overdue="immediate", due_3="off", **changes))
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert dict(MailSetting.objects.filter(user=person).values_list("kind", "delivery")) == {"overdue": "off"}


def test_a_kind_turned_off_is_not_mailed_but_still_listed(client, person, catalogue):
    other = UserFactory(username="ben", email="ben@example.org")
    round = RoundFactory()
    client.force_login(person)
    client.post(reverse("notification_preferences"), everything(returned="off"))
    Mail.objects.all().delete()
    notify([Event(Kind.RETURNED, round, None, (person.pk, other.pk), {})])
    assert list(Mail.objects.values_list("to", flat=True)) == ["ben@example.org"]
    assert Notification.objects.for_user(person).filter(kind=Kind.RETURNED, mail="none").count() == 1
    notify([Event(Kind.OPENED, round, None, (person.pk,), {})])
    assert Mail.objects.filter(to="ana@example.org").count() == 1
