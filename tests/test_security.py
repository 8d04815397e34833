"""Site-wide protections: Content-Security-Policy, log-in throttling, login required, hostile input."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the TLS proxy: every request reaches the app from its address


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


def _log_in(client, password: str, forwarded_for: str):
    return client.post(
        reverse("login"),
        {"username": "quito-editor", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_a_trusted_proxy_an_attackers_failures_lock_only_the_attackers_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="quito-editor")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        # The attacker's own X-Forwarded-For is kept on the left; the proxy appends what it saw.
        _log_in(client, "wrong", "192.0.2.1, 203.0.113.66")
    assert _log_in(client, "pw-for-tests-only", "203.0.113.66").status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.66"

    response = _log_in(client, "pw-for-tests-only", "198.51.100.7")
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(client, settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    UserFactory(username="quito-editor")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "wrong", f"198.51.100.{attempt}")
    assert AccessAttempt.objects.get().ip_address == PROXY
    assert _log_in(client, "pw-for-tests-only", "198.51.100.99").status_code == 429


@pytest.mark.parametrize("login", [reverse("login"), reverse("admin:login")], ids=["site", "admin"])
def test_a_username_longer_than_any_account_is_a_form_error_and_leaves_no_axes_record(client, login):
    UserFactory(username="quito-editor")
    response = client.post(login, {"username": "q" * 300, "password": "wrong"})
    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    ("name", "method", "code"),
    [
        ("round_dimension", "get", "HC\x00"),
        ("round_dimension_toggle", "post", "HC\x00"),
        ("answer_save", "post", "HC-01\x00"),
        ("evidence_add", "post", "HC-01\x00"),
        ("answer_save", "post", "HC-01\x1b[0m"),
        ("answer_save", "post", "HC-01" + "0" * 16),
    ],
    ids=["nul-dimension", "nul-dimension-toggle", "nul-answer", "nul-evidence", "escape", "too-long"],
)
def test_a_code_no_indicator_or_dimension_can_have_is_a_404(client, draft, quito, name, method, code):
    client.force_login(quito.editor)
    url = reverse(name, args=[draft.pk, "CODE"]).replace("CODE", code)
    response = getattr(client, method)(url)
    assert response.status_code == 404
