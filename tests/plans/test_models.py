"""The plan's invariants live in the database: each constraint refuses what it promises to refuse."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from indicators.models import Indicator
from plans.models import (
    Action,
    ActionComment,
    ActionIndicator,
    ActionRevision,
    ActionUpdate,
    Plan,
    PlanTarget,
    SuggestionDismissal,
    action_changes,
)
from tests.plans.factories import ActionFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(quito, draft):
    return ActionFactory(plan=PlanFactory(authority=quito.authority), origin_round=draft, targets={"HC-01": 3})


def _refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_an_action_due_before_it_starts_is_refused(quito, draft):
    plan = PlanFactory(authority=quito.authority)
    _refused(
        lambda: ActionFactory(
            plan=plan, origin_round=draft, start_date=datetime.date(2025, 6, 1), due_date=datetime.date(2025, 5, 31)
        )
    )
    assert not Action.objects.exists()


def test_an_action_due_the_day_it_starts_is_accepted(quito, draft):
    day = datetime.date(2025, 6, 1)
    ActionFactory(plan=PlanFactory(authority=quito.authority), origin_round=draft, start_date=day, due_date=day)
    assert Action.objects.count() == 1


def test_a_dropped_action_without_a_reason_is_refused(action):
    action.status = Action.Status.DROPPED
    _refused(lambda: action.save(update_fields=["status"]))
    action.drop_reason = "The council cut the budget."
    action.save(update_fields=["status", "drop_reason"])
    assert Action.objects.get(pk=action.pk).status == Action.Status.DROPPED


def test_a_negative_budget_amount_is_refused(action):
    action.budget_amount = -1
    _refused(lambda: action.save(update_fields=["budget_amount"]))


@pytest.mark.parametrize("level", [-1, 5])
def test_a_target_level_outside_zero_to_four_is_refused_on_a_link(action, level):
    hc02 = Indicator.objects.get(version=action.origin_round.version, code="HC-02")
    _refused(lambda: ActionIndicator.objects.create(action=action, indicator=hc02, target_level=level))


@pytest.mark.parametrize("level", [-1, 5])
def test_a_target_level_outside_zero_to_four_is_refused_on_a_plan_target(action, level):
    _refused(lambda: PlanTarget.objects.create(plan=action.plan, indicator_code="HC-01", level=level))


def test_an_indicator_is_linked_to_an_action_only_once(action):
    hc01 = Indicator.objects.get(version=action.origin_round.version, code="HC-01")
    _refused(lambda: ActionIndicator.objects.create(action=action, indicator=hc01, target_level=4))


def test_a_plan_has_one_target_per_indicator_code(action):
    PlanTarget.objects.create(plan=action.plan, indicator_code="HC-01", level=4)
    _refused(lambda: PlanTarget.objects.create(plan=action.plan, indicator_code="HC-01", level=2))


def test_an_authority_has_one_plan(action):
    _refused(lambda: Plan.objects.create(authority=action.plan.authority))


def test_an_update_with_both_a_file_and_a_link_is_refused(action, quito):
    _refused(
        lambda: ActionUpdate.objects.create(
            action=action, text="Done.", file="plans/1/x.pdf", url="https://example.org", author=quito.editor
        )
    )


def test_an_update_without_text_is_refused(action, quito):
    _refused(lambda: ActionUpdate.objects.create(action=action, text="", author=quito.editor))


def test_an_update_link_that_is_not_http_is_refused(action, quito):
    _refused(
        lambda: ActionUpdate.objects.create(action=action, text="See.", url="ftp://example.org/x", author=quito.editor)
    )


def test_a_comment_without_text_is_refused(action, reviewer):
    _refused(lambda: ActionComment.objects.create(action=action, text="", author=reviewer))


def test_a_suggestion_is_dismissed_once_per_round_and_indicator(action, quito):
    hc01 = Indicator.objects.get(version=action.origin_round.version, code="HC-01")
    fields = {"plan": action.plan, "round": action.origin_round, "indicator": hc01, "dismissed_by": quito.editor}
    SuggestionDismissal.objects.create(**fields)
    _refused(lambda: SuggestionDismissal.objects.create(**fields))


def test_overdue_means_open_and_past_its_due_date(quito, draft):
    plan = PlanFactory(authority=quito.authority)
    past = datetime.date(2020, 1, 31)
    late = ActionFactory(plan=plan, origin_round=draft, start_date=datetime.date(2020, 1, 1), due_date=past)
    ActionFactory(
        plan=plan,
        origin_round=draft,
        start_date=datetime.date(2020, 1, 1),
        due_date=past,
        status=Action.Status.DONE,
    )
    ActionFactory(plan=plan, origin_round=draft)  # due in 2030

    assert list(Action.objects.overdue()) == [late]
    assert late.is_overdue


def test_the_history_says_each_change_in_words(action, quito):
    old = action.state()
    action.status, action.drop_reason, action.due_date = Action.Status.DROPPED, "No money.", datetime.date(2031, 1, 2)
    new = {**action.state(), "target_levels": {"HC-01": 4, "HC-02": 2}, "owner_user": quito.editor.pk}
    revision = ActionRevision(action=action, changed_by=quito.editor, old=old, new=new)

    changes = {
        str(change["field"]): (change["old"], change["new"]) for change in revision.changes({quito.editor.pk: "Ed"})
    }

    assert changes["status"] == ("Planned", "Dropped")
    assert changes["reason for dropping"] == ("", "No money.")
    assert changes["person responsible"] == ("", "Ed")
    assert changes["Target level of HC-01"] == ("3", "4")
    assert changes["Target level of HC-02"] == ("", "2")
    assert changes["due date"][0] != changes["due date"][1]
    assert "title" not in changes


def test_nothing_changed_is_no_change():
    state = {"title": "A", "target_levels": {"HC-01": 3}, "budget_amount": None}
    assert action_changes(state, dict(state)) == []
