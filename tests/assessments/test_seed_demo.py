"""Demo data: idempotent, and never in production."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from assessments.models import Authority, Membership, Round

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_authorities_and_logins_and_can_run_twice(settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Authority.objects.count(), get_user_model().objects.count(), Membership.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == (Authority.objects.count(), get_user_model().objects.count(), Membership.objects.count())
    assert counts[0] >= 10
    assert Membership.objects.filter(user__username="quito-approver", role="approver").exists()
    assert get_user_model().objects.get(username="reviewer").has_perm("assessments.review_round")
    # A few authorities have a logo (their reports' covers and public profiles show it), drawn once.
    assert Authority.objects.exclude(logo="").count() == 3
    assert len(list(tmp_path.glob("logos/*/*.png"))) == 3
    # A round started from the last one shows carry-over: answers waiting for confirmation, a few confirmed.
    carried = Round.objects.filter(started_from__isnull=False)
    assert carried.filter(answers__carried_over=True).exists() and carried.filter(answers__carried_over=False).exists()


def test_seed_demo_refuses_to_run_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not Authority.objects.exists()
