"""An approver submits too early, is shown every missing item with a link to it, and submits once all is there."""

import re

import pytest
from playwright.sync_api import expect

from assessments import services
from assessments.models import Round
from tests.browser.conftest import assert_accessible
from tests.world import answer, answer_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_submission_lists_and_links_what_is_missing_then_succeeds(login, quito):
    round = services.round_create(authority=quito.authority, period="2025", actor=quito.approver)
    answer(round, "HC-01", quito.editor, level=3, justification="A cross-department committee meets monthly.")
    answer(round, "HC-02", quito.editor, level=1, justification="Informal contacts.")

    approver = login("quito-approver")
    expect(approver.get_by_role("heading", level=1)).to_have_text("Welcome, quito-approver")
    assert_accessible(approver, "home (approver)")
    approver.get_by_role("link", name="Quito").first.click()
    expect(approver.get_by_role("heading", level=1)).to_contain_text("Quito · 2025")
    expect(approver).to_have_title("Quito 2025 · Coherence")
    assert_accessible(approver, "round page (draft)")
    approver.get_by_role("link", name="Check and submit").click()
    assert_accessible(approver, "submit page")

    approver.get_by_role("button", name="Submit for review").click()
    alert = approver.get_by_role("alert").filter(has_text="missing before the round can be submitted")
    expect(alert).to_be_visible()
    assert_accessible(approver, "submit page (refused)")
    total = services.round_indicators(round).count()
    expect(alert.get_by_role("heading")).to_have_text(
        f"{total - 1} items are missing before the round can be submitted"
    )
    expect(alert.get_by_role("listitem")).to_have_count(total - 1)
    expect(alert.get_by_role("listitem").filter(has_text="HC-01")).to_contain_text("level 3 needs evidence")
    expect(alert.get_by_role("listitem").filter(has_text="HC-03")).to_contain_text("not answered")
    expect(alert).not_to_contain_text("HC-02")  # level 1 needs no evidence
    expect(approver.get_by_role("status")).to_have_count(0)  # nothing claims success

    # Each item links to its indicator on the form.
    link = alert.get_by_role("link", name="VC-01", exact=True)
    expect(link).to_have_attribute("href", f"/rounds/{round.pk}/dimensions/VC/#indicator-VC-01")
    link.click()
    expect(approver).to_have_url(re.compile(rf"/rounds/{round.pk}/dimensions/VC/#indicator-VC-01$"))
    expect(approver.locator("#indicator-VC-01")).to_be_in_viewport()
    assert_accessible(approver, "form page (dimension VC)")

    answer_everything(round, quito.editor, level=2)  # the rest of the form, filled in over the weeks
    approver.goto(f"/rounds/{round.pk}/submit/")
    expect(approver.get_by_role("status")).to_contain_text("Every indicator is answered")
    approver.get_by_role("button", name="Submit for review").click()
    expect(approver.get_by_role("status").first).to_contain_text("submitted for review")
    expect(approver.get_by_role("heading", level=1)).to_contain_text("Submitted")
    assert_accessible(approver, "round page (submitted)")
    round.refresh_from_db()
    assert round.status == Round.Status.SUBMITTED
