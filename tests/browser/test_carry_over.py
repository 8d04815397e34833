"""In Chromium, an answer carried over from the last round is confirmed with one button, by mouse or keyboard."""

import pytest
from playwright.sync_api import expect

from assessments import services
from assessments.models import Answer
from tests.browser.conftest import assert_accessible
from tests.conftest import wait_until
from tests.world import answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def carried(quito):
    earlier = services.round_create(authority=quito.authority, period="2024", actor=quito.approver)
    answer(earlier, "HC-01", quito.editor, level=3, justification="Monthly.", evidence_url="https://example.org/m")
    answer(earlier, "HC-02", quito.editor, level=1, justification="Drafted.")
    return services.round_create(authority=quito.authority, period="2025", actor=quito.approver, start_from=earlier)


def _confirmed(round, code: str) -> bool:
    return not Answer.objects.get(round=round, indicator__code=code).carried_over


def test_confirming_with_the_button_removes_the_badge_and_counts_the_answer(login, carried):
    page = login("quito-editor")
    page.goto(f"/rounds/{carried.pk}/dimensions/HC/")
    card = page.locator("#indicator-HC-01")
    expect(card.get_by_role("status")).to_contain_text("Carried over from 2024 — confirm or change")
    expect(page.locator("#dimension-progress")).to_contain_text("0 of 8 answered")
    assert_accessible(page, "form page with carried-over answers")

    card.get_by_role("button", name="Confirm HC-01").click()

    expect(card.get_by_role("status")).to_contain_text("Saved at")
    expect(card.get_by_text("Carried over from 2024")).to_have_count(0)
    expect(page.locator("#dimension-progress")).to_contain_text("1 of 8 answered")
    expect(card.get_by_role("button", name="Save now")).to_be_focused()
    wait_until(lambda: _confirmed(carried, "HC-01"), 10, "HC-01 confirmed in the database")
    assert not _confirmed(carried, "HC-02")


def test_a_keyboard_user_confirms_with_tab_and_enter(login, carried):
    page = login("quito-editor")
    page.goto(f"/rounds/{carried.pk}/dimensions/HC/")
    card = page.locator("#indicator-HC-02")
    card.get_by_role("button", name="Save now").focus()

    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Confirm HC-02")).to_be_focused()
    page.keyboard.press("Enter")

    expect(card.get_by_role("status")).to_contain_text("Saved at")
    expect(card.get_by_role("button", name="Save now")).to_be_focused()  # not lost to the page with the button
    wait_until(lambda: _confirmed(carried, "HC-02"), 10, "HC-02 confirmed in the database")
    assert Answer.objects.get(round=carried, indicator__code="HC-02").level == 1
