"""The read-only JSON API, used as a client would: session or token, every role, bad parameters, query counts.

Quito (Ecuador) has a submitted round for 2025, answered at level 2 with evidence, and a draft for
2024. Lima (Peru) is another city with a submitted round for 2023 and a draft for 2025. Lima's editor
must learn nothing of Quito; reviewers see every round but no drafts.
"""

import json
from dataclasses import asdict

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from assessments import services
from assessments.models import ReviewItem, Round, ScoreSnapshot
from assessments.scoring import RoundScore
from indicators.models import CatalogueVersion, Indicator
from tests.factories import (
    AuthorityFactory,
    DimensionFactory,
    IndicatorFactory,
    RoundFactory,
    UserFactory,
    VersionFactory,
)
from tests.world import answer_everything, make_city

pytestmark = pytest.mark.django_db

CATALOGUE = "/api/v1/catalogue/"
ROUNDS = "/api/v1/assessments/"
SCHEMA = "/api/v1/schema/"


def detail(round: Round) -> str:
    return f"{ROUNDS}{round.pk}/"


def plain(value):
    """The value as it looks after a trip through JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def scores_json(score: RoundScore) -> dict:
    """A score set as the API gives it: its fields, and each dimension's state."""
    data = plain(asdict(score))
    for dimension, stored in zip(data["dimensions"], score.dimensions, strict=True):
        dimension["state"] = stored.state
    return data


def seen(response) -> set[tuple[str, str]]:
    assert response.status_code == 200, response.content
    return {(r["authority"]["slug"], r["period"]) for r in response.json()["results"]}


@pytest.fixture
def lima(catalogue):
    city = make_city("lima")
    city.authority.country = "Peru"
    city.authority.save(update_fields=["country"])
    return city


@pytest.fixture
def world(submitted, quito, lima, reviewer):
    """Both cities' rounds and a user for each role."""
    RoundFactory(authority=quito.authority, period="2024", actor=quito.approver)
    RoundFactory(authority=lima.authority, period="2025", actor=lima.approver)
    lima_2023 = RoundFactory(authority=lima.authority, period="2023", actor=lima.approver)
    answer_everything(lima_2023, lima.editor)
    services.round_submit(round=lima_2023, actor=lima.approver)
    return {
        "editor_a": quito.editor,
        "editor_b": lima.editor,
        "reviewer": reviewer,
        "superuser": UserFactory(username="sam-super", is_superuser=True, is_staff=True),
        "quito_2025": submitted,
    }


def validated(round: Round, reviewer) -> Round:
    return services.round_review(round=round, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)


# --- catalogue ------------------------------------------------------------------------------------


def test_the_catalogue_lists_the_36_indicators_of_the_published_version(client, quito, catalogue):
    client.force_login(quito.editor)

    response = client.get(CATALOGUE)

    assert response.status_code == 200
    [version] = response.json()["results"]
    assert (version["number"], version["status"]) == (catalogue.number, "published")
    assert (version["based_on"], version["retired"]) == (None, [])  # a first edition: no crosswalk
    indicators = [i for d in version["dimensions"] for i in d["indicators"]]
    assert len(indicators) == 36
    hc01 = Indicator.objects.get(version=catalogue, code="HC-01")
    [listed] = [i for i in indicators if i["code"] == "HC-01"]
    assert listed == {
        "code": "HC-01",
        "question": hc01.question_en,
        "weight": float(hc01.weight),
        "na_allowed": hc01.na_allowed,
        "evidence_from_level": hc01.evidence_from_level,
        "justification_from_level": hc01.justification_from_level,
        "sdg_targets": sorted(hc01.sdg_targets.values_list("code", flat=True)),
        "derived_from": [],
        "kind": None,
    }


def test_catalogue_questions_come_in_the_language_of_the_request(client, quito, catalogue):
    client.force_login(quito.editor)

    response = client.get(CATALOGUE, HTTP_ACCEPT_LANGUAGE="fr")

    first = response.json()["results"][0]["dimensions"][0]["indicators"][0]
    assert first["question"] == Indicator.objects.get(version=catalogue, code=first["code"]).question_fr


