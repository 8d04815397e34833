"""Password reset: in the site's look, linked from log-in, throttled, silent about which accounts exist."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests.factories import UserFactory

# transaction=True: the reset mail goes through the outbox, which sends it once the request commits.
pytestmark = pytest.mark.django_db(transaction=True)

RESET = reverse("password_reset")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lucia(db):
    return UserFactory(username="quito-editor", email="lucia@quito.gob.ec")


def _page(response) -> str:
    # The page without its CSRF tokens, which differ on every rendering.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_the_log_in_page_links_to_password_reset(client):
    assert f'href="{RESET}"' in client.get(reverse("login")).content.decode()


def test_the_reset_page_is_in_the_sites_look_with_a_labelled_field_and_translated(client):
    client.post(reverse("set_language"), {"language": "fr", "next": RESET})
    page = client.get(RESET).content.decode()
    assert 'lang="fr"' in page and "skip-link" in page and "site-navbar" in page  # base.html, not the admin's
    assert re.search(r'<label[^>]* for="id_email"[^>]*>\s*Courriel', page)


def test_known_and_unknown_addresses_get_the_same_answer_and_only_the_account_gets_mail(client, lucia):
    known = client.post(RESET, {"email": "lucia@quito.gob.ec"})
    unknown = client.post(RESET, {"email": "nobody@quito.gob.ec"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == reverse("password_reset_done")
    assert [message.to for message in mail.outbox] == [["lucia@quito.gob.ec"]]
    done = client.get(known["Location"])
    assert "If an account uses the address you entered" in done.content.decode()


def test_the_mailed_link_sets_a_new_password_that_logs_in(client, lucia, settings):
    settings.SITE_URL = "https://coherence.example.org"
    client.post(RESET, {"email": "LUCIA@quito.gob.ec"})
    link = re.search(r"https://coherence\.example\.org(/\S+)", mail.outbox[0].body).group(1)
    set_password = client.get(link)
    assert set_password.status_code == 302
    form = client.get(set_password["Location"])
    assert 'for="id_new_password1"' in form.content.decode()
    new = "a-new-long-passphrase-42"
    done = client.post(set_password["Location"], {"new_password1": new, "new_password2": new})
    assert done["Location"] == reverse("password_reset_complete")
    assert client.post(reverse("login"), {"username": "quito-editor", "password": new}).status_code == 302


def test_password_reset_is_throttled_per_client_address_without_telling_which_accounts_exist(client, lucia, settings):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 3
    for i in range(3):
        assert client.post(RESET, {"email": f"someone{i}@example.org"}).status_code == 302
    refused_known = client.post(RESET, {"email": "lucia@quito.gob.ec"})
    refused_unknown = client.post(RESET, {"email": "nobody@quito.gob.ec"})
    assert refused_known.status_code == refused_unknown.status_code == 429
    assert _page(refused_known) == _page(refused_unknown)
    assert "Too many password reset requests" in refused_known.content.decode()
    assert refused_known["Retry-After"] == "3600"
    assert mail.outbox == []


def test_password_reset_is_throttled_per_email_address_from_any_client(client, lucia, settings):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 3
    settings.TRUSTED_PROXY_COUNT = 1
    for i in range(3):
        response = client.post(
            RESET, {"email": "lucia@quito.gob.ec"}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        )
        assert response.status_code == 302
    response = client.post(
        RESET, {"email": "Lucia@Quito.gob.ec"}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9"
    )
    assert response.status_code == 429
    assert len(mail.outbox) == 3
