"""The follow-up of a plan in a later round: which actions a round follows up, and how their indicators moved."""

from datetime import date

import pytest
from django.utils import timezone

from assessments.models import Answer, ReviewItem, Round
from indicators.models import Dimension, Indicator
from plans.followup import DOWN, SAME, UP, Movement, actions_for_round, followed_up, movements
from plans.models import Action, ActionIndicator, ActionUpdate, Plan
from tests.factories import AuthorityFactory, DimensionFactory, IndicatorFactory, UserFactory, VersionFactory

pytestmark = pytest.mark.django_db


def _round(authority, period, version, status=Round.Status.DRAFT) -> Round:
    return Round.objects.create(
        authority=authority,
        version=version,
        period=period,
        status=status,
        validated_at=timezone.now() if status == Round.Status.VALIDATED else None,
    )


def _answer(round, code, level=None, *, response="level", validated_level=None, na_accepted=None):
    indicator = Indicator.objects.get(version=round.version, code=code)
    Answer.objects.create(round=round, indicator=indicator, response=response, level=level)
    if validated_level is not None or na_accepted is not None:
        ReviewItem.objects.create(
            round=round,
            indicator=indicator,
            validated_level=validated_level,
            na_accepted=na_accepted,
            reviewer=UserFactory(username="rev"),
        )


def _action(origin, targets: dict[str, int], *, status=Action.Status.PLANNED, due=date(2030, 1, 1), title="Act"):
    plan, _created = Plan.objects.get_or_create(authority=origin.authority)
    action = Action.objects.create(
        plan=plan,
        origin_round=origin,
        title=title,
        owner="Office",
        start_date=date(2020, 1, 1),
        due_date=due,
        status=status,
        drop_reason="No money" if status == Action.Status.DROPPED else "",
        created_by=UserFactory(username="maker"),
    )
    for code, target in targets.items():
        ActionIndicator.objects.create(
            action=action, indicator=Indicator.objects.get(version=origin.version, code=code), target_level=target
        )
    return action


def _followed(actions, round):
    """Movements as the pages load them: the actions with their details, then the levels."""
    loaded = list(Action.objects.filter(pk__in=[a.pk for a in actions]).with_details())
    return movements(loaded, round)


@pytest.fixture
def authority(catalogue):
    return AuthorityFactory(slug="lima", name="Lima")


def test_a_validated_level_that_rose_to_the_target_is_up_and_reached(authority, catalogue):
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "HC-02", 1)
    _answer(later, "HC-02", 3)
    action = _action(origin, {"HC-02": 3})

    [movement] = _followed([action], later)[action.pk]

    assert movement == Movement("HC-02", target=3, before=1, after=3, before_validated=True, after_validated=True)
    assert movement.moved == UP
    assert movement.reached is True


def test_the_reviewers_level_replaces_the_citys_on_both_sides(authority, catalogue):
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "HC-02", 3, validated_level=1)  # the city said 3, the reviewer found 1
    _answer(later, "HC-02", 4, validated_level=2)
    action = _action(origin, {"HC-02": 3})

    [movement] = _followed([action], later)[action.pk]

    assert (movement.before, movement.after, movement.moved, movement.reached) == (1, 2, UP, False)


def test_a_level_that_fell_is_down_and_one_that_held_is_same(authority, catalogue):
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "HC-01", 3)
    _answer(later, "HC-01", 2)
    _answer(origin, "HC-02", 2)
    _answer(later, "HC-02", 2)
    action = _action(origin, {"HC-01": 4, "HC-02": 2})

    by_code = {m.code: m for m in _followed([action], later)[action.pk]}

    assert by_code["HC-01"].moved == DOWN
    assert by_code["HC-02"].moved == SAME
    assert by_code["HC-02"].reached is True  # held at the target


