"""Site-wide protections: Content-Security-Policy, log-in throttling, login required."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pages_send_a_content_security_policy_that_allows_only_this_site(client, catalogue):
    policy = client.get(reverse("methodology"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client, settings):
    UserFactory(username="quito-editor")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "quito-editor", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "quito-editor", "password": "pw-for-tests-only"})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_correct_login_reaches_home(client):
    UserFactory(username="quito-approver")
    response = client.post(reverse("login"), {"username": "quito-approver", "password": "pw-for-tests-only"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
