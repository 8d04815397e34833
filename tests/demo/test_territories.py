"""Demo territories (``territories/demo.py`` through seed_demo) and the territories admin."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from assessments.management.commands.seed_demo import DEMO_PASSWORD
from assessments.models import Answer, Authority, Membership, ReviewItem, Round
from outbox.models import Mail
from territories.comparison import counterpart_levels
from territories.models import Counterpart, CounterpartAnswer, Partnership, PartnershipEvidence, RollupConsent
from territories.services import mirrored_indicators
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def validated_level(slug: str, period: str, code: str) -> int | None:
    return ReviewItem.objects.get(
        round__authority__slug=slug, round__period=period, indicator__code=code
    ).validated_level


def test_the_new_logins_are_printed_and_work(seeded):
    line = next(line for line in seeded.output.splitlines() if line.startswith("More logins: "))
    logins = line.removeprefix("More logins: ").split(", ")
    assert {"batangas-city-editor", "batangas-city-approver", "lipa-city-editor", "lipa-city-approver"} <= set(logins)
    counterpart = Counterpart.objects.select_related("user").get()
    assert counterpart.user.username in logins
    for username in logins:
        assert get_user_model().objects.get(username=username).check_password(DEMO_PASSWORD), username


def test_calabarzon_has_two_municipalities_that_share_their_validated_rounds_and_differ_on_the_two_flags(seeded):
    calabarzon = Authority.objects.get(slug="calabarzon")
    children = {a.slug: a for a in calabarzon.children.all()}
    assert set(children) == {"batangas-city", "lipa-city"}
    assert {a.kind for a in children.values()} == {Authority.Kind.MUNICIPALITY}
    assert {a.country for a in children.values()} == {calabarzon.country}
    for child in children.values():
        rounds = Round.objects.filter(authority=child)
        assert set(rounds.values_list("status", flat=True)) == {Round.Status.VALIDATED}
        shared = rounds.filter(rollup_consent__isnull=False)
        assert set(shared.values_list("period", flat=True)) == {"2023", "2025"}
        approver = Membership.objects.get(authority=child, role=Membership.Role.APPROVER).user
        assert set(RollupConsent.objects.filter(round__authority=child).values_list("given_by", flat=True)) == {
            approver.pk
        }
        # Answered with varied levels, not one level everywhere.
        assert len(set(Answer.objects.filter(round__in=rounds).values_list("level", flat=True))) >= 3
    # Batangas City sits on a regional committee without a migration unit; Lipa City the other way round.
    for period in ("2023", "2025"):
        assert validated_level("batangas-city", period, "VC-06") >= 3 > validated_level("lipa-city", period, "VC-06")
        assert validated_level("lipa-city", period, "IN-01") >= 3 > validated_level("batangas-city", period, "IN-01")


def test_kasserine_and_tuscany_are_confirmed_partners_with_a_shared_agreement(seeded):
    partnership = Partnership.objects.confirmed().get()
    assert {partnership.first.slug, partnership.second.slug} == {"kasserine", "tuscany"}
    assert partnership.proposed_by.username == "kasserine-approver"
    confirmers = {partnership.first_confirmed_by.username, partnership.second_confirmed_by.username}
    assert confirmers == {"kasserine-approver", "tuscany-approver"}
    evidence = PartnershipEvidence.objects.get(partnership=partnership)
    assert evidence.url.startswith("https://example.org/") and not evidence.file
    assert evidence.authority.slug == "kasserine"


def test_one_submitted_round_has_a_counterpart_who_answered_every_mirrored_indicator_near_the_city(seeded):
    counterpart = Counterpart.objects.select_related("round__authority", "user").get()
    round = counterpart.round
    assert round.status == Round.Status.SUBMITTED
    assert counterpart.submitted and counterpart.level == Counterpart.Level.NATIONAL
    assert counterpart.organisation.startswith("Ministry")
    assert counterpart.user.username == counterpart.user.email == f"counterpart-{round.authority.slug}@example.org"
    assert not Membership.objects.filter(user=counterpart.user).exists()
    assert counterpart.invited_by.username == f"{round.authority.slug}-approver"
    assert Mail.objects.filter(to=counterpart.user.email).exists()  # the invitation went to the outbox

    mirrored = set(mirrored_indicators(round).values_list("pk", flat=True))
    answers = CounterpartAnswer.objects.filter(counterpart=counterpart)
    assert mirrored and set(answers.values_list("indicator_id", flat=True)) == mirrored
    assert not answers.filter(justification="").exists()
    assert answers.filter(response=CounterpartAnswer.Response.DONT_KNOW).count() == 1

    levels = counterpart_levels(round)
    assert set(levels) == mirrored
    city = dict(Answer.objects.filter(round=round, level__isnull=False).values_list("indicator_id", "level"))
    gaps = [abs(levels[pk] - city[pk]) for pk in mirrored if levels[pk] is not None and pk in city]
    assert 0 in gaps and any(gap >= 1 for gap in gaps)
    assert max(gaps) <= 2


# --- the admin -----------------------------------------------------------------------------------


def test_admin_lists_the_counterpart_and_shows_its_answers_without_letting_them_change(seeded, admin_client):
    counterpart = Counterpart.objects.get()
    listing = admin_client.get(reverse("admin:territories_counterpart_changelist"))
    assert [c.pk for c in listing.context["cl"].result_list] == [counterpart.pk]
    assert counterpart.organisation in listing.content.decode()
    for value, expected in (("yes", [counterpart.pk]), ("no", [])):
        filtered = admin_client.get(reverse("admin:territories_counterpart_changelist"), {"submitted": value})
        assert [c.pk for c in filtered.context["cl"].result_list] == expected
    url = reverse("admin:territories_counterpart_change", args=[counterpart.pk])
    page = admin_client.get(url)
    text = page.content.decode()
    answer = CounterpartAnswer.objects.filter(counterpart=counterpart).exclude(justification="").first()
    assert answer.justification in text
    assert 'name="answers-0-level"' not in text and 'name="round"' not in text  # shown, not editable
    assert 'name="organisation"' in text
    assert admin_client.get(reverse("admin:territories_counterpart_add")).status_code == 403


def test_admin_lists_partnerships_with_both_confirmations_and_their_evidence_read_only(seeded, admin_client):
    first, second = Authority.objects.filter(slug__in=["accra", "montreal"]).order_by("pk")
    proposer = UserFactory()
    proposed = Partnership.objects.create(
        first=first, second=second, proposed_by=proposer, first_confirmed_by=proposer, first_confirmed_at=timezone.now()
    )
    listing = admin_client.get(reverse("admin:territories_partnership_changelist"))
    text = listing.content.decode()
    assert "Confirmed by the authority" in text and "Confirmed by the partner" in text  # the two columns
    admin = listing.context["cl"].model_admin
    rows = {p.pk: (admin.first_confirmed(p), admin.second_confirmed(p)) for p in listing.context["cl"].result_list}
    confirmed = Partnership.objects.confirmed().get()
    assert rows == {confirmed.pk: (True, True), proposed.pk: (True, False)}
    for value, expected in (("yes", [confirmed.pk]), ("no", [proposed.pk])):
        filtered = admin_client.get(reverse("admin:territories_partnership_changelist"), {"confirmed": value})
        assert [p.pk for p in filtered.context["cl"].result_list] == expected

    page = admin_client.get(reverse("admin:territories_partnership_change", args=[confirmed.pk]))
    text = page.content.decode()
    evidence = PartnershipEvidence.objects.get(partnership=confirmed)
    assert evidence.url in text and "kasserine-approver" in text and "tuscany-approver" in text
    assert 'name="evidence-0-title"' not in text and 'name="description"' in text
    assert admin_client.get(reverse("admin:territories_partnership_add")).status_code == 403


def test_admin_lists_consents_with_the_parent_that_sees_them_and_cannot_add_or_change_one(seeded, admin_client):
    listing = admin_client.get(reverse("admin:territories_rollupconsent_changelist"))
    shown = list(listing.context["cl"].result_list)
    assert len(shown) == RollupConsent.objects.count() == 4
    assert "Calabarzon" in listing.content.decode()
    consent = shown[0]
    url = reverse("admin:territories_rollupconsent_change", args=[consent.pk])
    assert admin_client.get(reverse("admin:territories_rollupconsent_add")).status_code == 403
    assert admin_client.post(url, {"round": consent.round_id}).status_code == 403
