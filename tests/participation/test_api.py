"""Participation in the JSON API: a round's ``consultations`` and each answer's ``perception``, and the schema.

``GET /api/v1/assessments/<id>/`` is read by whoever may read the round; Lima's people learn nothing
of Quito's consultations or survey. A perception's median is null below 5 levels given.
"""

import datetime
import json

import pytest
from django.core.management import call_command
from django.test import Client

from participation.models import Consultation, Stakeholder
from tests.participation.factories import (
    ConsultationFactory,
    StakeholderFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.world import make_city

pytestmark = pytest.mark.django_db

SCHEMA = "/api/v1/schema/"


def detail(round) -> str:
    return f"/api/v1/assessments/{round.pk}/"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def answers_by_code(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {a["indicator"]: a for a in response.json()["answers"]}


@pytest.fixture
def lima(catalogue):
    return make_city("lima")


# --- perception on each answer -------------------------------------------------------------------


def test_a_round_without_a_survey_gives_every_answer_no_responses_and_no_median(quito, draft):
    answers = answers_by_code(as_user(quito.editor).get(detail(draft)))

    assert len(answers) == 36
    assert {json.dumps(a["perception"]) for a in answers.values()} == {'{"responses": 0, "median": null}'}


def test_four_levels_give_a_null_median_and_five_a_number_dont_know_left_out(quito, draft):
    survey = SurveyFactory(round=draft, indicators=["SP-01", "HC-01"])
    for level in (1, 2, 2, 4):
        SurveyResponseFactory(survey=survey, answers={"SP-01": level, "HC-01": level})
    SurveyResponseFactory(survey=survey, answers={"SP-01": None, "HC-01": 3})  # "don't know" on SP-01

    answers = answers_by_code(as_user(quito.editor).get(detail(draft)))

    assert answers["SP-01"]["perception"] == {"responses": 4, "median": None}
    assert answers["HC-01"]["perception"] == {"responses": 5, "median": 2.0}
    assert answers["HC-02"]["perception"] == {"responses": 0, "median": None}  # not asked


def test_a_median_between_two_levels_is_a_half(quito, draft):
    survey = SurveyFactory(round=draft, indicators=["SP-01"])
    for level in (1, 2, 3, 3, 4, 4):
        SurveyResponseFactory(survey=survey, answers={"SP-01": level})

    answers = answers_by_code(as_user(quito.editor).get(detail(draft)))

    assert answers["SP-01"]["perception"] == {"responses": 6, "median": 3.0}
    assert isinstance(answers["SP-01"]["perception"]["median"], float)


def test_each_answer_keeps_its_own_fields_and_gains_perception(quito, draft):
    answers = answers_by_code(as_user(quito.editor).get(detail(draft)))

    assert {"indicator", "response", "level", "validated_level", "na_accepted", "carried_over", "perception"} <= set(
        answers["SP-01"]
    )
    assert set(answers["SP-01"]["perception"]) == {"responses", "median"}


# --- consultations on the round ------------------------------------------------------------------


def test_the_round_lists_its_consultations_with_groups_participants_and_indicator_codes(quito, draft):
    association = StakeholderFactory(
        authority=quito.authority, name="Venezuelan association", category=Stakeholder.Category.MIGRANT_ASSOCIATION
    )
    university = StakeholderFactory(authority=quito.authority, name="University", category="academia")
    ConsultationFactory(
        round=draft,
        date=datetime.date(2025, 3, 4),
        method=Consultation.Method.WORKSHOP,
        participants=23,
        groups=[university, association],
        indicators=["SP-01", "HC-02"],
    )
    ConsultationFactory(round=draft, date=datetime.date(2025, 5, 6), method=Consultation.Method.ONLINE, participants=4)

    response = as_user(quito.editor).get(detail(draft))

    assert response.status_code == 200
    assert response.json()["consultations"] == [
        {"date": "2025-05-06", "method": "online", "groups": [], "participants": 4, "indicators": []},
        {
            "date": "2025-03-04",
            "method": "workshop",
            "groups": [
                {"name": "University", "category": "academia"},
                {"name": "Venezuelan association", "category": "migrant"},
            ],
            "participants": 23,
            "indicators": ["HC-02", "SP-01"],
        },
    ]


def test_a_round_without_consultations_gives_an_empty_list(quito, draft):
    assert as_user(quito.editor).get(detail(draft)).json()["consultations"] == []


# --- who sees what -------------------------------------------------------------------------------


def test_another_citys_round_stays_invisible_with_its_consultations_and_survey(quito, lima, draft):
    ConsultationFactory(round=draft, summary="SECRET SUMMARY")
    survey = SurveyFactory(round=draft)
    for _n in range(5):
        SurveyResponseFactory(survey=survey, answers=2)
    client = as_user(lima.approver)

    response = client.get(detail(draft))

    assert response.status_code == 404
    assert "SECRET" not in response.content.decode()
    assert draft.pk not in [r["id"] for r in client.get("/api/v1/assessments/").json()["results"]]


def test_a_reviewer_does_not_see_a_drafts_consultations_but_sees_a_submitted_rounds(submitted, reviewer, quito):
    ConsultationFactory(round=submitted)
    survey = SurveyFactory(round=submitted, indicators=["SP-01"])
    for _n in range(5):
        SurveyResponseFactory(survey=survey, answers=3)
    draft = quito.authority.rounds.create(period="2026", version=submitted.version)

    client = as_user(reviewer)

    assert client.get(detail(draft)).status_code == 404
    data = client.get(detail(submitted)).json()
    assert len(data["consultations"]) == 1
    assert answers_by_code(client.get(detail(submitted)))["SP-01"]["perception"] == {"responses": 5, "median": 3.0}


def test_without_credentials_the_round_detail_is_a_401(draft):
    assert Client().get(detail(draft)).status_code == 401


# --- the schema ----------------------------------------------------------------------------------


def test_the_schema_describes_consultations_and_perception(client, quito, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    client.force_login(quito.editor)

    components = json.loads(client.get(f"{SCHEMA}?format=json").content)["components"]["schemas"]

    consultations = components["RoundDetail"]["properties"]["consultations"]
    assert consultations["type"] == "array"
    assert consultations["readOnly"] is True
    consultation = components[consultations["items"]["$ref"].rsplit("/", 1)[-1]]
    assert set(consultation["properties"]) == {"date", "method", "groups", "participants", "indicators"}
    assert consultation["properties"]["indicators"]["items"]["type"] == "string"
    group = components[consultation["properties"]["groups"]["items"]["$ref"].rsplit("/", 1)[-1]]
    assert set(group["properties"]) == {"name", "category"}

    answer = components["Answer"]["properties"]
    reference = answer["perception"].get("$ref") or answer["perception"]["allOf"][0]["$ref"]
    perception = components[reference.rsplit("/", 1)[-1]]
    assert set(perception["properties"]) == {"responses", "median"}
    assert perception["properties"]["median"]["nullable"] is True
    assert perception["properties"]["median"]["type"] == "number"
    assert perception["properties"]["responses"]["type"] == "integer"
