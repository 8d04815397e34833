"""Demo participation (``participation/demo.py`` through seed_demo) and the participation admin."""

import dataclasses
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from assessments.models import Answer, Round
from assessments.sheet import SELF, answer_sheet
from participation.evidence import consulted_indicators
from participation.models import (
    Consultation,
    ConsultationAttachment,
    Stakeholder,
    Survey,
    SurveyAnswer,
    SurveyResponse,
)
from participation.perception import MIN_RESPONSES, round_perceptions
from tests.factories import UserFactory
from tests.participation.factories import (
    ConsultationFactory,
    StakeholderFactory,
    SurveyFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db

MODELS = (Stakeholder, Consultation, ConsultationAttachment, Survey, SurveyResponse, SurveyAnswer, Answer)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def seeded(settings, tmp_path, catalogue):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())


def test_seed_demo_gives_authorities_registers_and_most_rounds_consultations_and_a_second_run_adds_nothing(seeded):
    first = counts()
    for slug in ("quito", "naga-city", "kasserine", "accra"):
        groups = Stakeholder.objects.filter(authority__slug=slug)
        assert 4 <= groups.count() <= 7, slug
        assert groups.filter(category__in=Stakeholder.MIGRANT_VOICES).exists(), slug
        assert len(set(groups.values_list("category", flat=True))) >= 4, slug

    rounds = Round.objects.all()
    consulted = rounds.filter(consultations__isnull=False).distinct().count()
    assert rounds.count() / 2 < consulted < rounds.count()
    voices = Consultation.objects.filter(groups__category__in=Stakeholder.MIGRANT_VOICES).distinct()
    assert voices.exists()
    assert Consultation.objects.exclude(pk__in=voices).exists()
    # Each consultation is whole: groups of its own authority, a summary, dated within its round's period.
    for consultation in Consultation.objects.select_related("round").prefetch_related("groups"):
        assert consultation.summary.strip() and consultation.languages
        assert str(consultation.date.year) == consultation.round.period
        assert all(g.authority_id == consultation.round.authority_id for g in consultation.groups.all())
    assert Consultation.objects.filter(women__isnull=False).exists()
    assert Consultation.objects.filter(women__isnull=True).exists()
    assert Consultation.objects.filter(indicators__isnull=False).exists()
    assert Consultation.objects.filter(dimensions__isnull=False).exists()
    assert ConsultationAttachment.objects.exists()

    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first


def test_seed_demo_surveys_one_round_enough_for_a_median_and_one_too_few_and_consultations_raise_coverage(seeded):
    totals = {survey.round: survey.responses.count() for survey in Survey.objects.select_related("round")}
    full = [r for r, n in totals.items() if n >= MIN_RESPONSES]
    few = [r for r, n in totals.items() if 1 <= n < MIN_RESPONSES]
    assert full and few
    shown = round_perceptions(full[0])
    assert any(p.median is not None for p in shown.values())
    assert any(p.dont_know for p in shown.values())  # a few "don't know"
    # Levels spread around the city's own, sometimes below it.
    assert any(p.gap(level) is not None and p.gap(level) < 0 for p, level in _with_city_levels(full[0], shown))
    assert all(p.median is None for p in round_perceptions(few[0]).values())
    assert SurveyAnswer.objects.exclude(comment="").exists()

    # Some level-2 answers have no file: a consultation that discussed them is their evidence.
    raised = []
    for round in Round.objects.filter(consultations__isnull=False).distinct():
        without_files = Answer.objects.filter(round=round, level__gte=2, evidence__isnull=True)
        if consulted_indicators(round) & set(without_files.values_list("indicator_id", flat=True)):
            sheet = answer_sheet(round)
            alone = dataclasses.replace(sheet, other_evidence=frozenset())
            raised.append((sheet.scores()[SELF].evidence_coverage, alone.scores()[SELF].evidence_coverage))
    assert raised
    assert all(with_consultations > without for with_consultations, without in raised)


def _with_city_levels(round, perceptions):
    levels = dict(Answer.objects.filter(round=round).values_list("indicator_id", "level"))
    return [(p, levels.get(indicator_id)) for indicator_id, p in perceptions.items()]


# --- the admin -----------------------------------------------------------------------------------


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
