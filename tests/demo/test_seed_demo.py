"""seed_demo as a whole: authorities and logins, and a second run that adds nothing to any app's data."""

import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from assessments.models import Authority, Membership, Round

pytestmark = pytest.mark.django_db

# Every model of the apps whose demo data seed_demo makes (through slots.DEMO_DATA for the apps above).
DEMO_APPS = (
    "assessments",
    "plans",
    "participation",
    "territories",
    "collaboration",
    "programme",
    "notifications",
    "outbox",
)


def counts() -> dict[str, int]:
    models = [model for label in DEMO_APPS for model in apps.get_app_config(label).get_models()]
    return {model._meta.label: model.objects.count() for model in models} | {"User": get_user_model().objects.count()}


def test_seed_demo_creates_authorities_and_logins(seeded):
    assert Authority.objects.count() >= 10
    assert Membership.objects.filter(user__username="quito-approver", role="approver").exists()
    assert get_user_model().objects.get(username="reviewer").has_perm("assessments.review_round")
    assert "Logins: " in seeded.output
    # A few authorities have a logo (their reports' covers and public profiles show it), drawn once.
    assert Authority.objects.exclude(logo="").count() == 3
    assert len(list(seeded.media.glob("logos/*/*.png"))) == 3
    # A round started from the last one shows carry-over: answers waiting for confirmation, a few confirmed.
    carried = Round.objects.filter(started_from__isnull=False)
    assert carried.filter(answers__carried_over=True).exists() and carried.filter(answers__carried_over=False).exists()


def test_a_second_seed_demo_adds_nothing_to_any_app(seeded, settings):
    settings.DEBUG = True
    first = counts()
    assert first["assessments.Round"] and first["plans.Action"] and first["participation.Consultation"]
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
