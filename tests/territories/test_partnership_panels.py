"""The round page's "Partner territories" section: confirmed partners for whoever sees the round, proposals for approvers.

Quito's round is shown; Quito has a confirmed partnership with Tuscany, and Lima has proposed one
to Quito. With neither, the section says so and links to the partnerships page; and the section costs the same few queries for one
partnership or many.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from territories import services
from territories.partnership_panels import round_page_section
from tests.factories import AuthorityFactory
from tests.territories.factories import PartnershipFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db


def _page(client, user, round) -> str:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("round_detail", args=[round.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def partners(quito, submitted):
    tuscany, lima = make_city("tuscany"), make_city("lima")
    confirmed = services.partnership_propose(authority=quito.authority, partner=tuscany.authority, actor=quito.approver)
    services.partnership_confirm(partnership=confirmed, actor=tuscany.approver)
    proposed = services.partnership_propose(authority=lima.authority, partner=quito.authority, actor=lima.approver)
    return {"confirmed": confirmed, "proposed": proposed, "tuscany": tuscany, "lima": lima}


def test_a_round_of_an_authority_without_partnerships_says_so_and_leads_to_the_partnerships_page(
    client, quito, submitted, reviewer
):
    # The main menu has no room for partner territories: the round page is where approvers find them.
    for user in (quito.editor, quito.approver, reviewer):
        page = _page(client, user, submitted)
        assert "has no partner territory yet" in page
        assert reverse("partnership_list") in page


def test_members_see_the_confirmed_partners_with_links(client, quito, submitted, partners):
    page = _page(client, quito.editor, submitted)
    assert "Partner territories" in page
    assert reverse("partnership_detail", args=[partners["confirmed"].pk]) in page
    assert "Tuscany" in page
    # A proposal is the approvers' business.
    assert reverse("partnership_detail", args=[partners["proposed"].pk]) not in page
    assert "Lima" not in page


def test_an_approver_also_sees_the_proposal_waiting_for_them(client, quito, submitted, partners):
    page = _page(client, quito.approver, submitted)
    assert "Proposals waiting for your confirmation:" in page
    assert reverse("partnership_detail", args=[partners["proposed"].pk]) in page


def test_an_approver_sees_their_own_proposal_waiting_for_the_partner(client, quito, submitted):
    dakar = make_city("dakar")
    proposal = services.partnership_propose(authority=quito.authority, partner=dakar.authority, actor=quito.approver)
    page = _page(client, quito.approver, submitted)
    assert "Proposals waiting for the partner:" in page
    assert reverse("partnership_detail", args=[proposal.pk]) in page
    editor_page = _page(client, quito.editor, submitted)  # an editor does not confirm: no proposal, no partner yet
    assert reverse("partnership_detail", args=[proposal.pk]) not in editor_page
    assert "has no partner territory yet" in editor_page


def test_a_reviewer_sees_the_confirmed_partners_only(client, submitted, reviewer, partners):
    page = _page(client, reviewer, submitted)
    assert reverse("partnership_detail", args=[partners["confirmed"].pk]) in page
    assert reverse("partnership_detail", args=[partners["proposed"].pk]) not in page


def _section_queries(user, round) -> tuple[int, str]:
    request = RequestFactory().get("/")
    request.user = user
    with CaptureQueriesContext(connection) as queries:
        html = round_page_section(request, round)
    return len(queries), html


def test_the_section_costs_at_most_two_queries_for_one_partnership_or_many(quito, submitted, partners):
    user = type(quito.approver).objects.get(pk=quito.approver.pk)  # no permissions cached yet
    user.get_all_permissions()  # the round page has loaded them before the section asks
    few, html = _section_queries(user, submitted)
    for n in range(15):
        PartnershipFactory(
            first=quito.authority, second=AuthorityFactory(), proposed_by=quito.approver, confirmed=n % 3 != 0
        )
    many, html_many = _section_queries(user, submitted)
    assert few <= 2
    assert many == few
    assert html_many.count("<li>") == html.count("<li>") + 15
