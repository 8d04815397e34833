"""Voices beside the city's own, end to end in Chromium (issue 13).

The approver records a consultation with a migrant association on SP-01 and opens a perception survey; five
respondents without an account answer it on a phone (one in Spanish, one with the keyboard alone); the approver
submits the round; the reviewer sees, beside SP-01, the consultation and the stakeholders' median next to the
city's level, and the survey's results; the round's PDF holds "Who took part" and the perception gap.

Every new page the journey visits passes axe. The PDF and PNGs of its participation pages go to
test-results/participation-journey/.
"""

import datetime
import re
import subprocess

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from assessments.models import Round
from participation import services
from participation.models import Consultation, Stakeholder, Survey, SurveyAnswer, SurveyResponse
from tests.browser.conftest import RESULTS, assert_accessible
from tests.world import answer_everything

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
OUT = RESULTS / "participation-journey"
ASSOCIATION = "Asociación de Venezolanos en Quito"
UNIVERSITY = "Universidad Central, migration studies"
SUMMARY = "Participants asked for interpreters at the one-stop shop and for a say in the council's plans."
CITY_LEVEL = 3
# SP-01, as the five respondents rate it: median 4, one above the city's 3.
SP01_LEVELS = [4, 3, 4, 2, 4]
DONT_KNOW = (2, "HC-02")  # respondent 2 does not know HC-02: it is left with 4 levels, below the threshold
COMMENTS = {
    0: ("SP-01", "The association was asked before the plan, for the first time."),
    1: ("SP-01", "Hearings are in Spanish only."),
}
KEYBOARD = 1  # this respondent uses Tab, Space, the arrows and Enter, nothing else
SPANISH = 4  # this respondent opens the link with ?lang=es
SPANISH_HC01 = "¿Las dependencias del gobierno local se reúnen periódicamente"
RENDERING = 120_000  # ms: WeasyPrint and the charts, in the live server (tasks run in-process)


@pytest.fixture
def world(quito, draft):
    """Quito's 2025 draft, answered everywhere at level 3; its register: a migrant association and a university."""
    answer_everything(draft, quito.editor, level=CITY_LEVEL)
    for name, category in (
        (ASSOCIATION, Stakeholder.Category.MIGRANT_ASSOCIATION),
        (UNIVERSITY, Stakeholder.Category.ACADEMIA),
    ):
        services.stakeholder_save(authority=quito.authority, actor=quito.approver, name=name, category=category)
    return draft


