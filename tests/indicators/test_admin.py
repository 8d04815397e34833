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


# --- the crosswalk ----------------------------------------------------------------------------------


def _indicator_form(admin_client, indicator, **changes):
    """The admin's form for ``indicator``, bound to its current values with ``changes``."""
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = UserFactory(username="form-root", is_staff=True, is_superuser=True)
    form_class = django_admin.site._registry[Indicator].get_form(request, indicator)
    unbound = form_class(instance=indicator)
    data = {}
    for name in unbound.fields:
        value = unbound[name].value()
        data[name] = [getattr(v, "pk", v) for v in value] if isinstance(value, list | tuple) else value
    data = {name: "" if value is None else value for name, value in data.items()}
    data.update(changes)
    return form_class(data, instance=indicator)


def test_the_indicator_form_edits_the_crosswalk_among_the_predecessors_of_the_based_on_edition(admin_client, catalogue):
    from indicators import services

    draft = services.version_copy_to_draft(version=catalogue)
    other = services.version_copy_to_draft(version=catalogue)
    hc01 = Indicator.objects.select_related("version").get(version=draft, code="HC-01")
    old = {i.code: i.pk for i in Indicator.objects.filter(version=catalogue)}

    form = _indicator_form(admin_client, hc01)
    assert set(form.fields["merged_from"].queryset.values_list("pk", flat=True)) == set(old.values())
    assert not Indicator.objects.filter(version=other, pk__in=form.fields["derived_from"].queryset).exists()

    wrong = _indicator_form(admin_client, hc01, crosswalk="merged", merged_from=[old["HC-01"]], derived_from="")
    assert not wrong.is_valid()
    assert "two or more" in " ".join(wrong.errors["crosswalk"])
    both = _indicator_form(admin_client, hc01, crosswalk="same", merged_from=[old["HC-02"]])
    assert not both.is_valid() and "merged_from" in both.errors

    merged = _indicator_form(
        admin_client, hc01, crosswalk="merged", derived_from="", merged_from=[old["HC-01"], old["HC-02"]]
    )
    assert merged.is_valid(), merged.errors
    merged.save()
    hc01.refresh_from_db()
    assert [p.code for p in hc01.predecessors] == ["HC-01", "HC-02"]


def test_the_draft_version_page_lists_retired_indicators_and_what_publishing_would_refuse(admin_client, catalogue):
    from indicators import services

    draft = services.version_copy_to_draft(version=catalogue)
    Indicator.objects.get(version=draft, code="IN-07").delete()

    page = admin_client.get(_change_url(draft))

    assert page.status_code == 200
    assert "Not accounted for: IN-07." in page.content.decode()
    retired = page.context["adminform"].form.fields["retired"]
    assert set(retired.queryset.values_list("version_id", flat=True)) == {catalogue.pk}

    changelist = reverse("admin:indicators_catalogueversion_changelist")
    response = admin_client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert "Not accounted for: IN-07." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == CatalogueVersion.Status.DRAFT

    services.version_retired_set(version=draft, indicators=[Indicator.objects.get(version=catalogue, code="IN-07")])
    assert "can be published" in admin_client.get(_change_url(draft)).content.decode()


def test_the_indicator_pages_of_a_draft_show_its_crosswalk(admin_client, catalogue):
    from indicators import services

    draft = services.version_copy_to_draft(version=catalogue)

    page = admin_client.get(_change_url(Indicator.objects.get(version=draft, code="HC-01")))
    assert page.status_code == 200
    for name in ("crosswalk", "derived_from", "merged_from"):
        assert f'name="{name}"'.encode() in page.content
    assert admin_client.get(reverse("admin:indicators_indicator_add")).status_code == 200
    listed = admin_client.get(reverse("admin:indicators_indicator_changelist"), {"crosswalk": "same"})
    assert listed.context["cl"].result_count == 36
