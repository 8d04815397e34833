"""seed_demo as a whole: authorities and logins, and a second run that adds nothing to any app's data."""

import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from assessments.models import Authority, Membership, Round
from indicators.models import CatalogueVersion, Indicator

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


def test_the_demo_publishes_a_second_edition_and_trends_span_both(seeded):
    """Edition 2 (a split, two rewordings, a new and a retired indicator) is published; 2025 rounds use it."""
    first, second = CatalogueVersion.objects.filter(status="published").order_by("number")
    assert second.based_on == first and CatalogueVersion.objects.current() == second
    kinds = dict(Indicator.objects.filter(version=second).values_list("code", "crosswalk"))
    assert kinds["HC-03"] == kinds["HC-09"] == "split" and kinds["SP-07"] == "new" and kinds["HC-01"] == "same"
    assert "DE-05" not in kinds and list(second.retired.values_list("code", flat=True)) == ["DE-05"]
    # Every indicator of edition 2 is in the three languages, like the first edition.
    for indicator in Indicator.objects.filter(version=second, code__in=["HC-09", "SP-07"]):
        assert indicator.question_fr and indicator.question_es and indicator.question_fr != indicator.question_en
    # Earlier rounds stay on edition 1; some 2025 rounds are on edition 2, validated ones among them,
    # so that a city's trend spans both; drafts with answers wait on edition 1 for their city to move them.
    assert not Round.objects.filter(period__in=["2021", "2023"]).exclude(version=first).exists()
    on_second = Round.objects.filter(period="2025", version=second)
    assert on_second.filter(status="validated").count() >= 2
    spanning = on_second.filter(status="validated").values_list("authority", flat=True)
    assert Round.objects.filter(authority__in=spanning, version=first, status="validated").exists()
    assert Round.objects.filter(period="2025", version=first, status="draft", answers__isnull=False).exists()