def test_a_round_not_yet_validated_gives_the_self_assessed_level_flagged_as_such(authority, catalogue):
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.SUBMITTED)
    _answer(origin, "HC-02", 1)
    _answer(later, "HC-02", 4, validated_level=2)  # a review in progress is not yet the programme's word
    action = _action(origin, {"HC-02": 3})

    [movement] = _followed([action], later)[action.pk]

    assert movement.after == 4
    assert movement.after_validated is False
    assert movement.before_validated is True


def test_an_origin_round_not_validated_gives_its_self_assessed_level_flagged(authority, catalogue):
    origin = _round(authority, "2024", catalogue, Round.Status.RETURNED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "HC-02", 2, validated_level=0)
    _answer(later, "HC-02", 3)
    action = _action(origin, {"HC-02": 3})

    [movement] = _followed([action], later)[action.pk]

    assert (movement.before, movement.before_validated) == (2, False)
    assert (movement.after, movement.after_validated, movement.reached) == (3, True, True)


@pytest.mark.parametrize(("response", "na_accepted"), [("dk", None), ("na", True), ("na", False), ("", None)], ids=str)
def test_no_level_in_a_round_makes_the_movement_unknown(authority, catalogue, response, na_accepted):
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "HC-02", 1)
    _answer(later, "HC-02", response=response, na_accepted=na_accepted)
    action = _action(origin, {"HC-02": 3})

    [movement] = _followed([action], later)[action.pk]

    assert movement.after is None
    assert movement.moved is None
    assert movement.reached is None


def test_an_answer_carried_over_and_not_yet_confirmed_is_no_level_of_the_later_round(authority, catalogue):
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue)
    _answer(origin, "HC-02", 1)
    _answer(later, "HC-02", 1)
    Answer.objects.filter(round=later).update(carried_over=True)
    action = _action(origin, {"HC-02": 3})

    [movement] = _followed([action], later)[action.pk]

    assert (movement.before, movement.after, movement.moved) == (1, None, None)


def test_an_indicator_the_later_round_does_not_answer_is_unknown(authority, catalogue):
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "HC-02", 1)
    action = _action(origin, {"HC-02": 3})

    [movement] = _followed([action], later)[action.pk]

    assert (movement.before, movement.after, movement.moved) == (1, None, None)


def test_indicators_are_matched_by_code_across_catalogue_versions(authority, catalogue):
    newer = VersionFactory(published=True)
    IndicatorFactory(dimension=DimensionFactory(version=newer, code="HC"), code="HC-02")
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", newer, Round.Status.VALIDATED)
    _answer(origin, "HC-02", 1)
    _answer(later, "HC-02", 3)
    action = _action(origin, {"HC-02": 3})

    [movement] = _followed([action], later)[action.pk]

    assert (movement.before, movement.after, movement.moved) == (1, 3, UP)


