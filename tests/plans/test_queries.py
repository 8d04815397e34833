"""Query counts of the plan pages do not grow with the number of actions, updates or authorities."""

import datetime

import pytest
from django.urls import reverse

from plans.models import ActionComment, ActionUpdate, PlanTarget
from tests.factories import AuthorityFactory
from tests.plans.factories import ActionFactory, PlanFactory

pytestmark = pytest.mark.django_db

PLAN_PAGE_QUERIES = 13
LIST_PAGE_QUERIES = 6
ACTION_PAGE_QUERIES = 11


def _plan_with(actions: int, city, round):
    plan = PlanFactory(authority=city.authority)
    codes = ["HC-01", "HC-02", "VC-01", "SP-03"]
    for n in range(actions):
        action = ActionFactory(
            plan=plan,
            origin_round=round,
            owner_user=city.editor if n % 2 else None,
            status=["planned", "in_progress", "done", "dropped"][n % 4],
            drop_reason="Gone." if n % 4 == 3 else "",
            due_date=datetime.date(2025, 2, 1) if n % 3 else datetime.date(2030, 1, 1),
            targets={codes[n % 4]: 3, codes[(n + 1) % 4]: 4},
        )
        ActionUpdate.objects.create(action=action, text=f"Update {n}", author=city.editor)
        ActionUpdate.objects.create(action=action, text=f"Later {n}", url="https://example.org", author=city.editor)
    PlanTarget.objects.create(plan=plan, indicator_code="HC-01", level=4)
    return plan


@pytest.mark.parametrize("actions", [5, 50])
def test_the_plan_page_costs_the_same_with_5_or_50_actions(
    client, quito, draft, django_assert_max_num_queries, actions
):
    _plan_with(actions, quito, draft)
    client.force_login(quito.editor, backend="django.contrib.auth.backends.ModelBackend")

    with django_assert_max_num_queries(PLAN_PAGE_QUERIES):
        response = client.get(reverse("plan_detail", args=["quito"]))

    assert response.status_code == 200
    assert sum(len(group["actions"]) for group in response.context["groups"]) == actions


@pytest.mark.parametrize("authorities", [5, 50])
def test_the_list_of_plans_costs_the_same_with_5_or_50_authorities(
    client, reviewer, quito, draft, django_assert_max_num_queries, authorities
):
    _plan_with(8, quito, draft)
    for _n in range(authorities - 1):
        PlanFactory(authority=AuthorityFactory())

    client.force_login(reviewer, backend="django.contrib.auth.backends.ModelBackend")
    with django_assert_max_num_queries(LIST_PAGE_QUERIES):
        response = client.get(reverse("plan_list"))

    assert response.status_code == 200
    assert len(response.context["page"]) == min(authorities, 25)


@pytest.mark.parametrize("updates", [2, 40])
def test_an_action_page_costs_the_same_with_2_or_40_updates_and_comments(
    client, reviewer, quito, draft, django_assert_max_num_queries, updates
):
    plan = _plan_with(1, quito, draft)
    action = plan.actions.get()
    for n in range(updates):
        ActionUpdate.objects.create(action=action, text=f"Step {n}", author=quito.editor, round=draft)
        ActionComment.objects.create(action=action, text=f"Remark {n}", author=reviewer, round=draft)

    client.force_login(reviewer, backend="django.contrib.auth.backends.ModelBackend")
    with django_assert_max_num_queries(ACTION_PAGE_QUERIES):
        response = client.get(reverse("plan_action_detail", args=["quito", action.pk]))

    assert response.status_code == 200
    assert f"Remark {updates - 1}" in response.content.decode()
