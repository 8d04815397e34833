"""The national counterpart in a browser: the approver invites, the counterpart answers with the keyboard alone and
submits, the reviewer sees the gap on the comparison and review pages; invite, answer and comparison pass axe.

Screenshots of the answer page and the comparison (EN and FR) go to test-results/.
"""

import pytest
from playwright.sync_api import expect

from assessments import services as assessment_services
from territories.models import Counterpart
from territories.services import mirrored_indicators
from tests.browser.conftest import RESULTS, assert_accessible
from tests.world import answer, answer_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NADIA = "nadia@gov.example"
CITY_SAYS = "The city chairs the board every quarter"
SHE_SAYS = "The ministry attends, but no decisions are taken"


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)


def tab_to(page, target, limit: int = 60) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{target} never got the focus in {limit} presses of Tab")


def expect_focus_visible(page) -> None:
    style = page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return {outline: style.outlineStyle, width: style.outlineWidth, shadow: style.boxShadow};
        }"""
    )
    assert (style["outline"] != "none" and style["width"] != "0px") or style["shadow"] != "none", style


def in_french(page) -> None:
    page.locator("#language-select").select_option("fr")
    page.locator("#language-select").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


@pytest.fixture
def city_answered(draft, quito):
    answer_everything(draft, quito.editor, level=2)
    answer(draft, "VC-01", quito.editor, level=3, justification=CITY_SAYS, evidence_url="https://example.org/m.pdf")
    return draft


def test_a_counterpart_answers_with_the_keyboard_and_the_reviewer_sees_the_gap(login, city_answered, quito, reviewer):
    round = city_answered
    codes = list(mirrored_indicators(round).values_list("code", flat=True))

    # The approver invites Nadia from the round page.
    approver = login("quito-approver")
    approver.goto(f"/rounds/{round.pk}/")
    panel = approver.locator("#counterpart")
    expect(panel).to_contain_text("No national or regional counterpart is invited to this round.")
    panel.get_by_role("link", name="Invite a counterpart").click()
    expect(approver.get_by_role("heading", level=1)).to_have_text("Invite a national or regional counterpart")
    assert_accessible(approver, "counterpart: invitation")
    shoot(approver, "counterpart-invite-en")
    approver.get_by_label("Name").fill("Nadia Mansour")
    approver.get_by_label("E-mail address").fill(NADIA)
    approver.get_by_label("Organisation").fill("Ministry of Foreign Affairs")
    approver.get_by_label("National government").check()
    approver.get_by_role("button", name="Send the invitation").click()
    expect(approver.locator("#counterpart")).to_contain_text("Nadia Mansour, Ministry of Foreign Affairs")
    expect(approver.locator("#counterpart-status")).to_have_text("Not submitted yet")

    # Nadia chose her password through the mailed link (tests/territories/test_counterpart_invite.py).
    nadia = Counterpart.objects.get(round=round).user
    nadia.set_password("pw-for-tests-only")
    nadia.save()
    page = login(NADIA)
    page.locator("#counterpart-rounds").get_by_role("link", name="Quito").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your answers as counterpart: Quito · 2025")
    expect(page.locator("#progress-count")).to_have_text(f"0 of {len(codes)} indicators answered")
    assert CITY_SAYS not in page.content()
    assert_accessible(page, "counterpart: answers")

    # With the keyboard alone: Tab into each radio group, arrows to the level, Tab to the justification, type.
    chosen = {code: (4 if code == "VC-01" else 2) for code in codes}
    for code, level in chosen.items():
        card = page.locator(f"#indicator-{code}")
        tab_to(page, card.locator(f"#{code}-level-0"))
        expect_focus_visible(page)
        page.keyboard.press("Space")
        for _ in range(level):
            page.keyboard.press("ArrowRight")
        expect(card.locator(f"#{code}-level-{level}")).to_be_checked()
        page.keyboard.press("Tab")
        expect(card.get_by_label("Justification")).to_be_focused()
        page.keyboard.type(SHE_SAYS if code == "VC-01" else "Seen in the ministry's files.")
    shoot(page, "counterpart-answers-en")
    confirm = page.get_by_label("I have checked my answers")
    tab_to(page, confirm)
    expect_focus_visible(page)
    page.keyboard.press("Space")
    expect(confirm).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Submit my answers"), limit=3)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="You submitted your answers")).to_be_visible()
    expect(page.locator("#progress-count")).to_have_text(f"{len(codes)} of {len(codes)} indicators answered")
    expect(page.locator("#indicator-VC-01")).to_contain_text("4 · Institutionalised")
    expect(page.locator("textarea")).to_have_count(0)

    # The city submits; the reviewer sees the gap side by side, and on the review page.
    assessment_services.round_submit(round=round, actor=quito.approver)
    rita = login("rita-reviewer")
    rita.goto(f"/rounds/{round.pk}/")
    rita.locator("#counterpart").get_by_role("link", name="See the comparison").click()
    expect(rita.get_by_role("heading", level=1)).to_have_text("Counterpart comparison: Quito · 2025")
    row = rita.locator("tr", has=rita.get_by_role("rowheader", name="VC-01"))
    expect(row.locator("td.gap")).to_have_text("+1")
    expect(rita.locator("#compare-VC-01")).to_contain_text(CITY_SAYS)
    expect(rita.locator("#compare-VC-01")).to_contain_text(SHE_SAYS)
    expect(rita.get_by_text("Counterpart levels never change the city's scores.").first).to_be_visible()
    assert_accessible(rita, "counterpart: comparison")
    shoot(rita, "counterpart-comparison-en")

    rita.goto(f"/rounds/{round.pk}/review/")
    part = rita.locator("section[aria-labelledby='review-counterpart-VC-01']")
    expect(part).to_contain_text("Counterpart: Ministry of Foreign Affairs")
    expect(part.locator(".counterpart-gap")).to_have_text("+1")
    expect(part).to_contain_text(SHE_SAYS)
    part.scroll_into_view_if_needed()
    rita.screenshot(path=str(RESULTS / "counterpart-review-en.png"))

    # The same pages in French.
    in_french(rita)
    rita.goto(f"/territories/rounds/{round.pk}/counterpart/comparison/")
    assert_accessible(rita, "counterpart: comparison (fr)")
    shoot(rita, "counterpart-comparison-fr")
    in_french(page)
    page.goto(f"/territories/rounds/{round.pk}/counterpart/")
    shoot(page, "counterpart-answers-submitted-fr")


def test_the_answer_page_keeps_what_was_typed_when_a_save_is_refused(login, city_answered, quito):
    from tests.territories.factories import invite_counterpart

    counterpart = invite_counterpart(city_answered, quito.approver)
    counterpart.user.set_password("pw-for-tests-only")
    counterpart.user.save()
    page = login(NADIA)
    page.goto(f"/territories/rounds/{city_answered.pk}/counterpart/")

    page.get_by_label("Justification").first.fill("Half a thought, no level yet")
    page.locator("#indicator-VC-01").get_by_role("button", name="Save my answers").click()

    expect(page.locator("#errors")).to_contain_text(
        "VC-01: choose a level, or “don't know”, to save this justification."
    )
    expect(page.get_by_label("Justification").first).to_have_value("Half a thought, no level yet")
    assert_accessible(page, "counterpart: answers with an error")
    shoot(page, "counterpart-answers-error-en")

    # The page in French, as a counterpart who has not answered yet sees it.
    in_french(page)
    page.goto(f"/territories/rounds/{city_answered.pk}/counterpart/")
    shoot(page, "counterpart-answers-fr")
