"""An assessment round as its people live it, in Chromium: fill in, submit, return, fix, validate."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from assessments import services
from assessments.models import Answer, Round
from tests.browser.conftest import assert_accessible
from tests.factories import UserFactory
from tests.world import answer_everything, make_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(catalogue):
    city = make_city("naga")
    group, _created = Group.objects.get_or_create(name="Programme reviewers")
    group.permissions.add(Permission.objects.get(codename="review_round"))
    UserFactory(username="rita").groups.add(group)
    round = services.round_create(authority=city.authority, period="2025", actor=city.approver)
    return city, round


def test_a_round_goes_from_first_answer_to_validation(login, world):
    city, round = world

    # The editor answers the first dimension; every answer is saved as it changes.
    editor = login("naga-editor")
    editor.get_by_role("link", name="Naga").first.click()
    editor.get_by_role("link", name="Fill in the answers").click()
    expect(editor.get_by_role("heading", level=1)).to_have_text("HC · Horizontal coherence")
    assert_accessible(editor, "form page (dimension HC, editor)")
    codes = [f"HC-0{n}" for n in range(1, 9)]
    for code in codes:
        card = editor.locator(f"#indicator-{code}")
        card.get_by_label(re.compile(r"^1 · Initial")).check()
        expect(card.get_by_role("status")).to_contain_text("Saved at")
        card.get_by_label("Justification").fill(f"Informal meetings only ({code}).")
        card.get_by_label("Justification").blur()
        expect(card.get_by_role("status")).to_contain_text("Saved at")
    expect(editor.locator("#dimension-progress")).to_contain_text("8 of 8 answered")
    # "Saved at" was already shown by the level's save: let the last justification's save finish before leaving.
    editor.wait_for_load_state("networkidle")
    editor.reload()
    for code in codes:
        expect(editor.locator(f"#{code}-level-1")).to_be_checked()
        expect(editor.locator(f"#{code}-justification")).to_have_value(f"Informal meetings only ({code}).")

    # The approver tries to submit too early and is told exactly what is missing.
    approver = login("naga-approver")
    approver.goto(f"/rounds/{round.pk}/submit/")
    approver.get_by_role("button", name="Submit for review").click()
    alert = approver.get_by_role("alert").filter(has_text="missing before the round can be submitted")
    expect(alert).to_contain_text("VC-01")
    expect(alert).not_to_contain_text("HC-01")

    answer_everything(round, city.editor, level=2)  # the rest of the form, filled in over the weeks
    approver.get_by_role("button", name="Submit for review").click()
    expect(approver.get_by_role("status").first).to_contain_text("submitted for review")

    # The reviewer returns two indicators with comments.
    reviewer = login("rita")
    reviewer.get_by_role("link", name="Review queue", exact=True).click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("Review queue")
    assert_accessible(reviewer, "review queue")
    reviewer.get_by_role("link", name=re.compile("^Review Naga")).click()
    assert_accessible(reviewer, "review page (submitted)")
    for code, comment in (("HC-01", "Which departments attend?"), ("VC-02", "Attach the national plan.")):
        card = reviewer.locator(f"#indicator-{code}")
        card.get_by_label("Comment to the city").fill(comment)
        card.get_by_label("Return this indicator to the city").check()
    reviewer.get_by_role("button", name="Return the ticked indicators").click()
    expect(reviewer.get_by_role("status").first).to_contain_text("returned to the city")

    # The editor sees the comments and fixes the two indicators; the others are locked.
    editor.goto(f"/rounds/{round.pk}/")
    returned = editor.get_by_role("region", name="Returned by the reviewer: change these indicators")
    expect(returned).to_contain_text("HC-01: Which departments attend?")
    expect(editor.locator("#threads")).to_contain_text("Which departments attend?")  # the return opened a thread
    assert_accessible(editor, "round page (returned)")
    returned.get_by_role("link", name="HC-01").click()
    card = editor.locator("#indicator-HC-01")
    card.get_by_label(re.compile(r"^3 · Operational")).check()
    expect(card.get_by_role("status")).to_contain_text("Saved at")
    # From level 3 a justification is needed to submit: the card says so as soon as the level is saved.
    hints = editor.locator("#hints-HC-01")
    expect(hints).to_contain_text("Level 3 needs a justification")
    card.get_by_label("Justification").fill("Planning, finance and health attend; the minutes say so.")
    card.get_by_label("Justification").blur()
    expect(hints).not_to_contain_text("needs a justification")
    expect(editor.locator("#indicator-HC-02 input[type=radio]")).to_have_count(0)  # read-only
    assert_accessible(editor, "form page (dimension HC, returned)")
    editor.goto(f"/rounds/{round.pk}/dimensions/VC/")
    card = editor.locator("#indicator-VC-02")
    card.get_by_label("Justification").fill("The national plan is attached.")
    card.get_by_role("button", name="Save now").click()
    expect(card.get_by_role("status")).to_contain_text("Saved at")

    # The approver resubmits; the reviewer sees what changed and validates.
    approver.goto(f"/rounds/{round.pk}/submit/")
    approver.get_by_role("button", name="Resubmit for review").click()
    expect(approver.get_by_role("status").first).to_contain_text("submitted for review")
    reviewer.goto(f"/rounds/{round.pk}/review/")
    changed = reviewer.locator("#indicator-HC-01")
    expect(changed).to_contain_text("Changed since you returned it")
    expect(changed.locator(".diff-old").first).to_have_text("2 · Partial")
    expect(changed.locator(".diff-new").first).to_have_text("3 · Operational")
    expect(reviewer.locator("#indicator-VC-02")).to_contain_text("The national plan is attached.")
    assert_accessible(reviewer, "review page (resubmitted, with changes)")
    reviewer.get_by_role("button", name="Validate the round").click()
    expect(reviewer.get_by_role("status").first).to_contain_text("validated")
    assert_accessible(reviewer, "review queue (after validating)")

    round.refresh_from_db()
    assert round.status == Round.Status.VALIDATED
    assert Answer.objects.get(round=round, indicator__code="HC-01").level == 3
