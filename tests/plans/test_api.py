"""Actions in the read-only JSON API: the list with its filters, the round detail's ``actions``, the schema.

Quito (A) and Lima (B) each have a plan. An editor sees their own authority's actions only, a
reviewer every authority's; without credentials the answer is a 401 with a challenge. Bad filter
values are a 400 that names the parameter; an authority slug nobody may see gives an empty list.
"""

import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments.models import Round
from plans.models import Action, ActionIndicator, ActionUpdate, Plan
from tests.factories import AuthorityFactory, RoundFactory, UserFactory
from tests.plans.factories import ActionFactory, PlanFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db

ACTIONS = "/api/v1/actions/"
FIELDS = {
    "id",
    "title",
    "indicators",
    "target_levels",
    "owner",
    "start_date",
    "due_date",
    "status",
    "origin_round",
    "updates",
}


def days(n: int) -> datetime.date:
    """``n`` days from today (before it when negative): "overdue" is measured against today."""
    return timezone.localdate() + datetime.timedelta(days=n)


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [action["title"] for action in response.json()["results"]]


@pytest.fixture
def lima(catalogue):
    return make_city("lima")


@pytest.fixture
def world(draft, quito, lima, reviewer):
    """Quito: an open action due later, an overdue one, a done one past due. Lima: one planned action."""
    lima_round = RoundFactory(authority=lima.authority, period="2025", actor=lima.approver)
    quito_plan, lima_plan = PlanFactory(authority=quito.authority), PlanFactory(authority=lima.authority)
    start = days(-400)
    ActionFactory(plan=quito_plan, origin_round=draft, title="Q later", start_date=start, due_date=days(300))
    ActionFactory(
        plan=quito_plan,
        origin_round=draft,
        title="Q overdue",
        status=Action.Status.IN_PROGRESS,
        start_date=start,
        due_date=days(-60),
        targets={"HC-02": 4, "HC-01": 3},
    )
    ActionFactory(
        plan=quito_plan,
        origin_round=draft,
        title="Q done",
        status=Action.Status.DONE,
        start_date=start,
        due_date=days(-270),
    )
    ActionFactory(plan=lima_plan, origin_round=lima_round, title="L planned", start_date=start, due_date=days(100))
    return {"editor_a": quito.editor, "editor_b": lima.editor, "reviewer": reviewer}


# --- who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("editor_a", ["Q done", "Q overdue", "Q later"]),
        ("editor_b", ["L planned"]),
        ("reviewer", ["L planned", "Q done", "Q overdue", "Q later"]),
    ],
)
def test_each_role_lists_exactly_the_actions_it_may_see_ordered_by_authority_then_due_date(
    client, world, who, expected
):
    client.force_login(world[who])

    assert titles(client.get(ACTIONS)) == expected


def test_an_editor_of_b_never_sees_as_actions_even_when_asking_for_them(client, world, quito):
    client.force_login(world["editor_b"])

    assert titles(client.get(f"{ACTIONS}?authority={quito.authority.slug}")) == []


def test_anonymous_requests_get_a_401_with_a_challenge_and_no_data(client, world):
    response = client.get(ACTIONS)

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")
    assert b"results" not in response.content


def test_an_action_is_given_with_exactly_its_fields(client, world, draft):
    action = Action.objects.get(title="Q overdue")
    ActionUpdate.objects.create(
        action=action, date=datetime.date(2025, 3, 1), text="Terms drafted.", author=action.created_by
    )
    ActionUpdate.objects.create(
        action=action, date=datetime.date(2025, 5, 1), text="Adopted.", author=action.created_by
    )
    client.force_login(world["editor_a"])

    [listed] = [a for a in client.get(ACTIONS).json()["results"] if a["id"] == action.pk]

    assert listed == {
        "id": action.pk,
        "title": "Q overdue",
        "indicators": ["HC-01", "HC-02"],
        "target_levels": {"HC-01": 3, "HC-02": 4},
        "owner": "Office of migrant affairs",
        "start_date": days(-400).isoformat(),
        "due_date": days(-60).isoformat(),
        "status": "in_progress",
        "origin_round": draft.pk,
        "updates": [{"date": "2025-05-01", "text": "Adopted."}, {"date": "2025-03-01", "text": "Terms drafted."}],
    }