def test_draft_catalogue_versions_are_listed_for_staff_only(client, quito, catalogue):
    draft = VersionFactory()
    staff = UserFactory(username="stella-staff", is_staff=True)

    client.force_login(quito.editor)
    assert [v["id"] for v in client.get(CATALOGUE).json()["results"]] == [catalogue.pk]
    client.force_login(staff)
    assert {v["id"] for v in client.get(CATALOGUE).json()["results"]} == {catalogue.pk, draft.pk}


# --- who sees what --------------------------------------------------------------------------------

EXPECTED = {
    "editor_a": {("quito", "2025"), ("quito", "2024")},
    "editor_b": {("lima", "2025"), ("lima", "2023")},
    "reviewer": {("quito", "2025"), ("lima", "2023")},
    "superuser": {("quito", "2025"), ("quito", "2024"), ("lima", "2025"), ("lima", "2023")},
}


@pytest.mark.parametrize("role", EXPECTED)
def test_each_role_lists_exactly_the_rounds_it_may_see(client, world, role):
    client.force_login(world[role])

    assert seen(client.get(ROUNDS)) == EXPECTED[role]


@pytest.mark.parametrize("url", [CATALOGUE, ROUNDS, "/api/v1/assessments/1/", SCHEMA])
def test_anonymous_requests_are_refused_without_data(client, world, url):
    response = client.get(url)

    # 401 and a challenge naming the scheme to use: no credentials is not a lack of rights (403).
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert b"results" not in response.content
    assert b"paths" not in response.content


def test_another_citys_editor_gets_a_404_on_its_round_and_a_reviewer_on_a_draft(client, world, quito):
    quito_draft = Round.objects.get(authority=quito.authority, period="2024")

    client.force_login(world["editor_b"])
    assert client.get(detail(world["quito_2025"])).status_code == 404
    assert client.get(detail(quito_draft)).status_code == 404
    client.force_login(world["reviewer"])
    assert client.get(detail(quito_draft)).status_code == 404
    assert client.get(detail(world["quito_2025"])).status_code == 200


@pytest.mark.parametrize("pk", ["abc", "-1", "1.5", "99999999999999999999999999"])
def test_a_malformed_or_impossible_round_id_is_a_404(client, quito, pk):
    client.force_login(quito.editor)

    assert client.get(f"{ROUNDS}{pk}/").status_code == 404


def test_a_token_authenticates_without_a_session(client, world):
    token = Token.objects.create(user=world["editor_a"])

    response = client.get(ROUNDS, HTTP_AUTHORIZATION=f"Token {token.key}")

    assert seen(response) == EXPECTED["editor_a"]
    refused = client.get(ROUNDS, HTTP_AUTHORIZATION="Token not-a-key")
    assert (refused.status_code, refused["WWW-Authenticate"]) == (401, "Token")


