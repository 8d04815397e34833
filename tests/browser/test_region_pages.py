"""A municipality shares its validated round with its region; the region's member reads the roll-up and the round.

Axe finds nothing serious on the round page with its sharing section, on the roll-up, and on the
shared round read-only.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments import services
from assessments.models import Authority, Membership
from tests.browser.conftest import assert_accessible
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory
from tests.world import answer, answer_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _validated(authority: Authority, reviewer, level: int, approver_name: str, **levels: int):
    """A round of ``authority`` answered at ``level`` (``levels`` by code, with _ for -), submitted and validated."""
    editor = MembershipFactory(authority=authority).user
    approver = MembershipFactory(
        authority=authority, role=Membership.Role.APPROVER, user=UserFactory(username=approver_name)
    ).user
    round = services.round_create(authority=authority, period="2025", actor=approver)
    answer_everything(round, editor, level=level)
    for code, value in levels.items():
        answer(round, code.replace("_", "-"), editor, level=value, justification=f"{code} as the council decided.")
    services.round_submit(round=round, actor=approver)
    return services.round_review(round=round, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)


def test_a_region_reads_the_rollup_of_the_round_a_municipality_shared_with_it(login, catalogue, reviewer):
    calabarzon = AuthorityFactory(name="Calabarzon", slug="calabarzon", kind=Authority.Kind.REGION)
    MembershipFactory(authority=calabarzon, user=UserFactory(username="cala-member"))
    batangas = AuthorityFactory(name="Batangas", slug="batangas", parent=calabarzon)
    lipa = AuthorityFactory(name="Lipa", slug="lipa", parent=calabarzon)
    shared = _validated(batangas, reviewer, 2, "batangas-approver", VC_06=3)
    _validated(lipa, reviewer, 4, "lipa-approver")  # validated, never shared

    # The municipality's approver shares the round from its page.
    page = login("batangas-approver")
    page.goto(f"/rounds/{shared.pk}/")
    section = page.locator("#rollup")
    expect(section.get_by_role("heading", level=2)).to_have_text("Sharing with Calabarzon")
    expect(section).to_contain_text("Not shared")
    expect(section).to_contain_text("the members of Calabarzon see it read-only")
    assert_accessible(page, "round page with the sharing section")
    section.get_by_role("button", name="Share with Calabarzon").click()
    expect(page.get_by_role("status")).to_contain_text("The round is shared with Calabarzon.")
    expect(page.locator("#rollup")).to_contain_text("This round is shared with Calabarzon.")
    expect(page.locator("#rollup").get_by_role("button", name="Stop sharing with Calabarzon")).to_be_visible()

    # The region's member finds the roll-up from the home page.
    region = login("cala-member")
    region.locator("main").get_by_role("link", name="Municipalities of Calabarzon").click()
    expect(region.get_by_role("heading", level=1)).to_have_text("Municipalities of Calabarzon")
    vc = region.locator("#rollup-dimensions tbody tr").filter(has_text="Vertical coherence")
    expect(vc.locator("td")).to_have_text(["1", "0", "0", "1", "0", "0", "54.2"])
    lipa_row = region.locator("#rollup-municipalities tbody tr").filter(has_text="Lipa")
    expect(lipa_row).to_contain_text("Not shared")
    batangas_row = region.locator("#rollup-municipalities tbody tr").filter(has_text="Batangas")
    expect(batangas_row.locator("td").nth(1)).to_have_text("Yes (level 3)")
    expect(batangas_row.locator("td").nth(2)).to_have_text("No (level 2)")
    assert_accessible(region, "region roll-up")

    batangas_row.get_by_role("link", name="Validated round 2025").click()
    expect(region.get_by_role("heading", level=1)).to_contain_text("Batangas · 2025")
    expect(region.locator("#indicator-VC-06")).to_contain_text("VC_06 as the council decided.")
    expect(region.locator("main form")).to_have_count(0)
    assert_accessible(region, "shared round, read-only")

    # Back to the roll-up by the breadcrumb, for another period the form offers (no JavaScript needed).
    region.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Municipalities of Calabarzon").click()
    expect(region.locator("#period")).to_have_value("2025")