# --- filters and pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("authority=quito", ["Q done", "Q overdue", "Q later"]),
        ("authority=lima", ["L planned"]),
        ("authority=atlantis", []),
        ("status=done", ["Q done"]),
        ("status=planned", ["L planned", "Q later"]),
        ("overdue=true", ["Q overdue"]),
        ("overdue=false", ["L planned", "Q done", "Q later"]),
        ("overdue=true&authority=lima", []),
        ("status=in_progress&authority=quito&overdue=true", ["Q overdue"]),
    ],
)
def test_the_list_filters_by_authority_status_and_overdue(client, world, query, expected):
    client.force_login(world["reviewer"])

    assert titles(client.get(f"{ACTIONS}?{query}")) == expected


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("status=finished", "status"),
        ("overdue=maybe", "overdue"),
        ("overdue=1", "overdue"),
        ("authority=not a slug!", "authority"),
        ("page=999", "page"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
    ],
)
def test_a_bad_filter_or_page_is_a_400_that_names_the_parameter(client, world, query, parameter):
    client.force_login(world["reviewer"])

    response = client.get(f"{ACTIONS}?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [parameter]
    assert response.json()[parameter][0].strip()


def test_pages_hold_fifty_actions_unless_asked_for_more_and_never_repeat_one(client, world, quito):
    plan = Plan.objects.get(authority=quito.authority)
    origin = Action.objects.filter(plan=plan).first().origin_round
    Action.objects.bulk_create(
        Action(
            plan=plan,
            origin_round=origin,
            title=f"Same day {n}",
            owner="Office",
            start_date=datetime.date(2025, 1, 1),
            due_date=datetime.date(2026, 6, 1),  # all due the same day: the order must still be stable
            created_by=world["editor_a"],
        )
        for n in range(48)
    )
    client.force_login(world["reviewer"])

    first = client.get(ACTIONS).json()
    second = client.get(first["next"]).json()

    assert (first["count"], len(first["results"]), len(second["results"])) == (52, 50, 2)
    ids = [a["id"] for a in first["results"] + second["results"]]
    assert len(set(ids)) == 52
    assert [a["id"] for a in client.get(f"{ACTIONS}?page_size=200").json()["results"]] == ids


# --- the round detail ----------------------------------------------------------------------------


def test_the_round_detail_lists_the_actions_the_round_follows_up(client, world, quito, draft):
    earlier = RoundFactory(authority=quito.authority, period="2020", actor=quito.approver)
    ActionFactory(plan=Plan.objects.get(authority=quito.authority), origin_round=earlier, title="From 2020")
    later = RoundFactory(authority=quito.authority, period="2030", actor=quito.approver)
    ActionFactory(plan=Plan.objects.get(authority=quito.authority), origin_round=later, title="From 2030")
    client.force_login(world["editor_a"])

    body = client.get(f"/api/v1/assessments/{draft.pk}/").json()

    assert sorted(a["title"] for a in body["actions"]) == ["From 2020", "Q done", "Q later", "Q overdue"]
    assert set(body["actions"][0]) == FIELDS
    earlier_body = client.get(f"/api/v1/assessments/{earlier.pk}/").json()
    assert [a["title"] for a in earlier_body["actions"]] == ["From 2020"]


def test_a_round_of_an_authority_without_a_plan_has_no_actions(client, lima, catalogue):
    round = RoundFactory(authority=lima.authority, period="2025", actor=lima.approver)
    client.force_login(lima.editor)

    assert client.get(f"/api/v1/assessments/{round.pk}/").json()["actions"] == []


# --- the schema ----------------------------------------------------------------------------------


def test_the_schema_describes_an_action_its_status_and_the_round_details_actions(client, quito, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    client.force_login(quito.editor)

    schema = json.loads(client.get("/api/v1/schema/?format=json").content)

    components = schema["components"]["schemas"]
    action = components["Action"]
    assert set(action["properties"]) == FIELDS
    assert action["properties"]["indicators"] == {
        "type": "array",
        "items": {"type": "string"},
        "readOnly": True,
        "description": "Indicator codes.",
    }
    assert action["properties"]["target_levels"]["additionalProperties"]["type"] == "integer"
    assert action["properties"]["origin_round"]["type"] == "integer"
    assert set(action["properties"]["updates"]["items"]["$ref"].rsplit("/", 1)[-1:]) == {"ActionUpdate"}
    assert set(components["ActionUpdate"]["properties"]) == {"date", "text"}
    assert action["properties"]["status"]["allOf"][0]["$ref"].endswith("/ActionStatus")
    assert components["ActionStatus"]["enum"] == ["planned", "in_progress", "done", "dropped"]
    actions = components["RoundDetail"]["properties"]["actions"]
    assert (actions["type"], actions["items"]["$ref"]) == ("array", "#/components/schemas/Action")
    assert "/api/v1/actions/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/actions/"]["get"]["parameters"]}
    assert {"authority", "status", "overdue", "page", "page_size"} <= parameters


