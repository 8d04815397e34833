"""Demo plans (``plans/demo.py`` through seed_demo): every plan page has real content."""

import pytest
from django.utils import timezone

from assessments.models import Round
from plans.models import (
    Action,
    ActionComment,
    ActionIndicator,
    ActionRevision,
    ActionUpdate,
    Plan,
    PlanTarget,
    SuggestionDismissal,
)

pytestmark = pytest.mark.django_db

MODELS = (
    Plan,
    Action,
    ActionIndicator,
    ActionUpdate,
    ActionComment,
    ActionRevision,
    PlanTarget,
    SuggestionDismissal,
)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_makes_plans_with_every_status_and_follow_ups(seeded):
    first = counts()

    slugs = set(Action.objects.values_list("plan__authority__slug", flat=True))
    assert len(slugs) >= 6
    assert {"quito", "kasserine", "naga-city"} <= slugs
    assert set(Action.objects.values_list("status", flat=True)) == set(Action.Status.values)
    assert Action.objects.overdue(timezone.localdate()).exists()
    assert Action.objects.filter(status=Action.Status.PLANNED, due_date__year=2027).exists()
    dropped = Action.objects.filter(status=Action.Status.DROPPED)
    assert dropped.exists() and not dropped.filter(drop_reason="").exists()
    # Actions come from the 2021 and 2023 rounds; progress is reported in the rounds that follow them.
    assert set(Action.objects.values_list("origin_round__period", flat=True)) == {"2021", "2023"}
    later = [u for u in ActionUpdate.objects.select_related("round", "action__origin_round") if u.round]
    assert later and all(u.round.period > u.action.origin_round.period for u in later)
    assert ActionUpdate.objects.filter(round__period="2025").exists()
    assert ActionUpdate.objects.filter(url__startswith="https://example.org/").exists()
    assert not Action.objects.filter(status=Action.Status.DONE, updates__isnull=True).exists()
    # Every link aims above the level its round found, and the seeded history is complete.
    assert set(ActionIndicator.objects.values_list("target_level", flat=True)) <= {3, 4}
    assert ActionRevision.objects.filter(old__isnull=True).count() == first["Action"]
    assert first["ActionComment"] >= 1 and first["SuggestionDismissal"] >= 1
    assert PlanTarget.objects.filter(level=4).exists()

    # Public actions only where a round is published with consent (and some exist).
    published = set(Round.objects.published().values_list("authority__slug", flat=True))
    public = set(Action.objects.filter(public=True).values_list("plan__authority__slug", flat=True))
    assert public and public <= published
    assert Action.objects.public().count() == Action.objects.filter(public=True).count()