# --- filters and pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=submitted", {("quito", "2025"), ("lima", "2023")}),
        ("status=draft&country=Peru", {("lima", "2025")}),
        ("period=2024", {("quito", "2024")}),
        ("country=Ecuador", {("quito", "2025"), ("quito", "2024")}),
        ("country=Atlantis", set()),
        ("period=1999", set()),
    ],
)
def test_the_round_list_filters_by_status_country_and_period(client, world, query, expected):
    client.force_login(world["superuser"])

    assert seen(client.get(f"{ROUNDS}?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("status=finished", "status"),
        ("period=25", "period"),
        ("period=twenty", "period"),
        ("period=20245", "period"),
        ("page_size=1000000", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=ten", "page_size"),
        ("page=999999", "page"),
        ("page=0", "page"),
        ("page=" + "9" * 5000, "page"),
        ("page=two", "page"),
    ],
)
def test_a_bad_filter_or_page_is_a_400_that_names_the_parameter(client, world, query, parameter):
    client.force_login(world["superuser"])

    response = client.get(f"{ROUNDS}?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [parameter]
    assert response.json()[parameter][0].strip()


def test_a_bad_page_of_the_catalogue_is_a_400_too(client, quito, catalogue):
    client.force_login(quito.editor)

    assert client.get(f"{CATALOGUE}?page=999999").status_code == 400
    assert client.get(f"{CATALOGUE}?page_size=201").status_code == 400


def test_pages_hold_fifty_rounds_unless_asked_for_up_to_two_hundred(client, world, quito):
    for n in range(47):
        RoundFactory(authority=quito.authority, period=str(1950 + n), actor=quito.approver)
    client.force_login(world["superuser"])

    first = client.get(ROUNDS).json()
    second = client.get(first["next"]).json()
    assert (first["count"], len(first["results"]), len(second["results"])) == (51, 50, 1)
    assert len(client.get(f"{ROUNDS}?page_size=200").json()["results"]) == 51
    assert len(client.get(f"{ROUNDS}?page_size=7&page=2").json()["results"]) == 7
    assert client.get(f"{ROUNDS}?page_size=201").status_code == 400


# --- the detail -----------------------------------------------------------------------------------


def test_a_submitted_rounds_detail_gives_its_answers_and_both_score_sets_live(client, world):
    round = world["quito_2025"]
    client.force_login(world["editor_a"])

    body = client.get(detail(round)).json()

    assert (body["status"], body["version"], body["authority"]["slug"]) == ("submitted", 1, "quito")
    assert len(body["answers"]) == 36
    assert {(a["response"], a["level"], a["validated_level"]) for a in body["answers"]} == {("level", 2, None)}
    assert body["scores"] == {name: scores_json(score) for name, score in round.scores().items()}
    assert (body["self_headline"], body["validated_headline"], body["validated_band"]) == (None, None, None)


def test_a_validated_rounds_detail_gives_live_answers_and_the_snapshots_frozen_scores(client, world):
    round = validated(world["quito_2025"], world["reviewer"])
    snapshot = ScoreSnapshot.objects.get(round=round)
    live = round.scores()
    # A change after validation moves the live validated scores but never the frozen ones.
    ReviewItem.objects.filter(round=round).update(validated_level=4)
    client.force_login(world["editor_a"])

    body = client.get(detail(round)).json()

    assert body["status"] == "validated"
    assert {(a["response"], a["level"], a["validated_level"]) for a in body["answers"]} == {("level", 2, 4)}
    assert body["scores"]["self"] == scores_json(live["self"])
    assert body["scores"]["validated"] == scores_json(snapshot.scores()["validated"])
    assert body["scores"]["validated"] != scores_json(round.scores()["validated"])
    assert (body["self_headline"], body["validated_headline"], body["validated_band"]) == (
        snapshot.self_headline,
        snapshot.validated_headline,
        snapshot.validated_band,
    )
    [listed] = [r for r in client.get(ROUNDS).json()["results"] if r["id"] == round.pk]
    assert (listed["self_headline"], listed["validated_headline"], listed["validated_band"]) == (
        snapshot.self_headline,
        snapshot.validated_headline,
        snapshot.validated_band,
    )


# --- the schema -----------------------------------------------------------------------------------


def test_the_openapi_schema_validates_without_warnings_and_lists_the_three_paths(client, quito, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    client.force_login(quito.editor)

    response = client.get(f"{SCHEMA}?format=json")

    assert response.status_code == 200
    assert {"/api/v1/catalogue/", "/api/v1/assessments/", "/api/v1/assessments/{id}/"} <= set(
        json.loads(response.content)["paths"]
    )


# --- query counts ---------------------------------------------------------------------------------

# Measured: session, user, the user's roles (asked once: assessments.middleware), then the list's count and page
# (5); the roles (1) and the detail's round, answers, review
# items and indicators, and the plans app's actions (7), and four more to score a round that is not
# validated yet (10, with room to spare); participation adds 3 to each (the indicators consultations
# discussed, the consultations, the survey's perceptions: participation.api) and territories 1 (the
# counterpart's levels: territories.api); the catalogue's count, versions, dimensions, indicators,
# SDG targets, examples and resources, and the crosswalk's merged predecessors and retired indicators (11).
LIST_QUERIES = 5
DETAIL_QUERIES = {"validated": 12, "draft": 14}
CATALOGUE_QUERIES = 11


@pytest.mark.parametrize("extra_rounds", [2, 20])
def test_list_and_detail_query_counts_do_not_grow_with_rounds(
    client, submitted, quito, reviewer, django_assert_max_num_queries, extra_rounds
):
    round = validated(submitted, reviewer)
    drafts = [
        RoundFactory(authority=quito.authority, period=str(2000 + n), actor=quito.approver) for n in range(extra_rounds)
    ]
    client.force_login(UserFactory(username="sam-super", is_superuser=True))

    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(client.get(f"{ROUNDS}?page_size=200").json()["results"]) == extra_rounds + 1
    with django_assert_max_num_queries(DETAIL_QUERIES["validated"]):
        assert client.get(detail(round)).status_code == 200
    with django_assert_max_num_queries(DETAIL_QUERIES["draft"]):
        assert client.get(detail(drafts[-1])).status_code == 200


def _submitted_rounds(version, count: int) -> list[Round]:
    """``count`` submitted rounds of as many authorities, made in bulk."""
    authorities = AuthorityFactory.create_batch(count)
    return Round.objects.bulk_create(
        Round(authority=a, version=version, period="2025", status=Round.Status.SUBMITTED, submission_count=1)
        for a in authorities
    )


@pytest.mark.parametrize("rounds", [3, 30])
def test_a_page_of_the_round_list_costs_the_same_queries_for_3_or_30_rounds(
    client, catalogue, reviewer, django_assert_max_num_queries, rounds
):
    _submitted_rounds(catalogue, rounds)
    client.force_login(reviewer)

    # A reviewer's permissions take 2 more queries than a superuser's.
    with django_assert_max_num_queries(LIST_QUERIES + 2):
        body = client.get(f"{ROUNDS}?page_size=2&page=2").json()

    assert (body["count"], len(body["results"])) == (rounds, min(2, rounds - 2))


def test_the_round_list_counts_its_rounds_without_their_progress(client, catalogue, reviewer):
    _submitted_rounds(catalogue, 5)
    client.force_login(reviewer)

    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{ROUNDS}?page_size=2").status_code == 200

    [count] = [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT(*)")]
    assert "assessments_answer" not in count
    assert "indicators_indicator" not in count


@pytest.mark.parametrize("indicators_per_dimension", [2, 12])
def test_the_catalogue_query_count_does_not_grow_with_indicators(
    client, quito, catalogue, django_assert_max_num_queries, indicators_per_dimension
):
    version = VersionFactory(status=CatalogueVersion.Status.RETIRED, published=True)
    for code in ("HC", "VC", "SP"):
        dimension = DimensionFactory(version=version, code=code)
        for n in range(indicators_per_dimension):
            IndicatorFactory(dimension=dimension, code=f"{code}-{n:02d}", complete=True)
    client.force_login(quito.editor)

    with django_assert_max_num_queries(CATALOGUE_QUERIES):
        response = client.get(CATALOGUE)
    assert sum(len(d["indicators"]) for d in response.json()["results"][-1]["dimensions"]) == (
        3 * indicators_per_dimension
    )


# --- 401 or 403 -----------------------------------------------------------------------------------


def test_a_signed_in_sessions_write_without_its_csrf_token_is_a_403_not_a_401(world):
    # The session authenticates the user; what they lack is the right to write from another site.
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["editor_a"])

    response = client.post(ROUNDS, {})

    assert response.status_code == 403
    assert "WWW-Authenticate" not in response
    assert "CSRF" in response.json()["detail"]


def test_valid_credentials_never_get_a_401_whatever_they_may_not_see(client, world, quito):
    # Out of scope is a 404 (the round's existence is not revealed), never a call to sign in again.
    token = Token.objects.create(user=world["editor_b"])
    quito_draft = Round.objects.get(authority=quito.authority, period="2024")

    for round in (world["quito_2025"], quito_draft):
        response = client.get(detail(round), HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 404
        assert "WWW-Authenticate" not in response
