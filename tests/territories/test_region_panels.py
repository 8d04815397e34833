"""Regions on the assessment pages: the round page's sharing section, and the home page's "Your municipalities"."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from assessments.models import Authority, Membership
from territories import region_panels
from territories.models import RollupConsent
from tests.factories import AuthorityFactory, MembershipFactory, RoundFactory, UserFactory
from tests.territories.factories import RollupConsentFactory

pytestmark = pytest.mark.django_db

PROMISE = "the members of Calabarzon see it read-only"


@pytest.fixture
def calabarzon():
    return AuthorityFactory(name="Calabarzon", slug="calabarzon", kind=Authority.Kind.REGION)


@pytest.fixture
def town(calabarzon, catalogue):
    """Batangas, a municipality of Calabarzon, with an editor, an approver and a draft round."""
    authority = AuthorityFactory(name="Batangas", slug="batangas", parent=calabarzon)
    editor = MembershipFactory(authority=authority).user
    approver = MembershipFactory(authority=authority, role=Membership.Role.APPROVER).user
    round = RoundFactory(authority=authority, period="2025", actor=approver)
    return authority, editor, approver, round


def _page(client, user, round) -> str:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.get(reverse("round_detail", args=[round.pk])).content.decode()


def _section(html: str) -> str:
    return html.split('id="rollup"', 1)[1].split("</section>", 1)[0]


def test_an_approver_shares_the_round_and_reads_what_the_parent_will_see(client, town):
    _authority, _editor, approver, round = town
    section = _section(_page(client, approver, round))
    assert "Not shared" in section
    assert PROMISE in section
    assert "count in the roll-up of Calabarzon" in section
    assert reverse("rollup_consent", args=[round.pk]) in section
    assert 'value="give"' in section and "Share with Calabarzon" in section

    response = client.post(reverse("rollup_consent", args=[round.pk]), {"action": "give"}, follow=True)

    assert RollupConsent.objects.get(round=round).given_by == approver
    html = response.content.decode()
    assert "The round is shared with Calabarzon." in html
    section = _section(html)
    assert "This round is shared with Calabarzon." in section
    assert 'value="withdraw"' in section and "Stop sharing with Calabarzon" in section


def test_an_editor_sees_whether_the_round_is_shared_but_cannot_decide(client, town):
    _authority, editor, approver, round = town
    section = _section(_page(client, editor, round))
    assert "Not shared" in section
    assert "<form" not in section
    assert "An approver of your authority decides whether to share it." in section

    RollupConsentFactory(round=round, given_by=approver)
    section = _section(_page(client, editor, round))
    assert "This round is shared with Calabarzon." in section
    assert "<form" not in section


def test_the_round_page_of_an_authority_with_no_parent_has_no_sharing_section_and_pays_no_query(
    client, catalogue, django_assert_num_queries
):
    dorado = AuthorityFactory(name="Dorado", slug="dorado")
    approver = MembershipFactory(authority=dorado, role=Membership.Role.APPROVER).user
    round = RoundFactory(authority=dorado, period="2025", actor=approver)
    assert 'id="rollup"' not in _page(client, approver, round)

    request = RequestFactory().get("/")
    request.user = approver
    round.authority  # noqa: B018 - the round page has it loaded
    with django_assert_num_queries(0):
        assert region_panels.round_page_section(request, round) == ""


def test_the_sharing_section_costs_a_few_queries(town, django_assert_max_num_queries):
    _authority, _editor, approver, round = town
    request = RequestFactory().get("/")
    request.user = approver
    round.authority  # noqa: B018 - the round page has it loaded
    with django_assert_max_num_queries(4):
        assert PROMISE in region_panels.round_page_section(request, round)


# --- the home page -------------------------------------------------------------------------------


def test_a_member_of_a_region_finds_its_municipalities_on_the_home_page(client, calabarzon, town):
    AuthorityFactory(name="Lipa", slug="lipa", parent=calabarzon)
    member = MembershipFactory(authority=calabarzon).user
    client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(reverse("home")).content.decode()
    section = html.split('id="municipalities-heading"', 1)[1].split("</section>", 1)[0]
    assert "Your municipalities" in section
    assert f'href="{reverse("region_rollup", args=["calabarzon"])}"' in section
    assert "Municipalities of Calabarzon</a>" in section and "(2)" in section


@pytest.mark.parametrize("who", ["editor", "approver", "nobody"])
def test_people_of_no_region_get_no_municipalities_section(client, town, who):
    _authority, editor, approver, _round = town
    user = {"editor": editor, "approver": approver, "nobody": UserFactory()}[who]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(reverse("home")).content.decode()
    assert "Your municipalities" not in html
    assert reverse("region_rollup", args=["calabarzon"]) not in html


def test_the_home_section_costs_one_query_whatever_the_number_of_regions(calabarzon, django_assert_num_queries):
    member = MembershipFactory(authority=calabarzon).user
    for n in range(3):
        region = AuthorityFactory(kind=Authority.Kind.REGION)
        MembershipFactory(authority=region, user=member)
        for _ in range(n + 1):
            AuthorityFactory(parent=region)
    AuthorityFactory(parent=calabarzon)
    request = RequestFactory().get("/")
    request.user = member
    with django_assert_num_queries(1):
        html = region_panels.home_section(request)
    assert html.count("<li>") == 4
