"""Reads of the plans: the one overdue rule and the counts per authority, and query counts of the plan pages
that do not grow with the number of actions, updates or authorities."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Authority
from plans.models import Action, ActionComment, ActionUpdate, PlanTarget, with_action_counts
from tests.factories import AuthorityFactory
from tests.plans.factories import ActionFactory, PlanFactory

pytestmark = pytest.mark.django_db

# 13 for the page, and whether the menu shows the improvement plans (base.html: is a person who is not a
# reviewer a member anywhere, one query; reviewers pay nothing more).
PLAN_PAGE_QUERIES = 14
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


# --- the overdue rule and the counts per authority --------------------------------------------------------------


@pytest.fixture
def every_kind_of_action(quito, draft):
    """One action of each status due yesterday, today and tomorrow, by title ``<status> <when>``."""
    plan = PlanFactory(authority=quito.authority)
    today = timezone.localdate()
    days = {"yesterday": -1, "today": 0, "tomorrow": 1}
    return {
        f"{status} {when}": ActionFactory(
            plan=plan,
            origin_round=draft,
            title=f"{status} {when}",
            status=status,
            drop_reason="Gone." if status == Action.Status.DROPPED else "",
            start_date=today - datetime.timedelta(days=30),
            due_date=today + datetime.timedelta(days=offset),
        )
        for status in Action.Status.values
        for when, offset in days.items()
    }


def test_overdue_means_open_and_due_before_today_in_sql_and_in_python_alike(every_kind_of_action):
    """``Action.overdue_condition`` (SQL) and ``Action.is_overdue`` (Python) say the same of every action."""
    expected = {"planned yesterday", "in_progress yesterday"}  # due today is not late; done and dropped never are

    assert {a.title for a in Action.objects.filter(Action.overdue_condition())} == expected
    assert {a.title for a in Action.objects.overdue()} == expected
    assert {a.title for a in Action.objects.all() if a.is_overdue} == expected


def test_the_overdue_rule_reads_from_an_authority_and_on_a_given_day(every_kind_of_action, quito):
    """The same rule through a relation (``prefix``) and on another day (``today``): a week on, all open ones are late."""
    week_on = timezone.localdate() + datetime.timedelta(days=7)

    assert Authority.objects.filter(Action.overdue_condition("plan__actions__")).distinct().get() == quito.authority
    assert Action.objects.overdue(today=week_on).count() == 6
    assert Action.objects.filter(Action.overdue_condition(today=week_on)).count() == 6


def test_the_counts_per_authority_give_each_status_and_overdue_in_one_query(
    every_kind_of_action, quito, django_assert_num_queries
):
    """``with_action_counts``: every status and overdue per authority; an authority without a plan counts zero."""
    lima = AuthorityFactory(name="Lima")

    with django_assert_num_queries(1):
        rows = {
            a.name: (a.n_planned, a.n_in_progress, a.n_done, a.n_dropped, a.n_overdue)
            for a in with_action_counts(Authority.objects.filter(pk__in=[quito.authority.pk, lima.pk]))
        }

    assert rows == {"Quito": (3, 3, 3, 3, 2), "Lima": (0, 0, 0, 0, 0)}


def test_the_plan_list_the_plan_page_and_the_reviewer_dashboard_count_the_same_overdue_actions(
    client, reviewer, every_kind_of_action
):
    """One rule, so every page that counts overdue actions gives the same number."""
    client.force_login(reviewer, backend="django.contrib.auth.backends.ModelBackend")

    [row] = client.get(reverse("plan_list")).context["page"]
    counts = client.get(reverse("plan_detail", args=["quito"])).context["counts"]
    [dashboard_row] = client.get(reverse("reviewer_dashboard")).context["plan_status"].rows

    assert row.n_overdue == counts["overdue"] == dashboard_row[-1] == 2
