"""Territories in the JSON API: each answer's ``counterpart_level``, and ``GET /api/v1/authorities/``.

Calabarzon (a region) is the parent of Quito (a municipality, for the tests' sake) and of Batangas.
Quito is in a confirmed partnership with Tuscany and has proposed one to Lima (not confirmed). Dakar
is unrelated. A member of Quito sees Quito, its parent, Tuscany, and nothing of Lima or Dakar;
programme staff see every authority; a counterpart sees the authority of their round.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from assessments.models import Authority, Membership
from indicators.models import Indicator
from territories import services
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory
from tests.territories.factories import CounterpartAnswerFactory, CounterpartFactory, PartnershipFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db

AUTHORITIES = "/api/v1/authorities/"
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


def listed(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {a["slug"]: a for a in response.json()["results"]}


# --- counterpart_level on each answer ------------------------------------------------------------


def _counterpart(round, *, submitted: bool, levels: dict[str, int | None]):
    counterpart = CounterpartFactory(round=round, submitted=submitted)
    for code, level in levels.items():
        indicator = Indicator.objects.get(version=round.version, code=code)
        if level is None:
            CounterpartAnswerFactory(counterpart=counterpart, indicator=indicator, dont_know=True)
        else:
            CounterpartAnswerFactory(counterpart=counterpart, indicator=indicator, level=level)
    return counterpart


def test_without_a_counterpart_every_answer_has_a_null_counterpart_level(quito, submitted):
    answers = answers_by_code(as_user(quito.editor).get(detail(submitted)))
    assert len(answers) == 36
    assert {a["counterpart_level"] for a in answers.values()} == {None}


def test_the_counterpart_level_is_null_until_the_counterpart_submits(quito, submitted):
    counterpart = _counterpart(submitted, submitted=False, levels={"VC-01": 3})
    assert answers_by_code(as_user(quito.editor).get(detail(submitted)))["VC-01"]["counterpart_level"] is None

    counterpart.submitted_at = submitted.submitted_at
    counterpart.save(update_fields=["submitted_at"])
    assert answers_by_code(as_user(quito.editor).get(detail(submitted)))["VC-01"]["counterpart_level"] == 3


def test_the_counterpart_level_is_null_while_the_city_has_not_submitted(quito, draft):
    _counterpart(draft, submitted=True, levels={"VC-01": 3})
    assert answers_by_code(as_user(quito.editor).get(detail(draft)))["VC-01"]["counterpart_level"] is None


def test_once_both_submitted_each_mirrored_answer_gets_the_counterparts_level(quito, submitted, reviewer):
    _counterpart(submitted, submitted=True, levels={"VC-01": 4, "VC-02": 0, "VC-03": None})

    for user in (quito.editor, reviewer):
        answers = answers_by_code(as_user(user).get(detail(submitted)))
        assert answers["VC-01"]["counterpart_level"] == 4
        assert answers["VC-02"]["counterpart_level"] == 0  # level 0 is a level, not null
        assert answers["VC-03"]["counterpart_level"] is None  # don't know
        assert answers["HC-01"]["counterpart_level"] is None  # not mirrored
        assert answers["VC-01"]["level"] == 2  # the city's own level is unchanged


def test_another_citys_round_stays_a_404_with_its_counterpart(quito, submitted):
    _counterpart(submitted, submitted=True, levels={"VC-01": 4})
    lima = make_city("lima")
    assert as_user(lima.editor).get(detail(submitted)).status_code == 404


# --- the authorities -----------------------------------------------------------------------------


@pytest.fixture
def territories(catalogue, quito, reviewer):
    calabarzon = AuthorityFactory(
        name="Calabarzon", slug="calabarzon", kind=Authority.Kind.REGION, country="Philippines"
    )
    Authority.objects.filter(pk=quito.authority.pk).update(parent=calabarzon)
    batangas = AuthorityFactory(name="Batangas", slug="batangas", country="Philippines", parent=calabarzon)
    tuscany = make_city("tuscany")
    Authority.objects.filter(pk=tuscany.authority.pk).update(
        country="Italy", kind=Authority.Kind.REGION, name="Tuscany"
    )
    lima, dakar = make_city("lima"), make_city("dakar")
    confirmed = services.partnership_propose(authority=quito.authority, partner=tuscany.authority, actor=quito.approver)
    services.partnership_confirm(partnership=confirmed, actor=tuscany.approver)
    services.partnership_propose(authority=quito.authority, partner=lima.authority, actor=quito.approver)
    return {
        "calabarzon": calabarzon,
        "batangas": batangas,
        "tuscany": tuscany,
        "lima": lima,
        "dakar": dakar,
        "reviewer": reviewer,
    }


def test_a_member_sees_their_authority_its_parent_and_its_confirmed_partners_only(quito, territories):
    found = listed(as_user(quito.editor).get(AUTHORITIES))

    assert set(found) == {"quito", "calabarzon", "tuscany"}
    assert found["quito"] == {
        "slug": "quito",
        "name": "Quito",
        "kind": "municipality",
        "country": "Ecuador",
        "parent": "calabarzon",
        "partners": ["tuscany"],  # Lima's proposal is not confirmed
    }
    assert found["calabarzon"] == {
        "slug": "calabarzon",
        "name": "Calabarzon",
        "kind": "region",
        "country": "Philippines",
        "parent": None,
        "partners": [],
    }
    assert found["tuscany"]["partners"] == ["quito"]
    assert found["tuscany"]["kind"] == "region"


def test_a_member_of_the_region_sees_its_municipalities(territories):
    member = MembershipFactory(authority=territories["calabarzon"]).user
    assert set(listed(as_user(member).get(AUTHORITIES))) == {"calabarzon", "quito", "batangas"}


def test_a_member_of_the_partner_sees_the_partner_but_not_its_parent_or_siblings(territories):
    assert set(listed(as_user(territories["tuscany"].editor).get(AUTHORITIES))) == {"tuscany", "quito"}


def test_a_pending_proposal_shows_nothing_of_the_other_side(territories):
    assert set(listed(as_user(territories["lima"].approver).get(AUTHORITIES))) == {"lima"}


def test_programme_staff_see_every_authority(territories):
    found = listed(as_user(territories["reviewer"]).get(AUTHORITIES))
    assert set(found) == set(Authority.objects.values_list("slug", flat=True))
    assert found["batangas"]["parent"] == "calabarzon"
    assert found["lima"]["partners"] == []


def test_a_counterpart_sees_the_authority_of_their_round(territories, submitted):
    counterpart = CounterpartFactory(round=submitted)
    assert set(listed(as_user(counterpart.user).get(AUTHORITIES))) == {"quito"}


def test_someone_with_no_role_sees_no_authority_and_an_anonymous_caller_gets_a_401(territories):
    assert listed(as_user(UserFactory()).get(AUTHORITIES)) == {}
    response = Client().get(AUTHORITIES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert b"quito" not in response.content


def test_the_list_is_by_name_and_paginated_like_the_others(territories):
    client = as_user(territories["reviewer"])
    names = [a["name"] for a in client.get(AUTHORITIES).json()["results"]]
    assert names == sorted(names)
    page = client.get(f"{AUTHORITIES}?page_size=2&page=2").json()
    assert (page["count"], len(page["results"])) == (Authority.objects.count(), 2)
    assert page["results"][0]["name"] == names[2]
    assert client.get(f"{AUTHORITIES}?page_size=201").status_code == 400
    assert list(client.get(f"{AUTHORITIES}?page=999").json()) == ["page"]


@pytest.mark.parametrize("role", ["reviewer", "member"])
def test_the_list_costs_the_same_queries_for_few_authorities_or_many(territories, quito, role):
    client = as_user(territories["reviewer"] if role == "reviewer" else quito.editor)

    def grow(n):
        for _i in range(n):
            partner = AuthorityFactory(parent=territories["calabarzon"])
            PartnershipFactory(first=quito.authority, second=partner, proposed_by=quito.approver, confirmed=True)
            MembershipFactory(authority=partner, user=quito.editor, role=Membership.Role.EDITOR)

    grow(1)
    with CaptureQueriesContext(connection) as few:
        small = client.get(f"{AUTHORITIES}?page_size=200").json()
    grow(25)
    with CaptureQueriesContext(connection) as many:
        large = client.get(f"{AUTHORITIES}?page_size=200").json()
    assert large["count"] == small["count"] + 25
    assert len(many) == len(few) <= 7
    quito_row = next(a for a in large["results"] if a["slug"] == "quito")
    assert len(quito_row["partners"]) == 27  # Tuscany and the 26 new ones


# --- the schema ----------------------------------------------------------------------------------


def test_the_schema_describes_counterpart_level_and_the_authorities(client, quito, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    client.force_login(quito.editor)

    schema = json.loads(client.get(f"{SCHEMA}?format=json").content)
    components = schema["components"]["schemas"]

    level = components["Answer"]["properties"]["counterpart_level"]
    assert (level["type"], level["nullable"], level["minimum"], level["maximum"]) == ("integer", True, 0, 4)
    assert "counterpart_level" in components["Answer"]["required"]

    listing = schema["paths"]["/api/v1/authorities/"]["get"]
    assert {"200", "400", "401"} <= set(listing["responses"])
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    item = components[components[page]["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[-1]]
    assert set(item["properties"]) == {"slug", "name", "kind", "country", "parent", "partners"}
    assert item["properties"]["parent"]["nullable"] is True
    assert item["properties"]["partners"]["type"] == "array"
    assert item["properties"]["partners"]["items"]["type"] == "string"
