"""Review fixes of territories: a consent stays with the parent it was given to; a counterpart invitation
can be withdrawn; a taken user name is a refusal, not a 500; a returned round closes the comparison and
leaves the partner's page; the authority list names only authorities the caller may see."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Authority, Round
from outbox.models import Mail
from territories import access, rollup, services
from territories.models import Counterpart, CounterpartAnswer, RollupConsent
from territories.partnership_views import partnership_sides
from tests.factories import AuthorityFactory, MembershipFactory, RoundFactory, UserFactory
from tests.territories.factories import counterpart_answer_all, invite_counterpart
from tests.world import make_city

pytestmark = pytest.mark.django_db

NADIA = "nadia@gov.example"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def region(slug: str) -> Authority:
    return AuthorityFactory(name=slug.title(), slug=slug, kind=Authority.Kind.REGION)


# --- 1. a consent does not follow the municipality to a new parent ----------------------------------


@pytest.fixture
def shared(quito, submitted):
    """Quito, part of Calabarzon, shares its submitted round with it; Bicol is another region."""
    calabarzon, bicol = region("calabarzon"), region("bicol")
    Authority.objects.filter(pk=quito.authority.pk).update(parent=calabarzon)
    submitted.authority.refresh_from_db()
    consent = services.rollup_consent_give(round=submitted, actor=quito.approver)
    return {
        "round": submitted,
        "consent": consent,
        "calabarzon": calabarzon,
        "bicol": bicol,
        "calabarzon_member": MembershipFactory(authority=calabarzon).user,
        "bicol_member": MembershipFactory(authority=bicol).user,
    }


def region_round_url(parent: Authority, round: Round) -> str:
    return reverse("region_round", args=[parent.slug, round.pk])


def test_a_consent_is_given_to_the_parent_of_the_moment(shared):
    assert shared["consent"].parent_id == shared["calabarzon"].pk
    round = Round.objects.select_related("authority").get(pk=shared["round"].pk)
    assert access.parent_may_view(shared["calabarzon_member"], round)
    assert as_user(shared["calabarzon_member"]).get(region_round_url(shared["calabarzon"], round)).status_code == 200


def _move_with_the_service(quito, bicol):
    admin = UserFactory(is_superuser=True, is_staff=True)
    services.authority_set_parent(authority=quito.authority, parent=bicol, actor=admin)


def _move_as_the_admin_form_saves(quito, bicol):
    authority = Authority.objects.get(pk=quito.authority.pk)
    authority.parent = bicol
    authority.save()


@pytest.mark.parametrize("move", [_move_with_the_service, _move_as_the_admin_form_saves])
def test_the_new_parent_sees_nothing_of_a_round_shared_with_the_former_one(move, quito, shared):
    bicol, member = shared["bicol"], shared["bicol_member"]
    move(quito, bicol)
    round = Round.objects.select_related("authority").get(pk=shared["round"].pk)
    assert round.authority.parent_id == bicol.pk

    assert not access.parent_may_view(member, round)
    assert as_user(member).get(region_round_url(bicol, round)).status_code == 404
    assert not rollup.shared_rounds(bicol).exists()
    municipalities = {m.authority.pk: m for m in rollup.region_rollup(bicol).municipalities}
    assert municipalities[quito.authority.pk].shared is False
    page = as_user(member).get(reverse("region_rollup", args=[bicol.slug]))
    assert page.status_code == 200
    assert f"/rounds/{round.pk}/" not in page.content.decode()
    # The round page no longer says it is shared (with Bicol), and offers to share it.
    html = as_user(quito.approver).get(reverse("round_detail", args=[round.pk])).content.decode()
    section = html[html.index('id="rollup"') :] if 'id="rollup"' in html else html
    assert 'value="give"' in section
    # The former parent, which its members no longer follow, sees nothing either.
    assert not rollup.shared_rounds(shared["calabarzon"]).exists()


def test_consenting_again_after_the_move_shares_with_the_new_parent(quito, shared):
    _move_with_the_service(quito, shared["bicol"])
    round = Round.objects.select_related("authority").get(pk=shared["round"].pk)
    services.rollup_consent_give(round=round, actor=quito.approver)

    assert RollupConsent.objects.get(round=round).parent_id == shared["bicol"].pk
    assert access.parent_may_view(shared["bicol_member"], round)
    assert list(rollup.shared_rounds(shared["bicol"])) == [round]


def test_consented_rounds_is_gone():
    assert not hasattr(access, "consented_rounds")


# --- 2. a counterpart invitation can be withdrawn ----------------------------------------------------


def withdraw_url(round) -> str:
    return reverse("counterpart_withdraw", args=[round.pk])


def test_a_withdrawn_invitation_leaves_the_person_a_404_and_keeps_their_account(quito, submitted):
    counterpart = invite_counterpart(submitted, quito.approver)
    counterpart_answer_all(counterpart)
    person = counterpart.user
    assert as_user(person).get(reverse("counterpart_answer", args=[submitted.pk])).status_code == 200
    # The round page offers it, with a confirmation box.
    html = as_user(quito.approver).get(reverse("round_detail", args=[submitted.pk])).content.decode()
    assert withdraw_url(submitted) in html and 'name="confirm"' in html

    response = as_user(quito.approver).post(withdraw_url(submitted), {"confirm": "yes"})

    assert response.status_code == 302
    assert not Counterpart.objects.filter(round=submitted).exists()
    assert not CounterpartAnswer.objects.filter(counterpart_id=counterpart.pk).exists()
    assert get_user_model().objects.filter(pk=person.pk).exists()
    assert as_user(person).get(reverse("counterpart_answer", args=[submitted.pk])).status_code == 404
    # A new invitation can be sent.
    assert as_user(quito.approver).get(reverse("counterpart_invite", args=[submitted.pk])).status_code == 200


def test_withdrawing_without_the_box_ticked_or_as_an_editor_changes_nothing(quito, draft):
    invite_counterpart(draft, quito.approver)

    assert as_user(quito.approver).post(withdraw_url(draft), {}).status_code == 400
    assert as_user(quito.editor).post(withdraw_url(draft), {"confirm": "yes"}).status_code == 403
    assert as_user(make_city("lima").approver).post(withdraw_url(draft), {"confirm": "yes"}).status_code == 404
    assert Counterpart.objects.filter(round=draft).exists()


def test_a_submitted_counterpart_cannot_be_withdrawn(quito, submitted):
    counterpart = counterpart_answer_all(invite_counterpart(submitted, quito.approver), submit=True)

    with pytest.raises(services.TerritoryError):
        services.counterpart_withdraw(counterpart=counterpart, actor=quito.approver)
    assert as_user(quito.approver).post(withdraw_url(submitted), {"confirm": "yes"}).status_code == 409
    assert Counterpart.objects.get(round=submitted).answers.exists()
    html = as_user(quito.approver).get(reverse("round_detail", args=[submitted.pk])).content.decode()
    assert withdraw_url(submitted) not in html


# --- 3. a taken user name is refused, not a 500 ---------------------------------------------------------


def test_a_user_name_taken_by_an_account_with_another_email_is_a_form_error(quito, draft):
    UserFactory(username=NADIA, email="someone.else@example.org")
    mails = Mail.objects.count()

    response = as_user(quito.approver).post(
        reverse("counterpart_invite", args=[draft.pk]),
        {"name": "Nadia", "email": NADIA, "organisation": "Ministry", "level": "national", "language": "en"},
    )

    assert response.status_code == 422
    assert "An account with this user name already exists; ask an administrator." in response.content.decode()
    assert not Counterpart.objects.filter(round=draft).exists()
    assert get_user_model().objects.filter(username=NADIA).count() == 1
    assert Mail.objects.count() == mails


# --- 4. a returned round is open to changes: no comparison, not the partner's round ----------------------


def test_a_returned_round_closes_the_comparison(quito, submitted):
    counterpart = counterpart_answer_all(invite_counterpart(submitted, quito.approver), submit=True)
    assert access.comparison_open(counterpart, submitted)

    Round.objects.filter(pk=submitted.pk).update(status=Round.Status.RETURNED)
    submitted.refresh_from_db()

    assert not access.comparison_open(counterpart, submitted)
    page = as_user(counterpart.user).get(reverse("counterpart_comparison", args=[submitted.pk]))
    assert page.templates[0].name == "territories/counterpart/comparison_waiting.html"


def test_the_partner_sees_the_latest_submitted_or_validated_round_never_a_returned_one(quito, submitted):
    lima = make_city("lima")
    partnership = services.partnership_propose(authority=quito.authority, partner=lima.authority, actor=quito.approver)
    services.partnership_confirm(partnership=partnership, actor=lima.approver)
    newer = RoundFactory(authority=quito.authority, period="2026", actor=quito.approver)
    Round.objects.filter(pk=newer.pk).update(status=Round.Status.RETURNED, submitted_at=timezone.now())

    sides, _rows = partnership_sides(partnership, quito.authority.pk)

    assert sides[0].authority.pk == quito.authority.pk
    assert sides[0].round.pk == submitted.pk


# --- 5. the authority list names only authorities the caller may see ------------------------------------


def listed(response) -> dict:
    assert response.status_code == 200
    return {row["slug"]: row for row in response.json()["results"]}


def test_the_list_names_no_parent_or_partner_outside_the_callers_set(quito, submitted):
    calabarzon, tuscany_region = region("calabarzon"), region("toscana")
    Authority.objects.filter(pk=quito.authority.pk).update(parent=calabarzon)
    tuscany = make_city("tuscany")
    Authority.objects.filter(pk=tuscany.authority.pk).update(parent=tuscany_region)
    partnership = services.partnership_propose(
        authority=quito.authority, partner=tuscany.authority, actor=quito.approver
    )
    services.partnership_confirm(partnership=partnership, actor=tuscany.approver)
    counterpart = counterpart_answer_all(invite_counterpart(submitted, quito.approver), submit=True)

    # Quito's member sees Tuscany (a partner) but not Tuscany's region.
    found = listed(as_user(quito.editor).get("/api/v1/authorities/"))
    assert found["tuscany"]["parent"] is None
    assert found["quito"]["parent"] == "calabarzon"
    assert found["quito"]["partners"] == ["tuscany"]
    # The counterpart sees Quito only: neither its region nor its partner is named.
    found = listed(as_user(counterpart.user).get("/api/v1/authorities/"))
    assert set(found) == {"quito"}
    assert found["quito"]["parent"] is None
    assert found["quito"]["partners"] == []
    # Programme staff see everything, so everything is named.
    staff = UserFactory(is_superuser=True, is_staff=True)
    found = listed(as_user(staff).get("/api/v1/authorities/?page_size=100"))
    assert found["tuscany"]["parent"] == "toscana"
    assert found["quito"]["partners"] == ["tuscany"]
