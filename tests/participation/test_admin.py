"""The participation admin: groups, consultations with their attachments, surveys and their responses."""

import pytest
from django.urls import reverse

from participation.models import ConsultationAttachment, Stakeholder, SurveyResponse
from tests.factories import UserFactory
from tests.participation.factories import (
    ConsultationFactory,
    StakeholderFactory,
    SurveyFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_admin_lists_groups_by_authority_and_category_and_searches_them(admin_client, catalogue):
    StakeholderFactory(name="Venezuelan Association", category=Stakeholder.Category.MIGRANT_ASSOCIATION)
    StakeholderFactory(name="Chamber of Commerce", category=Stakeholder.Category.PRIVATE_SECTOR)
    url = reverse("admin:participation_stakeholder_changelist")
    response = admin_client.get(url, {"category": Stakeholder.Category.MIGRANT_ASSOCIATION})
    assert [s.name for s in response.context["cl"].result_list] == ["Venezuelan Association"]
    response = admin_client.get(url, {"q": "chamber"})
    assert [s.name for s in response.context["cl"].result_list] == ["Chamber of Commerce"]


def test_admin_shows_a_consultations_attachments_without_letting_them_change(admin_client, catalogue):
    consultation = ConsultationFactory()
    ConsultationAttachment.objects.create(
        consultation=consultation, title="Minutes", url="https://example.org/minutes", added_by=consultation.created_by
    )
    page = admin_client.get(reverse("admin:participation_consultation_change", args=[consultation.pk]))
    assert b"https://example.org/minutes" in page.content
    assert b'name="attachments-0-title"' not in page.content  # shown, not editable
    assert b'name="attachments-TOTAL_FORMS"' in page.content
    assert b'name="round"' in page.content


def test_admin_refuses_a_consultation_with_a_group_of_another_authority(admin_client, catalogue):
    consultation = ConsultationFactory()
    stranger = StakeholderFactory()
    url = reverse("admin:participation_consultation_change", args=[consultation.pk])
    data = {
        "round": consultation.round.pk,
        "date": consultation.date.isoformat(),
        "method": consultation.method,
        "participants": 12,
        "summary": "Changed in the admin.",
        "created_by": consultation.created_by.pk,
        "groups": str(stranger.pk),
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "own register" in " ".join(response.context["adminform"].form.non_field_errors())
    consultation.refresh_from_db()
    assert consultation.summary != "Changed in the admin." and not consultation.groups.exists()
    data["groups"] = ""
    assert admin_client.post(url, data).status_code == 302
    consultation.refresh_from_db()
    assert consultation.summary == "Changed in the admin."


def test_admin_shows_a_survey_token_masked_but_for_its_end_and_counts_responses(admin_client, catalogue):
    survey = SurveyFactory()
    for _n in range(3):
        SurveyResponseFactory(survey=survey, answers=2)
    listing = admin_client.get(reverse("admin:participation_survey_changelist"))
    page = admin_client.get(reverse("admin:participation_survey_change", args=[survey.pk]))
    for response in (listing, page):
        text = response.content.decode()
        assert survey.token not in text
        assert survey.token[:10] not in text
        assert survey.token[-6:] in text
    assert listing.context["cl"].result_list[0].response_total == 3
    assert b'name="expires_on"' not in page.content  # read-only
    assert admin_client.post(page.request["PATH_INFO"], {"expires_on": "2099-01-01"}).status_code == 403


def test_admin_shows_survey_responses_read_only_and_never_an_address(admin_client, catalogue):
    response = SurveyResponseFactory(answers={"SP-01": (3, "Meetings happen, few follow-ups."), "SP-02": None})
    assert admin_client.get(reverse("admin:participation_surveyresponse_add")).status_code == 403
    url = reverse("admin:participation_surveyresponse_change", args=[response.pk])
    page = admin_client.get(url)
    assert b"Meetings happen, few follow-ups." not in page.content  # one response's answers are never shown together
    assert b'name="answers-0-comment"' not in page.content and b'name="language"' not in page.content
    assert str(response.respondent).encode() not in page.content
    assert b"REMOTE_ADDR" not in page.content and b"127.0.0.1" not in page.content
    assert admin_client.post(url, {"language": "fr"}).status_code == 403
    response.refresh_from_db()
    assert response.language == "en"
    assert not [f.name for f in SurveyResponse._meta.get_fields() if "ip" in f.name.split("_")]