@pytest.fixture
def respondent(browser, live_server, _pages):
    """A phone without an account and with fresh cookies, for each call: returns its page."""
    contexts = []

    def open_phone():
        context = browser.new_context(
            viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True, locale="en-GB"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        _pages.append(page)
        return page

    yield open_phone
    for context in contexts:
        context.close()


def level_of(respondent: int, number: int, code: str) -> int | None:
    """The level respondent ``respondent`` gives question ``number`` (0-based); None is "I don't know"."""
    if code == "SP-01":
        return SP01_LEVELS[respondent]
    if (respondent, code) == DONT_KNOW:
        return None
    return (respondent + number) % 5  # over the five respondents, every level once: median 2


def field(page, label: str):
    """The form field labelled ``label`` (a required one's label ends with crispy's asterisk)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def shoot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def fits_the_screen(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


def focused(page) -> dict:
    return page.evaluate(
        "() => ({tag: document.activeElement.tagName, name: document.activeElement.name || '',"
        " id: document.activeElement.id})"
    )


def tab_until(page, predicate, limit: int = 40) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if predicate(element):
            return element
    pytest.fail(f"Tab never reached the element looked for in {limit} presses")


def answer_with_touch(page, number: int, codes: list[str]) -> None:
    """Answer every question by tapping its answer (the radios in the order of the scale, then "I don't know")."""
    for n, code in enumerate(codes):
        question = page.get_by_role("group", name=re.compile(rf"^{n + 1}\. "))
        level = level_of(number, n, code)
        choice = question.get_by_role("radio").nth(5 if level is None else level)
        choice.check()
        expect(choice).to_be_checked()
        if COMMENTS.get(number, (None,))[0] == code:
            question.get_by_label("Comment (optional)").fill(COMMENTS[number][1])
    page.get_by_role("button", name=re.compile("^(Send my answers|Enviar mis respuestas)$")).tap()


def answer_with_keyboard(page, number: int, codes: list[str]) -> None:
    """Tab into each question's radios, Space chooses the first, the down arrow moves on; Enter sends."""
    for n, code in enumerate(codes):
        tab_until(page, lambda element, code=code: element["name"] == f"level-{code}")
        level = level_of(number, n, code)
        page.keyboard.press("Space")
        for _ in range(5 if level is None else level):
            page.keyboard.press("ArrowDown")
        expect(page.locator(f"#id_level-{code}_{5 if level is None else level}")).to_be_checked()
        page.keyboard.press("Tab")
        assert focused(page)["id"] == f"id_comment-{code}"
        if COMMENTS.get(number, (None,))[0] == code:
            page.keyboard.type(COMMENTS[number][1])
    tab_until(page, lambda element: element["tag"] == "BUTTON")
    page.keyboard.press("Enter")


def pdftotext(path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(path) -> list[str]:
    """The text of each page of the PDF in reading order, runs of white space made single spaces."""
    return [" ".join(page.split()) for page in pdftotext(path).split("\f")]


def test_the_city_records_who_took_part_stakeholders_answer_on_phones_and_the_reviewer_and_the_pdf_show_both(
    login, respondent, world, reviewer, live_server
):
    round = world
    consulted_on = timezone.localdate() - datetime.timedelta(days=10)
    with translation.override("en"):
        consulted_on_text = date_format(consulted_on, "DATE_FORMAT")

    # 1. The approver records a consultation from the round page's "Who took part".
    approver = login("quito-approver")
    approver.goto(f"/rounds/{round.pk}/")
    who = approver.get_by_role("region", name="Who took part")
    expect(who).to_contain_text("No consultation recorded for this round yet.")
    stakeholders = approver.get_by_role("region", name="What stakeholders think")
    expect(stakeholders).to_contain_text("No perception survey was opened for this round.")
    assert_accessible(approver, "participation journey: round page (nothing recorded)")

    who.get_by_role("link", name="Record a consultation").click()
    expect(approver.get_by_role("heading", level=1)).to_have_text("Record a consultation")
    assert_accessible(approver, "participation journey: consultation form")
    field(approver, "Date").fill(consulted_on.isoformat())
    field(approver, "Method").select_option(label="Workshop")
    approver.get_by_label(f"{ASSOCIATION} (Migrant or diaspora association)").check()
    field(approver, "Number of participants").fill("18")
    field(approver, "Women").fill("10")
    field(approver, "Men").fill("8")
    field(approver, "Migrants or displaced persons").fill("14")
    field(approver, "Languages used").fill("Spanish, Kichwa")
    field(approver, "What was said").fill(SUMMARY)
    approver.get_by_label(re.compile(r"^SP-01 · ")).check()
    approver.get_by_role("button", name="Record the consultation").click()
    expect(approver.get_by_role("status").first).to_contain_text("The consultation is saved.")
    expect(approver.get_by_role("heading", level=1)).to_contain_text(f"Workshop of {consulted_on_text}")
    assert_accessible(approver, "participation journey: consultation detail")
    consultation = Consultation.objects.get(round=round)
    assert [g.name for g in consultation.groups.all()] == [ASSOCIATION]
    assert [i.code for i in consultation.indicators.all()] == ["SP-01"]
    assert (consultation.participants, consultation.women, consultation.men, consultation.migrants) == (18, 10, 8, 14)

    approver.goto(f"/rounds/{round.pk}/")
    who = approver.get_by_role("region", name="Who took part")
    expect(who).to_contain_text("Migrant or diaspora association: 1")
    expect(who).to_contain_text("Took part")
    assert_accessible(approver, "participation journey: round page (a consultation recorded)")
    who.get_by_role("link", name="See the consultations").click()
    expect(approver.get_by_role("heading", level=1)).to_have_text("Consultations of Quito, 2025")
    listed = approver.get_by_role("article", name=f"Workshop of {consulted_on_text}")
    expect(listed).to_contain_text(ASSOCIATION)
    expect(listed).to_contain_text("SP-01")
    expect(listed).to_contain_text(SUMMARY)
    expect(approver.get_by_text(UNIVERSITY)).to_have_count(0)  # in the register, not in this consultation
    assert_accessible(approver, "participation journey: consultation list")

    # 2. … and opens the perception survey from "What stakeholders think", keeping the default indicators.
    approver.goto(f"/rounds/{round.pk}/")
    approver.get_by_role("region", name="What stakeholders think").get_by_role(
        "link", name="Open a perception survey"
    ).click()
    expect(approver.get_by_role("heading", level=1)).to_contain_text("Perception survey")
    expect(approver.get_by_label(re.compile(r"^SP-01 · "))).to_be_checked()
    expect(approver.get_by_label(re.compile(r"^HC-01 · "))).to_be_checked()
    expect(approver.get_by_label(re.compile(r"^VC-01 · "))).not_to_be_checked()
    assert_accessible(approver, "participation journey: survey manage (not open)")
    approver.get_by_role("button", name="Open the survey").click()
    expect(approver.get_by_role("status").first).to_contain_text("The survey is open.")
    link = approver.get_by_label("Survey link").input_value()
    assert link.startswith(f"{live_server.url}/survey/")
    assert_accessible(approver, "participation journey: survey manage (open)")
    survey = Survey.objects.get(round=round)
    codes = [i.code for i in survey.indicators.order_by("dimension__order", "dimension__code", "order", "code")]
    assert codes == [f"HC-0{n}" for n in range(1, 9)] + [f"SP-0{n}" for n in range(1, 7)]

    # 3. Five respondents, each on a phone of their own; one in Spanish, one with the keyboard alone.
    for number in range(5):
        phone = respondent()
        phone.goto(link + ("?lang=es" if number == SPANISH else ""))
        if number == SPANISH:
            expect(phone.locator("html")).to_have_attribute("lang", "es")
            expect(phone.get_by_role("group", name=re.compile(r"^1\. "))).to_contain_text(SPANISH_HC01)
            expect(phone.get_by_role("button", name="Enviar mis respuestas")).to_be_visible()
        else:
            expect(phone.get_by_role("heading", level=1)).to_have_text("How far has Quito come? Your view")
        fits_the_screen(phone)
        if number == 0:
            shoot(phone, "survey-phone")
            assert_accessible(phone, "participation journey: public survey (phone)")
        if number == KEYBOARD:
            answer_with_keyboard(phone, number, codes)
        else:
            answer_with_touch(phone, number, codes)
        phone.wait_for_url("**/thanks/")
        expect(phone.get_by_role("status")).to_be_visible()
        if number == SPANISH:  # the language chosen with ?lang= stays for the thanks page
            expect(phone.locator("html")).to_have_attribute("lang", "es")
            expect(phone.get_by_role("status")).to_have_text("Sus respuestas están guardadas.")
        else:
            expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
            expect(phone.get_by_role("status")).to_have_text("Your answers are saved.")
        fits_the_screen(phone)
        if number == 0:
            shoot(phone, "survey-thanks-phone")
            assert_accessible(phone, "participation journey: survey thanks (phone)")
    responses = SurveyResponse.objects.filter(survey=survey)
    assert responses.count() == 5
    assert sorted(responses.values_list("language", flat=True)) == ["en", "en", "en", "en", "es"]
    answers = SurveyAnswer.objects.filter(response__survey=survey)
    assert answers.count() == 5 * len(codes)
    assert sorted(answers.filter(indicator__code="SP-01").values_list("level", flat=True)) == sorted(SP01_LEVELS)
    assert list(answers.filter(level__isnull=True).values_list("indicator__code", flat=True)) == [DONT_KNOW[1]]
    assert sorted(answers.exclude(comment="").values_list("comment", flat=True)) == sorted(
        comment for _code, comment in COMMENTS.values()
    )

    # 4. The approver submits the round.
    approver.goto(f"/rounds/{round.pk}/submit/")
    approver.get_by_role("button", name="Submit for review").click()
    expect(approver.get_by_role("status").first).to_contain_text("submitted for review")
    assert Round.objects.get(pk=round.pk).status == Round.Status.SUBMITTED

    # 5. The reviewer sees, beside SP-01, the consultation and the stakeholders' median next to the city's level.
    reviewer_page = login("rita-reviewer")
    reviewer_page.goto(f"/rounds/{round.pk}/review/")
    sp01 = reviewer_page.locator("#indicator-SP-01")
    consulted = sp01.get_by_role("region", name="Consultations on this indicator SP-01")
    expect(consulted.get_by_role("link", name=f"Workshop of {consulted_on_text}")).to_be_visible()
    expect(consulted).to_contain_text("participants: 18")
    expect(consulted).to_contain_text(ASSOCIATION)
    expect(consulted).to_contain_text(SUMMARY)
    perceived = sp01.get_by_role("region", name="What stakeholders think SP-01")
    expect(perceived).to_contain_text(re.compile(r"Stakeholders' median\s*4 \(levels given: 5\)"))
    expect(perceived).to_contain_text(re.compile(r"City's level\s*3"))
    expect(perceived).to_contain_text("Perceptions never change scores.")
    expect(
        reviewer_page.locator("#indicator-HC-01").get_by_role("region", name="What stakeholders think HC-01")
    ).to_contain_text("2 (levels given: 5)")
    expect(
        reviewer_page.locator("#indicator-HC-02").get_by_role("region", name="What stakeholders think HC-02")
    ).to_contain_text("Fewer than 5 responses (4 so far)")
    # Not surveyed, not consulted on: nothing of participation under VC-01.
    vc01 = reviewer_page.locator("#indicator-VC-01")
    expect(vc01.get_by_role("region", name="Comments VC-01")).to_be_visible()  # the card is there, with its threads
    participation = re.compile(r"^(Consultations on this indicator|What stakeholders think)")
    expect(vc01.get_by_role("region", name=participation)).to_have_count(0)
    assert_accessible(reviewer_page, "participation journey: review page")

    reviewer_page.goto(f"/rounds/{round.pk}/")
    expect(reviewer_page.get_by_role("region", name="Who took part")).to_contain_text("Took part")
    expect(reviewer_page.get_by_role("region", name="What stakeholders think")).to_contain_text("Responses: 5.")
    assert_accessible(reviewer_page, "participation journey: round page (reviewer, both sections filled)")
    reviewer_page.get_by_role("region", name="What stakeholders think").get_by_role(
        "link", name="See what stakeholders think"
    ).click()
    expect(reviewer_page.get_by_role("heading", level=1)).to_have_text("What stakeholders think: Quito · 2025")
    summary = reviewer_page.get_by_role("table", name="Summary: the city's level beside the stakeholders' median")
    expect(summary.get_by_role("row", name=re.compile(r"^SP-01 "))).to_have_text(
        re.compile(r"SP-01\s*3 · Operational\s*4\s*\+1\s*5")
    )
    expect(summary.get_by_role("row", name=re.compile(r"^HC-01 "))).to_have_text(
        re.compile(r"HC-01\s*3 · Operational\s*2\s*-1\s*5")
    )
    expect(summary.get_by_role("row", name=re.compile(r"^HC-02 "))).to_have_text(
        re.compile(r"HC-02\s*3 · Operational\s*too few\s*—\s*4")
    )
    card = reviewer_page.get_by_role("article", name=re.compile(r"^SP-01 "))
    bars = card.get_by_role("table", name="How respondents answered")
    expect(bars.get_by_role("row", name=re.compile(r"^4 · Institutionalised"))).to_contain_text("3 (60 %)")
    expect(bars.get_by_role("row", name=re.compile(r"^3 · Operational"))).to_contain_text("1 (20 %)")
    expect(bars.get_by_role("row", name=re.compile(r"^2 · Partial"))).to_contain_text("1 (20 %)")
    expect(bars.get_by_role("row", name=re.compile(r"^0 · Not in place"))).to_contain_text("0 (0 %)")
    for _code, comment in COMMENTS.values():
        expect(card).to_contain_text(comment)
    expect(card).to_contain_text("stakeholders see more than the city")
    expect(reviewer_page.get_by_role("article", name=re.compile(r"^HC-02 "))).to_contain_text(
        "Fewer than 5 responses: results are shown from 5 responses."
    )
    shoot(reviewer_page, "survey-results")
    assert_accessible(reviewer_page, "participation journey: survey results")

    # 6. The round's full report holds "Who took part" and the perception gap.
    approver.goto(f"/rounds/{round.pk}/")
    approver.get_by_label("Language of the report").select_option("en")
    expect(approver.get_by_role("radio", name="Full report (PDF)")).to_be_checked()
    approver.get_by_role("button", name="Prepare the document").click()
    download_link = approver.locator("#report-job").get_by_role("link", name="Download the PDF report")
    expect(download_link).to_be_visible(timeout=RENDERING)
    with approver.expect_download() as download_info:
        download_link.click()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "report.pdf"
    download_info.value.save_as(path)
    pages = pdf_pages(path)
    text = " ".join(pages)
    assert "Who took part The consultations the authority recorded for this round" in text
    section = text.split("Groups consulted, by category", 1)[1]
    assert ASSOCIATION in section
    assert "Migrant or diaspora association" in section
    assert "Spanish, Kichwa" in section
    assert "Perception gap" in section
    assert "perception survey (5 responses)" in section
    gap = section.split("Perception gap", 1)[1]
    # A row of the perception table, as laid out: the indicator, the city's level, the median, the responses.
    rows = [line.split() for line in pdftotext(path, "-layout").splitlines() if line.strip().startswith("SP-01 ")]
    assert ["3", "·", "Operational", "4", "5"] in [row[-5:] for row in rows], rows
    assert "Surveyed indicators left out, with fewer than 5 responses each: 1." in gap
    shown = [n for n, page in enumerate(pages, start=1) if "Who took part" in page or "Perception gap" in page]
    assert shown
    for stale in OUT.glob("report-*.png"):
        stale.unlink()
    for n in shown:  # report-NN.png: the pages to look at
        subprocess.run(
            ["pdftoppm", "-f", str(n), "-l", str(n), "-r", "80", "-png", str(path), str(OUT / "report")], check=True
        )
