"""Response headers: private pages stay out of caches; browser features the app does not use are denied."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from assessments.models import Evidence
from tests.world import answer

pytestmark = pytest.mark.django_db


def test_pages_for_a_signed_in_user_are_private_and_never_stored(client, draft, quito):
    client.force_login(quito.editor)
    for url in (reverse("home"), reverse("round_detail", args=[draft.pk]), reverse("methodology")):
        assert client.get(url)["Cache-Control"] == "private, no-store", url


def test_an_evidence_download_is_private_and_never_stored(client, draft, quito, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    saved = answer(draft, "HC-01", quito.editor, level=1)
    evidence = Evidence(answer=saved, filename="acta.pdf", description="Minutes", added_by=quito.editor)
    evidence.file.save("acta.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    client.force_login(quito.editor)
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "private, no-store"


def test_api_answers_to_a_token_are_private_and_never_stored(client, quito):
    token = Token.objects.create(user=quito.editor)
    response = client.get(reverse("api_round_list"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_a_stricter_cache_header_a_view_sets_is_kept(client, quito):
    client.force_login(quito.editor)
    cache_control = client.get(reverse("login"))["Cache-Control"]  # never_cache on Django's LoginView
    assert "no-store" in cache_control and "must-revalidate" in cache_control


def test_public_pages_and_static_files_stay_cacheable(catalogue, settings, quito):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    anonymous = Client()
    assert "no-store" not in anonymous.get(reverse("methodology")).get("Cache-Control", "")
    assert "no-store" not in anonymous.get(reverse("public_dashboard")).get("Cache-Control", "")

    signed_in = Client()
    signed_in.force_login(quito.editor)
    static = signed_in.get(settings.STATIC_URL + "css/app.css")
    assert static.status_code == 200
    assert "max-age" in static["Cache-Control"] and "no-store" not in static["Cache-Control"]


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_denies_browser_features_the_app_does_not_use(client, catalogue, quito, signed_in):
    if signed_in:
        client.force_login(quito.editor)
    policy = client.get(reverse("methodology"))["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture", "fullscreen"):
        assert f"{feature}=()" in policy
    assert "*" not in policy and "self" not in policy