def test_another_authoritys_answers_never_count(authority, catalogue):
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    elsewhere = _round(AuthorityFactory(), "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "HC-02", 1)
    _answer(elsewhere, "HC-02", 4)
    action = _action(origin, {"HC-02": 3})

    [movement] = _followed([action], later)[action.pk]

    assert movement.after is None


@pytest.mark.parametrize("count", [2, 20])
def test_movements_take_two_queries_for_any_number_of_actions_and_rounds(
    authority, catalogue, count, django_assert_num_queries
):
    later = _round(authority, "2030", catalogue, Round.Status.VALIDATED)
    _answer(later, "HC-02", 3)
    actions = []
    for n in range(count):
        origin = _round(authority, str(2000 + n), catalogue, Round.Status.VALIDATED)
        _answer(origin, "HC-02", n % 4)
        actions.append(_action(origin, {"HC-02": 3, "HC-03": 2}))
    loaded = list(Action.objects.filter(plan__authority=authority).with_details())

    with django_assert_num_queries(2):
        result = movements(loaded, later)

    assert len(result) == count
    assert [m.after for m in result[actions[-1].pk]] == [3, None]


def test_no_actions_take_no_query(authority, catalogue, django_assert_num_queries):
    later = _round(authority, "2025", catalogue)
    with django_assert_num_queries(0):
        assert movements([], later) == {}


def test_a_round_follows_up_the_actions_of_its_own_and_earlier_rounds_open_ones_first(authority, catalogue):
    earlier = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    now = _round(authority, "2025", catalogue)
    later = _round(authority, "2026", catalogue)
    done = _action(earlier, {"HC-01": 3}, status=Action.Status.DONE, due=date(2024, 6, 1), title="Done")
    late = _action(earlier, {"HC-01": 3}, status=Action.Status.IN_PROGRESS, due=date(2025, 9, 1), title="Late")
    soon = _action(now, {"HC-02": 3}, due=date(2025, 3, 1), title="Soon")
    _action(later, {"HC-03": 3}, title="Next year's")
    _action(_round(AuthorityFactory(), "2025", catalogue), {"HC-01": 3}, title="Elsewhere")

    assert list(actions_for_round(now)) == [soon, late, done]


def test_the_pages_follow_open_actions_and_closed_ones_updated_in_the_round(authority, catalogue):
    earlier = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    now = _round(authority, "2025", catalogue)
    running = _action(earlier, {"HC-01": 3}, status=Action.Status.IN_PROGRESS, title="Running")
    closed_now = _action(earlier, {"HC-01": 3}, status=Action.Status.DONE, title="Closed now")
    closed_before = _action(earlier, {"HC-01": 3}, status=Action.Status.DONE, title="Closed before")
    author = UserFactory(username="writer")
    ActionUpdate.objects.create(action=closed_now, round=now, text="Finished", author=author)
    ActionUpdate.objects.create(action=closed_before, round=earlier, text="Finished", author=author)

    assert followed_up(actions_for_round(now), now) == [running, closed_now]


def _leave_out(round, dimension_code="DC"):
    """The round leaves an optional dimension out (as a city does on a draft)."""
    round.omitted_dimensions.add(Dimension.objects.get(version=round.version, code=dimension_code))


def test_an_indicator_of_a_dimension_the_later_round_left_out_has_no_level_there(authority, catalogue):
    """The answer still stored for DC-01 is no part of the round once DC is left out: the movement is unknown."""
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "DC-01", 1)
    _answer(later, "DC-01", 4)
    _leave_out(later)
    action = _action(origin, {"DC-01": 3})

    [movement] = _followed([action], later)[action.pk]

    assert (movement.before, movement.after, movement.moved, movement.reached) == (1, None, None, None)


def test_a_reviewers_level_on_a_dimension_the_round_left_out_does_not_stand(authority, catalogue):
    """A review item of an indicator the round left out gives it no validated level either."""
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "DC-01", 1)
    ReviewItem.objects.create(
        round=later,
        indicator=Indicator.objects.get(version=catalogue, code="DC-01"),
        validated_level=4,
        reviewer=UserFactory(username="rev"),
    )
    _leave_out(later)
    action = _action(origin, {"DC-01": 3})

    [movement] = _followed([action], later)[action.pk]

    assert movement.after is None


def test_an_origin_round_that_left_the_dimension_out_gives_no_level_before(authority, catalogue):
    """Left out in the origin round: no level before; the later round, which kept the dimension, gives its own."""
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "DC-01", 1)
    _answer(later, "DC-01", 3)
    _leave_out(origin)
    action = _action(origin, {"DC-01": 3})

    [movement] = _followed([action], later)[action.pk]

    assert (movement.before, movement.after, movement.reached) == (None, 3, True)


def test_another_rounds_left_out_dimension_does_not_hide_this_rounds_level(authority, catalogue):
    """Only the round's own omissions count: another round leaving DC out changes nothing here."""
    origin = _round(authority, "2024", catalogue, Round.Status.VALIDATED)
    later = _round(authority, "2025", catalogue, Round.Status.VALIDATED)
    _answer(origin, "DC-01", 1)
    _answer(later, "DC-01", 3)
    _leave_out(_round(authority, "2023", catalogue, Round.Status.VALIDATED))
    action = _action(origin, {"DC-01": 3})

    [movement] = _followed([action], later)[action.pk]

    assert (movement.before, movement.after) == (1, 3)
