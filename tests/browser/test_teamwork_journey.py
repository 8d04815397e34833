"""A city's team shares the work of a round, in Chromium: an approver assigns a dimension, a colleague fills it in
offline in the workbook, the reviewer moves through the grouped review page by keyboard, asks in a thread, the
city answers there, and the reviewer validates with a note that stays in the history."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from assessments import services
from assessments.models import Answer, Comment, Round, StatusEvent
from collaboration import workbook
from collaboration.models import Assignment
from tests.browser.conftest import assert_accessible
from tests.factories import UserFactory
from tests.world import answer, make_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HC_LEVELS = {"HC-01": 3, "HC-02": 2, "HC-03": 1, "HC-04": 3, "HC-05": 2, "HC-06": 1, "HC-07": 2, "HC-08": 0}
HC = list(HC_LEVELS)


@pytest.fixture
def world(catalogue):
    city = make_city("naga")
    group, _created = Group.objects.get_or_create(name="Programme reviewers")
    group.permissions.add(Permission.objects.get(codename="review_round"))
    UserFactory(username="rita").groups.add(group)
    round = services.round_create(authority=city.authority, period="2025", actor=city.approver)
    return city, round


def _fill_in_offline(path) -> None:
    """What the colleague does in their spreadsheet: a level and a justification on each HC row."""
    book = load_workbook(path)
    for ws in book.worksheets:
        for row in ws.iter_rows(min_row=2):
            code = row[workbook.CODE - 1].value
            if code in HC_LEVELS:
                row[workbook.RESPONSE - 1].value = HC_LEVELS[code]
                row[workbook.JUSTIFICATION - 1].value = f"Offline: the {code} minutes of the coordination committee."
    book.save(path)


def _complete_and_submit(round: Round, city) -> None:
    """The rest of the round, answered over the weeks, the evidence attached, and the approver's submission."""
    for indicator in services.round_indicators(round):
        if indicator.code in HC_LEVELS:
            if HC_LEVELS[indicator.code] >= indicator.evidence_from_level:
                services.evidence_add(
                    round=round,
                    indicator=indicator,
                    actor=city.editor,
                    description="Minutes",
                    url="https://example.org/minutes.pdf",
                )
        else:
            answer(round, indicator.code, city.editor, level=2, evidence_url="https://example.org/minutes.pdf")
    services.round_submit(round=round, actor=city.approver)


