"""The interface language: chosen with the switcher, remembered for the user, restored at log-in."""

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Preference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_anyone_can_switch_the_language_and_the_pages_follow(client, catalogue):
    assert client.get(reverse("login")).status_code == 200  # the log-in page needs no log-in
    client.post(reverse("set_language"), {"language": "fr", "next": reverse("methodology")})
    body = client.get(reverse("methodology")).content.decode()
    assert 'lang="fr"' in body


def test_a_signed_in_users_choice_follows_them_to_another_browser(catalogue):
    UserFactory(username="naga-editor")
    first = Client()
    first.post(reverse("login"), {"username": "naga-editor", "password": "pw-for-tests-only"})
    first.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert Preference.objects.get(user__username="naga-editor").language == "es"

    second = Client()
    response = second.post(reverse("login"), {"username": "naga-editor", "password": "pw-for-tests-only"})
    assert response.cookies["django_language"].value == "es"
    assert 'lang="es"' in second.get(reverse("home")).content.decode()


def test_an_unknown_language_changes_nothing(client, catalogue):
    user = UserFactory(username="quito-editor")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert not Preference.objects.filter(user=user).exists()
    assert 'lang="en"' in client.get(reverse("home")).content.decode()
