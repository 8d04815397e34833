"""The demo campaign (``programme/demo.py`` through seed_demo)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from assessments.models import Authority, Round, StatusEvent
from programme.models import Campaign, Extension, Participant

pytestmark = pytest.mark.django_db


def test_the_demo_reviewer_coordinates_a_2027_campaign_for_the_authorities_outside_the_demo_region(seeded):
    reviewer = get_user_model().objects.get(username="reviewer")
    assert reviewer.has_perm("assessments.open_rounds") and reviewer.has_perm("assessments.review_round")

    campaign = Campaign.objects.get(name="2027 cycle")
    assert (campaign.period, campaign.created_by, campaign.is_open) == ("2027", reviewer, True)
    assert campaign.due_date > campaign.created_at.date()
    slugs = set(Participant.objects.filter(campaign=campaign).values_list("authority__slug", flat=True))
    # The region with municipalities and its municipalities keep their rounds as the territories demo made them.
    region = Authority.objects.get(slug="calabarzon")
    assert region.slug not in slugs and not slugs & {a.slug for a in region.children.all()}
    assert {"quito", "accra", "tuscany"} <= slugs

    rounds = Round.objects.filter(period="2027")
    assert set(rounds.values_list("authority__slug", flat=True)) == slugs
    assert set(rounds.values_list("status", "version_id")) == {(Round.Status.DRAFT, campaign.version_id)}
    assert Participant.objects.filter(campaign=campaign, opened=False).count() == 0
    assert StatusEvent.objects.filter(round__in=rounds, from_status="", actor=reviewer).count() == len(slugs)


def test_one_authority_of_the_demo_campaign_has_a_month_more(seeded):
    campaign = Campaign.objects.get(name="2027 cycle")
    extension = Extension.objects.select_related("participant__round", "participant__authority").get()
    assert extension.participant.authority.slug == "accra"
    assert (extension.old_date, extension.new_date) == (campaign.due_date, campaign.due_date + timedelta(days=30))
    assert extension.participant.round.due_date == extension.new_date
    others = Round.objects.filter(period="2027").exclude(pk=extension.participant.round_id)
    assert set(others.values_list("due_date", flat=True)) == {campaign.due_date}
