"""An editor fills in a whole dimension with the keyboard alone: Tab, arrow keys, Space, typing, Enter."""

import pytest
from playwright.sync_api import expect

from assessments import services
from assessments.models import Evidence
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LEVELS = {"HC-01": 2, "HC-02": 1, "HC-03": 0, "HC-04": 3, "HC-05": 1, "HC-06": 4, "HC-07": 2, "HC-08": 1}


def tab_to(page, target, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{target} never got the focus in {limit} presses of Tab")


def expect_focus_visible(page) -> None:
    """The focused element shows a focus ring: an outline or a box shadow."""
    style = page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return {outline: style.outlineStyle, width: style.outlineWidth, shadow: style.boxShadow};
        }"""
    )
    outlined = style["outline"] != "none" and style["width"] != "0px"
    assert outlined or style["shadow"] != "none", f"no visible focus on the focused element: {style}"


def mark_stale(status) -> None:
    """Tag the save note shown now, so that the next expectation waits for the one the next save brings."""
    status.evaluate("element => element.setAttribute('data-stale', '')")


def add_evidence_with_the_keyboard(page, evidence) -> None:
    """Open the evidence form, describe the file, choose it, and press Enter on the button."""
    tab_to(page, evidence.get_by_text("Add evidence (a file or a link)"), limit=3)
    expect_focus_visible(page)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(evidence.get_by_label("Description")).to_be_focused()
    page.keyboard.type("Minutes of the March meeting")
    page.keyboard.press("Tab")
    file_input = evidence.get_by_label("File")
    expect(file_input).to_be_focused()
    expect_focus_visible(page)
    file_input.set_input_files(files=[{"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    tab_to(page, evidence.get_by_role("button", name="Add evidence"), limit=3)
    expect_focus_visible(page)
    page.keyboard.press("Enter")
    expect(evidence.get_by_role("link", name="minutes.pdf")).to_be_visible()
    expect(evidence).to_contain_text("Minutes of the March meeting")


@pytest.fixture
def round(quito, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return services.round_create(authority=quito.authority, period="2025", actor=quito.approver)


def test_an_editor_fills_in_a_dimension_and_adds_evidence_with_the_keyboard_alone(login, round):
    page = login("quito-editor")
    page.goto(f"/rounds/{round.pk}/dimensions/HC/")
    expect(page.get_by_role("heading", level=1)).to_have_text("HC · Horizontal coherence")
    assert_accessible(page, "form page (dimension HC)")

    for code, level in LEVELS.items():
        card = page.locator(f"#indicator-{code}")
        status = card.locator(f"#state-{code}")

        # Tab enters the radio group on its first level; Space chooses it, arrows move and choose.
        tab_to(page, card.locator(f"#{code}-level-0"))
        expect_focus_visible(page)
        mark_stale(status)
        page.keyboard.press("Space")
        for _ in range(level):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Space")
        expect(card.locator(f"#{code}-level-{level}")).to_be_checked()
        expect(card.locator(f"#{code}-level-{level}")).to_be_focused()
        expect(card.locator(f"#state-{code}:not([data-stale])")).to_contain_text("Saved at")

        page.keyboard.press("Tab")
        expect(card.get_by_label("Justification")).to_be_focused()
        expect_focus_visible(page)
        mark_stale(card.locator(f"#state-{code}"))
        page.keyboard.type(f"Minutes of the {code} working group.")
        page.keyboard.press("Tab")  # leaving the field saves it
        expect(card.get_by_role("button", name="Save now")).to_be_focused()
        expect_focus_visible(page)
        expect(card.locator(f"#state-{code}:not([data-stale])")).to_contain_text("Saved at")
        if code == "HC-01":
            add_evidence_with_the_keyboard(page, card.locator("#evidence-HC-01"))
    expect(page.locator("#dimension-progress")).to_contain_text("8 of 8 answered")
    assert_accessible(page, "form page (dimension HC, answered)")

    page.reload()
    for code, level in LEVELS.items():
        expect(page.locator(f"#{code}-level-{level}")).to_be_checked()
        expect(page.locator(f"#{code}-justification")).to_have_value(f"Minutes of the {code} working group.")
    expect(page.locator("#evidence-HC-01").get_by_role("link", name="minutes.pdf")).to_be_visible()
    stored = Evidence.objects.get(answer__round=round, answer__indicator__code="HC-01")
    with stored.file.open("rb") as handle:
        assert handle.read() == PDF
