"""Two approvers declare a partnership: one proposes, the other confirms, and each sees the other's DC answers.

Axe finds nothing serious on the list (with a proposal waiting) or on the detail (pending and confirmed).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessments import services
from assessments.models import Authority
from tests.browser.conftest import assert_accessible
from tests.world import answer, answer_everything, make_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KASSERINE_DC01 = "The agreement with Tuscany covers seasonal work and the return of skills."
TUSCANY_DC01 = "A regional law funds the cooperation with Kasserine every year."


def _submitted_round(city, period: str, justification: str):
    round = services.round_create(authority=city.authority, period=period, actor=city.approver)
    answer_everything(round, city.editor)
    answer(round, "DC-01", city.editor, level=3, justification=justification)
    return services.round_submit(round=round, actor=city.approver)


def test_two_approvers_declare_a_partnership_and_see_each_others_dc_answers(login, catalogue):
    kasserine, tuscany = make_city("kasserine"), make_city("tuscany")
    Authority.objects.filter(pk=kasserine.authority.pk).update(country="Tunisia")
    Authority.objects.filter(pk=tuscany.authority.pk).update(country="Italy", kind=Authority.Kind.REGION)
    _submitted_round(kasserine, "2025", KASSERINE_DC01)
    _submitted_round(tuscany, "2024", TUSCANY_DC01)

    proposer = login("kasserine-approver")
    proposer.goto("/territories/partnerships/")
    expect(proposer.get_by_role("heading", level=1)).to_have_text("Partner territories")
    assert_accessible(proposer, "partnership list (empty, with the proposal form)")
    form = proposer.get_by_role("region", name="Propose a partnership")
    form.get_by_label("Partner authority").select_option(label="Tuscany")
    form.get_by_label("What the partnership does").fill("Seasonal work, training before departure, support on return.")
    form.get_by_role("button", name="Propose the partnership").click()

    expect(proposer.get_by_role("heading", level=1)).to_have_text("Kasserine and Tuscany")
    expect(proposer.locator("main")).to_contain_text("Waiting for Tuscany")
    expect(proposer.locator("main")).to_contain_text("Nothing is shared yet")
    expect(proposer.locator("main")).not_to_contain_text(TUSCANY_DC01)
    assert_accessible(proposer, "partnership detail (waiting for the partner)")

    partner = login("tuscany-approver")
    partner.goto("/territories/partnerships/")
    waiting = partner.get_by_role("region", name="Waiting for your confirmation")
    expect(waiting.get_by_role("link", name="Kasserine")).to_be_visible()
    assert_accessible(partner, "partnership list (a proposal waiting for you)")
    waiting.get_by_role("button", name=re.compile("^Confirm")).click()

    expect(partner.get_by_role("heading", level=1)).to_have_text("Tuscany and Kasserine")
    expect(partner.locator("main")).to_contain_text("Confirmed by both")
    table = partner.get_by_role("table", name=re.compile("answers on decentralised cooperation"))
    expect(table).to_contain_text(KASSERINE_DC01)
    expect(table.get_by_role("row", name=re.compile("^DC-01"))).to_contain_text("3 · Operational")
    assert_accessible(partner, "partnership detail (confirmed)")

    proposer.reload()
    expect(proposer.get_by_role("table", name=re.compile("answers on decentralised cooperation"))).to_contain_text(
        TUSCANY_DC01
    )
    proposer.get_by_label("Title").fill("Cooperation agreement")
    proposer.get_by_label("Or a link").fill("https://example.org/agreement")
    proposer.get_by_role("button", name="Share the evidence").click()
    shared = proposer.get_by_role("region", name="Shared evidence")
    expect(shared.get_by_role("link", name="Cooperation agreement")).to_be_visible()
    assert_accessible(proposer, "partnership detail (evidence shared)")
