"""The benchmark data generator makes rounds in every status, with the rows each status implies."""

import pytest

from assessments.benchdata import populate
from assessments.models import (
    Answer,
    Membership,
    ReviewItem,
    Round,
    ScoreSnapshot,
    SnapshotDimension,
    is_reviewer,
)
from assessments.sheet import round_scores

pytestmark = pytest.mark.django_db


def test_populate_makes_validated_past_rounds_and_a_mix_in_the_latest_period(catalogue):
    world = populate(catalogue, 3)

    indicators = catalogue.indicators.count()
    rounds = Round.objects.filter(authority__slug__startswith="bench-")
    assert [a.slug for a in world.authorities] == ["bench-0000", "bench-0001", "bench-0002"]
    assert rounds.count() == len(world.rounds) == 9
    assert set(rounds.exclude(period="2025").values_list("status", flat=True)) == {Round.Status.VALIDATED}
    latest = dict(rounds.filter(period="2025").values_list("authority__slug", "status"))
    assert latest == {
        "bench-0000": Round.Status.SUBMITTED,
        "bench-0001": Round.Status.DRAFT,
        "bench-0002": Round.Status.RETURNED,
    }
    assert Answer.objects.filter(round__in=rounds).count() == 9 * indicators
    validated = rounds.filter(status=Round.Status.VALIDATED)
    assert ReviewItem.objects.filter(round__in=validated).count() == 6 * indicators
    assert ReviewItem.objects.filter(round__status=Round.Status.RETURNED, returned=True).exists()
    assert ScoreSnapshot.objects.filter(round__in=rounds).count() == 6
    assert SnapshotDimension.objects.filter(snapshot__round__in=rounds).count() > 0
    assert round_scores(validated.first())["validated"].headline is not None
    assert not rounds.exclude(status=Round.Status.VALIDATED).filter(publication_consent=True).exists()

    assert is_reviewer(world.reviewer)
    assert rounds.visible_to(world.reviewer).count() == 8  # every round but the draft
    first = world.authorities[0]
    roles = dict(Membership.objects.filter(authority=first).values_list("user__username", "role"))
    assert roles == {world.editor.username: Membership.Role.EDITOR, world.approver.username: Membership.Role.APPROVER}
    assert set(rounds.visible_to(world.editor).values_list("authority", flat=True)) == {first.pk}
    assert rounds.approvable_by(world.approver).count() == 3
