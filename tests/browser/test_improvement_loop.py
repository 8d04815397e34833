"""The improvement loop in Chromium: a round started from the last one, its gaps turned into an action,
progress reported on the form, the action reviewed and commented, and the plan in the validated round's PDF.
"""

import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from assessments import services
from assessments.models import Round
from indicators.models import Indicator
from plans.models import Action, ActionComment, ActionUpdate, SuggestionDismissal
from tests.browser.conftest import assert_accessible
from tests.world import answer, answer_everything, make_city

pytestmark = [pytest.mark.browser, pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

RENDERING = 120_000  # ms: a cold worker, WeasyPrint and the chart images on a small machine
START_FROM_2024 = "Start from the 2024 round (answers, justifications and evidence come over for you to confirm)"
LIMA_PRACTICE = "Lima's inter-departmental board on human mobility meets every month and keeps minutes."
CUSCO_PRACTICE = "Cusco's unpublished practice: a weekly council of all departments."
PROGRESS = "Focal points named in health, education and housing; the first meeting is set for March."
COMMENT = "Please attach the mayor's decision once it is signed."


def _validated_round(city, reviewer, *, period: str, level: int, codes: dict[str, tuple[int, str]]) -> Round:
    """A validated round of ``city``: every indicator at ``level`` with evidence, except ``codes`` (level, text)."""
    round = services.round_create(authority=city.authority, period=period, actor=city.approver)
    answer_everything(round, city.editor, level=level)
    for code, (code_level, justification) in codes.items():
        answer(round, code, city.editor, level=code_level, justification=justification)
    services.round_submit(round=round, actor=city.approver)
    return services.round_review(round=round, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)


@pytest.fixture
def world(quito, reviewer):
    """Quito's validated 2024 round with two gaps (HC-01 at 1, HC-02 at 2); Lima's published peer round, Cusco's not."""
    earlier = _validated_round(
        quito, reviewer, period="2024", level=3, codes={"HC-01": (1, "Ad hoc meetings."), "HC-02": (2, "Draft.")}
    )
    lima = make_city("lima")
    published = _validated_round(lima, reviewer, period="2024", level=3, codes={"HC-01": (3, LIMA_PRACTICE)})
    services.round_set_consent(round=published, actor=lima.approver, consent=True)
    cusco = make_city("cusco")
    _validated_round(cusco, reviewer, period="2024", level=3, codes={"HC-01": (4, CUSCO_PRACTICE)})
    return earlier


def _pdf_text(path) -> str:
    """The PDF's text with its line breaks and runs of spaces made single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_a_city_turns_its_gaps_into_an_action_reports_progress_and_the_validated_report_shows_the_plan(
    login, worker, world, quito, tmp_path
):
    earlier = world

    # 1. The approver opens the 2025 round from the 2024 one and confirms two carried answers.
    approver = login("quito-approver")
    approver.get_by_role("link", name="Open a new round").click()
    approver.get_by_label("Authority").select_option(label="Quito")
    approver.get_by_label("Period").fill("2025")
    approver.get_by_label("Start from").select_option(label=START_FROM_2024)
    approver.get_by_role("button", name="Open the round").click()
    expect(approver.get_by_role("heading", level=1)).to_contain_text("Quito · 2025")
    new_round = Round.objects.get(authority=quito.authority, period="2025")
    assert new_round.started_from_id == earlier.pk
    expect(approver.locator("#carried")).to_contain_text(
        re.compile(r"\d+ answers carried over from 2024 wait for confirmation")
    )
    approver.locator("#carried").get_by_role("link", name="HC-01").click()
    expect(approver.locator("#dimension-progress")).to_contain_text("0 of 8 answered")
    for code, answered in (("HC-01", 1), ("HC-02", 2)):
        card = approver.locator(f"#indicator-{code}")
        expect(card.get_by_role("status")).to_contain_text("Carried over from 2024 — confirm or change")
        card.get_by_role("button", name=f"Confirm {code}").click()
        expect(card.get_by_role("status")).to_contain_text("Saved at")
        expect(card.get_by_text("Carried over from 2024")).to_have_count(0)
        expect(approver.locator("#dimension-progress")).to_contain_text(f"{answered} of 8 answered")

    # 2. On the 2024 round's suggested actions: the catalogue's draft, a published peer's practice (only a
    #    consented one); HC-01 goes into the plan with an owner, HC-02's suggestion is dismissed.
    approver.goto(f"/rounds/{earlier.pk}/")
    approver.get_by_role("link", name=re.compile("^Suggested actions")).click()
    expect(approver.get_by_role("heading", level=1)).to_contain_text("Suggested actions")
    assert_accessible(approver, "suggestions page (validated round, two gaps)")
    gap = approver.locator("#gap-HC-01")
    suggestion = Indicator.objects.get(version=earlier.version, code="HC-01").suggestion
    expect(gap.get_by_label("Description")).to_have_value(suggestion)
    expect(gap.get_by_label("Title")).to_have_value(
        re.compile(r"^Move HC-01 to level 3: Start by naming a focal point")
    )
    peers = gap.get_by_role("region", name="How peers do it")
    expect(peers).to_contain_text(LIMA_PRACTICE)
    expect(peers.locator("figcaption")).to_contain_text("Lima, 2024")
    expect(approver.get_by_text(CUSCO_PRACTICE)).to_have_count(0)
    expect(approver.get_by_text("Cusco")).to_have_count(0)
    title = gap.get_by_label("Title").input_value()
    gap.get_by_label("Owner").fill("Social inclusion office")
    gap.get_by_role("button", name="Add to the plan HC-01").click()
    expect(approver.get_by_role("status").first).to_contain_text("HC-01: the action is added to the plan.")
    expect(approver.locator("#gap-HC-01")).to_contain_text("Already in your plan:")
    approver.locator("#gap-HC-02").get_by_role("button", name="Dismiss HC-02").click()
    expect(approver.get_by_role("status").first).to_contain_text("HC-02: the suggestion is dismissed")
    dismissed = approver.get_by_role("region", name="Dismissed suggestions")
    expect(dismissed).to_contain_text("HC-02")
    assert_accessible(approver, "suggestions page (one taken up, one dismissed)")
    action = Action.objects.get(plan__authority=quito.authority)
    assert (action.title, action.owner, action.origin_round_id) == (title, "Social inclusion office", earlier.pk)
    assert [(link.indicator.code, link.target_level) for link in action.links.all()] == [("HC-01", 3)]
    assert SuggestionDismissal.objects.filter(round=earlier, indicator__code="HC-02").exists()

    # The plan's own pages: the plan, the action, its edit form and its history.
    approver.goto(f"/rounds/{earlier.pk}/")
    plan_section = approver.get_by_role("region", name="Improvement plan")
    expect(plan_section).to_contain_text(title)
    approver.get_by_role("link", name="Open the improvement plan").click()
    expect(approver.get_by_role("heading", level=1)).to_have_text("Improvement plan of Quito")
    assert_accessible(approver, "plan page (city)")
    approver.get_by_role("link", name=title).click()
    expect(approver.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible(approver, "action page (approver)")
    approver.get_by_role("link", name="Change", exact=True).click()
    expect(approver.get_by_role("heading", level=1)).to_have_text("Change the action")
    expect(approver.get_by_label("Owner")).to_have_value("Social inclusion office")
    assert_accessible(approver, "action edit form")
    approver.goto(f"/plans/quito/actions/{action.pk}/history/")
    expect(approver.get_by_role("cell", name=re.compile("Action created"))).to_be_visible()
    assert_accessible(approver, "action history")

    # 3. The 2025 round follows the action up: under HC-01 on the form, with a progress update made there.
    approver.goto(f"/rounds/{new_round.pk}/dimensions/HC/")
    actions = approver.get_by_role("region", name="Actions on this indicator HC-01")
    expect(actions).to_contain_text(title)
    expect(actions).to_contain_text("No progress reported yet.")
    expect(approver.get_by_role("region", name="Actions on this indicator HC-02")).to_have_count(0)
    assert_accessible(approver, "form page with an action under an indicator")
    actions.get_by_text("Add a progress update").click()
    actions.get_by_label("Progress").fill(PROGRESS)
    actions.get_by_role("button", name=re.compile("^Add the update")).click()
    expect(approver.get_by_role("status").first).to_contain_text("Your progress update is added.")
    assert f"/rounds/{new_round.pk}/dimensions/HC/" in approver.url
    expect(approver.get_by_role("region", name="Actions on this indicator HC-01")).to_contain_text(PROGRESS)
    update = ActionUpdate.objects.get(action=action)
    assert (update.text, update.round_id) == (PROGRESS, new_round.pk)

    # 4. The rest of the round is answered over the weeks; the approver submits it.
    for indicator in services.round_indicators(new_round).exclude(code__in=["HC-01", "HC-02"]):
        answer(new_round, indicator.code, quito.editor, level=3)
    approver.goto(f"/rounds/{new_round.pk}/submit/")
    approver.get_by_role("button", name="Submit for review").click()
    expect(approver.get_by_role("status").first).to_contain_text("submitted for review")

    # The reviewer sees the action and its update under HC-01, comments by keyboard, and validates.
    reviewer = login("rita-reviewer")
    reviewer.goto("/plans/")
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("Improvement plans")
    expect(reviewer.get_by_role("row", name=re.compile("^Quito"))).to_be_visible()
    assert_accessible(reviewer, "plan list (reviewer)")
    reviewer.goto(f"/rounds/{new_round.pk}/review/")
    review_actions = reviewer.get_by_role("region", name="Actions on this indicator HC-01")
    expect(review_actions).to_contain_text(title)
    expect(review_actions).to_contain_text(PROGRESS)
    assert_accessible(reviewer, "review page with an action under an indicator")
    # A review decision typed but not saved yet survives the action's comment (only its box is swapped).
    unsaved = reviewer.locator("#indicator-HC-02").get_by_label("Comment to the city")
    unsaved.fill("Attach the adopted plan.")
    comment_box = review_actions.get_by_label(re.compile("^Your comment on this action"))
    comment_box.focus()
    reviewer.keyboard.type(COMMENT)
    reviewer.keyboard.press("Tab")
    expect(review_actions.get_by_role("button", name="Add the comment")).to_be_focused()
    reviewer.keyboard.press("Enter")
    expect(reviewer.get_by_role("status").first).to_contain_text("Your comment is added.")
    expect(reviewer.get_by_role("region", name="Actions on this indicator HC-01")).to_contain_text(COMMENT)
    expect(unsaved).to_have_value("Attach the adopted plan.")
    comment = ActionComment.objects.get(action=action)
    assert (comment.text, comment.round_id) == (COMMENT, new_round.pk)
    reviewer.get_by_role("button", name="Validate the round").click()
    expect(reviewer.get_by_role("status").first).to_contain_text("validated")
    new_round.refresh_from_db()
    assert new_round.status == Round.Status.VALIDATED

    # 5. The validated round's page shows the plan with the movement, and its PDF holds the plan section.
    approver.goto(f"/rounds/{new_round.pk}/")
    plan_section = approver.get_by_role("region", name="Improvement plan")
    expect(plan_section.get_by_role("rowheader", name=title)).to_be_visible()
    expect(plan_section).to_contain_text("2024")
    assert_accessible(approver, "round page with the plan section (validated)")
    approver.get_by_label("Language of the report").select_option("en")
    approver.get_by_role("button", name="Prepare the document").click()
    download_link = approver.locator("#report-job").get_by_role("link", name="Download the PDF report")
    expect(download_link).to_be_visible(timeout=RENDERING)
    with approver.expect_download() as download_info:
        download_link.click()
    path = tmp_path / "report.pdf"
    download_info.value.save_as(path)
    text = _pdf_text(path)
    assert "Improvement plan" in text
    # The section itself, not the first page's priorities, which also name open actions.
    section = text.split("Improvement plan", 1)[1].split("HC · Horizontal coherence", 1)[0]
    assert " ".join(title.split()) in section
    assert "Social inclusion office" in section
    assert "HC-01 · target 3" in section
