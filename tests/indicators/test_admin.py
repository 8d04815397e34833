"""The catalogue admin: drafts editable, published versions read-only, import and export."""

import io
import json

import pytest
from django.urls import reverse

from indicators.exchange import document_to_xlsx, version_document, xlsx_to_document
from indicators.models import CatalogueVersion, Indicator
from tests.factories import IndicatorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _change_url(obj):
    return reverse(f"admin:indicators_{obj._meta.model_name}_change", args=[obj.pk])


def test_published_indicator_page_is_read_only_and_a_post_changes_nothing(admin_client, catalogue):
    indicator = Indicator.objects.get(version=catalogue, code="HC-01")
    page = admin_client.get(_change_url(indicator))
    assert page.status_code == 200
    assert b'name="question_en"' not in page.content  # shown as text, not as a field
    response = admin_client.post(_change_url(indicator), {"code": "HACKED", "question_en": "Changed?"})
    assert response.status_code == 403
    indicator.refresh_from_db()
    assert indicator.code == "HC-01"


def test_draft_indicator_page_is_editable(admin_client):
    indicator = IndicatorFactory()
    page = admin_client.get(_change_url(indicator))
    assert b'name="question_en"' in page.content
    assert b'name="question_fr"' in page.content and b'name="question_es"' in page.content


def test_published_version_cannot_be_deleted_from_the_admin(admin_client, catalogue):
    response = admin_client.post(
        reverse("admin:indicators_catalogueversion_delete", args=[catalogue.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert CatalogueVersion.objects.filter(pk=catalogue.pk).exists()


def test_admin_searches_indicators_by_code_and_text(admin_client, catalogue):
    response = admin_client.get(reverse("admin:indicators_indicator_changelist"), {"q": "HC-03"})
    assert response.context["cl"].result_count == 1
    response = admin_client.get(reverse("admin:indicators_indicator_changelist"), {"q": "diaspora"})
    assert "SP-02" in {i.code for i in response.context["cl"].result_list}


def test_new_draft_action_then_publish_action(admin_client, catalogue):
    changelist = reverse("admin:indicators_catalogueversion_changelist")
    admin_client.post(changelist, {"action": "make_draft", "_selected_action": [catalogue.pk]})
    draft = CatalogueVersion.objects.get(based_on=catalogue)
    assert draft.status == CatalogueVersion.Status.DRAFT
    admin_client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == CatalogueVersion.Status.PUBLISHED
    assert CatalogueVersion.objects.current() == draft


def test_export_actions_download_the_whole_version(admin_client, catalogue):
    changelist = reverse("admin:indicators_catalogueversion_changelist")
    as_json = admin_client.post(changelist, {"action": "export_json", "_selected_action": [catalogue.pk]})
    assert as_json["Content-Disposition"].endswith('v1.json"')
    assert json.loads(as_json.content) == version_document(catalogue)
    as_xlsx = admin_client.post(changelist, {"action": "export_xlsx", "_selected_action": [catalogue.pk]})
    assert len(xlsx_to_document(as_xlsx.content)["dimensions"]) == 6


def test_import_view_creates_a_draft_from_a_workbook(admin_client, catalogue):
    document = version_document(catalogue)
    document["version"]["number"] = 5
    upload = io.BytesIO(document_to_xlsx(document))
    upload.name = "catalogue.xlsx"
    response = admin_client.post(reverse("admin:indicators_catalogueversion_import"), {"file": upload})
    version = CatalogueVersion.objects.get(number=5)
    assert response.status_code == 302 and response["Location"] == _change_url(version)
    assert version.indicators.count() == 36


def test_import_view_lists_the_problems_of_a_bad_file_and_writes_nothing(admin_client, catalogue):
    document = version_document(catalogue)
    document["version"]["number"] = 6
    document["dimensions"][1]["indicators"][0]["question"] = {"fr": "Seulement en français"}
    upload = io.BytesIO(json.dumps(document).encode())
    upload.name = "catalogue.json"
    response = admin_client.post(reverse("admin:indicators_catalogueversion_import"), {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<td>indicator VC-01 question</td><td>the English text is missing</td>" in body
    assert not CatalogueVersion.objects.filter(number=6).exists()


def test_import_view_refuses_a_file_that_is_not_json(admin_client):
    upload = io.BytesIO(b"\xff\xfe not json")
    upload.name = "catalogue.json"
    response = admin_client.post(reverse("admin:indicators_catalogueversion_import"), {"file": upload})
    assert response.status_code == 200
    assert "is not valid JSON" in response.content.decode()