# --- query counts --------------------------------------------------------------------------------


def _many(authorities: int, actions: int, actor) -> None:
    """``authorities`` authorities with ``actions`` actions each, two linked indicators and an update each."""
    for n in range(authorities):
        authority = AuthorityFactory()
        round = Round.objects.create(
            authority=authority,
            version_id=Round.objects.values_list("version_id", flat=True).first(),
            period="2025",
        )
        plan = Plan.objects.create(authority=authority)
        made = Action.objects.bulk_create(
            Action(
                plan=plan,
                origin_round=round,
                title=f"A{n}-{k}",
                owner="Office",
                start_date=datetime.date(2025, 1, 1),
                due_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=k),
                created_by=actor,
            )
            for k in range(actions)
        )
        indicators = list(round.version.indicators.order_by("code")[:2])
        ActionIndicator.objects.bulk_create(
            ActionIndicator(action=action, indicator=indicator) for action in made for indicator in indicators
        )
        ActionUpdate.objects.bulk_create(
            ActionUpdate(action=action, text="Progress.", author=actor, date=timezone.localdate()) for action in made
        )


# Session, user, the reviewer's permissions (2), then the count, the page, links and updates (4).
LIST_QUERIES = 8
# Measured: the detail of a draft (tests/api/test_api.py, participation's 3 and territories' 1 included) and the actions, their
# links and updates.
DETAIL_QUERIES = 15


@pytest.mark.parametrize(("authorities", "actions"), [(2, 5), (20, 50)])
def test_the_list_query_count_does_not_grow_with_authorities_or_actions(
    client, draft, reviewer, django_assert_max_num_queries, authorities, actions
):
    _many(authorities, actions, UserFactory(username="maker"))
    client.force_login(reviewer)

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(f"{ACTIONS}?page_size=200")

    assert response.json()["count"] == authorities * actions
    assert all(len(a["indicators"]) == 2 and len(a["updates"]) == 1 for a in response.json()["results"])


@pytest.mark.parametrize("actions", [2, 50])
def test_the_round_detail_query_count_does_not_grow_with_actions(
    client, draft, quito, django_assert_max_num_queries, actions
):
    plan = PlanFactory(authority=quito.authority)
    for _ in range(actions):
        ActionFactory(plan=plan, origin_round=draft, targets={"HC-01": 3, "HC-02": 4})
    client.force_login(quito.editor)

    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(f"/api/v1/assessments/{draft.pk}/")

    assert len(response.json()["actions"]) == actions