def test_a_dimension_is_assigned_filled_in_offline_discussed_and_validated(login, world, tmp_path):
    city, round = world
    due = timezone.localdate() + datetime.timedelta(days=14)

    # The approver gives the HC dimension to a colleague, by a date.
    approver = login("naga-approver")
    approver.goto(f"/rounds/{round.pk}/")
    approver.locator("#assignments").get_by_role("link", name="Assign work").click()
    expect(approver.get_by_role("heading", level=1)).to_have_text("Who has what")
    approver.get_by_label("What").select_option("dimension:HC")
    approver.get_by_label("Who").select_option(label="naga-editor")
    approver.get_by_label("Due date").fill(due.isoformat())
    approver.get_by_role("button", name="Assign", exact=True).click()
    expect(approver.get_by_role("status").first).to_contain_text("HC is assigned to naga-editor.")
    row = approver.get_by_role("row").filter(has_text="whole dimension")
    expect(row).to_contain_text("naga-editor")
    expect(row).to_contain_text("0 of 8 answered")
    assert_accessible(approver, "assignments page (approver)")
    assignment = Assignment.objects.get(round=round)
    assert (assignment.assignee, assignment.dimension.code, assignment.due_date) == (city.editor, "HC", due)

    # The colleague finds it on their home page.
    editor = login("naga-editor")
    assigned = editor.locator("#assigned-to-you")
    expect(assigned.get_by_role("heading", name="Assigned to you")).to_be_visible()
    mine = assigned.get_by_role("row").filter(has_text="Horizontal coherence")
    expect(mine).to_contain_text("Naga 2025")
    expect(mine).to_contain_text("0 of 8 answered")
    assert_accessible(editor, "home page (assigned to you)")

    # They download the workbook, fill in HC offline and upload it.
    editor.goto(f"/rounds/{round.pk}/")
    offline = editor.locator("#workbook")
    with editor.expect_download() as download_info:
        offline.get_by_role("link", name="Download the workbook (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    _fill_in_offline(path)
    offline.get_by_role("link", name="Upload a filled-in workbook").click()
    expect(editor.get_by_role("heading", level=1)).to_have_text("Upload a filled-in workbook")
    assert_accessible(editor, "workbook upload page")
    editor.get_by_label("Filled-in workbook (XLSX)").set_input_files(path)
    editor.get_by_role("button", name="Check the workbook").click()

    # The dry run lists every change; nothing is saved until they confirm.
    expect(editor.get_by_role("heading", level=1)).to_have_text("Check of the uploaded workbook")
    expect(editor.get_by_role("heading", name="8 indicators changed")).to_be_visible()
    changes = editor.get_by_role("table")
    expect(changes.get_by_role("row").filter(has_text="HC-01")).to_contain_text("3 — Operational")
    expect(changes.get_by_role("row").filter(has_text="HC-08")).to_contain_text("0 — ")
    expect(changes).to_contain_text("Offline: the HC-04 minutes of the coordination committee.")
    assert not Answer.objects.filter(round=round).exists()
    assert_accessible(editor, "workbook dry run")
    editor.get_by_role("button", name="Confirm and save these changes").click()
    expect(editor.get_by_role("status").first).to_contain_text("The workbook was applied: 8 answers changed.")

    saved = {a.indicator.code: a for a in Answer.objects.filter(round=round).select_related("indicator")}
    assert {code: saved[code].level for code in HC} == HC_LEVELS
    assert saved["HC-04"].justification == "Offline: the HC-04 minutes of the coordination committee."
    editor.goto(f"/rounds/{round.pk}/dimensions/HC/")
    for code, level in HC_LEVELS.items():
        expect(editor.locator(f"#{code}-level-{level}")).to_be_checked()
        expect(editor.locator(f"#{code}-justification")).to_have_value(
            f"Offline: the {code} minutes of the coordination committee."
        )
    # A level that needs evidence says so while filling in.
    expect(editor.locator("#hints-HC-01")).to_contain_text("Level 3 needs evidence")
    editor.goto("/")
    expect(
        editor.locator("#assigned-to-you").get_by_role("row").filter(has_text="Horizontal coherence")
    ).to_contain_text("8 of 8 answered")

    _complete_and_submit(round, city)

    # The reviewer reads the round grouped by dimension, each with its score.
    reviewer = login("rita")
    reviewer.goto(f"/rounds/{round.pk}/review/")
    expect(reviewer.get_by_role("heading", level=2, name="HC · Horizontal coherence")).to_be_visible()
    hc_section = reviewer.locator("section").filter(has=reviewer.locator("#dimension-HC"))
    expect(hc_section).to_contain_text("Self-assessed score:")
    expect(hc_section).to_contain_text("8 of 8 answered")
    expect(reviewer.locator("main")).not_to_contain_text("{#")  # no template comment shows as text
    assert_accessible(reviewer, "review page (grouped, submitted)")

    # The claims of operational practice, one after the other with j and k.
    reviewer.get_by_role("link", name=re.compile(r"^Level 3 or above")).click()
    expect(reviewer).to_have_url(re.compile(r"\?show=high$"))
    expect(reviewer.locator("article.review-indicator")).to_have_count(2)
    expect(reviewer.get_by_role("link", name=re.compile(r"^Level 3 or above"))).to_have_attribute(
        "aria-current", "page"
    )
    reviewer.locator("h1").click()  # outside the indicators the letters are no shortcuts (WCAG 2.1.4)
    reviewer.keyboard.press("j")
    expect(reviewer.locator("#indicator-HC-01")).not_to_be_focused()
    reviewer.locator("#indicator-HC-01").get_by_role("link", name="Next indicator (HC-04)").focus()
    reviewer.keyboard.press("j")
    expect(reviewer.locator("#indicator-HC-04")).to_be_focused()
    expect(reviewer).to_have_url(re.compile(r"#indicator-HC-04$"))
    reviewer.keyboard.press("k")
    expect(reviewer.locator("#indicator-HC-01")).to_be_focused()

    # A question in the indicator's thread, to the colleague who answered it.
    card = reviewer.locator("#indicator-HC-01")
    card.get_by_text("Comment on HC-01").click()  # a disclosure while the indicator has no thread
    card.get_by_label("Start a thread").fill("@naga-editor Which departments sit on the committee?")
    card.get_by_label("Start a thread").press("j")  # typed in the field: the focus stays there
    expect(card.get_by_label("Start a thread")).to_be_focused()
    card.get_by_label("Start a thread").fill("@naga-editor Which departments sit on the committee?")
    card.get_by_role("button", name="Post comment").click()
    expect(card.locator(".thread-comments")).to_contain_text("Which departments sit on the committee?")
    expect(card.locator(".thread-open")).to_contain_text("Mentioned: @naga-editor")
    expect(card.get_by_label("Answer in the open thread")).to_have_value("")
    comment = Comment.objects.get(thread__round=round)
    assert list(comment.mentions.all()) == [city.editor]

    # The city answers on the form page, where the answers are read-only now.
    editor.goto(f"/rounds/{round.pk}/dimensions/HC/#indicator-HC-01")
    form_card = editor.locator("#indicator-HC-01")
    expect(form_card.locator(".thread-comments")).to_contain_text("Which departments sit on the committee?")
    expect(form_card.locator("input[type=radio]")).to_have_count(0)
    form_card.get_by_label("Answer in the open thread").fill("Planning, finance and the environment department.")
    form_card.get_by_role("button", name="Post comment").click()
    expect(form_card.locator(".thread-comment")).to_have_count(2)
    expect(form_card.locator(".thread-comments")).to_contain_text("Planning, finance and the environment department.")
    assert_accessible(editor, "form page with a thread")
    editor.goto(f"/rounds/{round.pk}/")
    open_threads = editor.locator("#threads")
    expect(open_threads.get_by_role("link", name=re.compile("HC-01"))).to_be_visible()
    expect(open_threads).to_contain_text("Planning, finance and the environment department.")
    assert_accessible(editor, "round page (open thread, submitted)")

    # The reviewer reads the answer and validates the whole round with a note.
    reviewer.goto(f"/rounds/{round.pk}/review/")
    expect(reviewer.locator("#indicator-HC-01 .thread-comments")).to_contain_text("Planning, finance")
    reviewer.get_by_label("Note for the city (kept in the history)").fill("Validated: the committee minutes hold up.")
    # A return with nothing ticked is refused: the error summary takes the focus, the note stays in its box.
    reviewer.get_by_role("button", name="Return the ticked indicators").click()
    expect(reviewer.locator("#review-errors")).to_be_focused()
    expect(reviewer.locator("#review-errors")).to_contain_text("Tick at least one indicator to return.")
    expect(reviewer.get_by_label("Note for the city (kept in the history)")).to_have_value(
        "Validated: the committee minutes hold up."
    )
    reviewer.get_by_role("button", name="Validate the round").click()
    expect(reviewer.get_by_role("status").first).to_contain_text("The round is validated.")

    round.refresh_from_db()
    assert round.status == Round.Status.VALIDATED
    assert StatusEvent.objects.get(round=round, to_status=Round.Status.VALIDATED).note == (
        "Validated: the committee minutes hold up."
    )
    editor.goto(f"/rounds/{round.pk}/history/")
    events = editor.get_by_role("region", name="Status changes")
    expect(events).to_contain_text("Validated: the committee minutes hold up.")
    expect(editor.locator("#comments")).to_contain_text("Which departments sit on the committee?")
