"""The perception survey in a browser: a respondent on a phone answers in French with the keyboard alone; the
survey's pages (questions, errors, thanks, closed, the approver's page and the results) pass axe.

Screenshots of the phone pages (EN, ES, FR), the approver's page and the results go to test-results/.
"""

import pytest
from playwright.sync_api import expect

from participation import services
from participation.models import SurveyResponse
from tests.browser.conftest import RESULTS, assert_accessible
from tests.participation.factories import SurveyFactory, SurveyResponseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
CODES = ["HC-01", "SP-01", "SP-02"]  # in catalogue order: HC comes first
CHOSEN = {"HC-01": 3, "SP-01": 1, "SP-02": None}  # None: "I don't know"


@pytest.fixture
def survey(draft):
    return SurveyFactory(round=draft, indicators=CODES)


@pytest.fixture
def phone(browser, live_server, _pages):
    """A phone-sized browser without an account; returns a new page."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True)

    def open_page():
        page = context.new_page()
        page.set_default_timeout(20_000)
        _pages.append(page)
        return page

    yield open_page
    context.close()


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)


def focused(page) -> dict:
    return page.evaluate(
        "() => ({tag: document.activeElement.tagName, name: document.activeElement.name || '',"
        " id: document.activeElement.id})"
    )


def tab_until(page, predicate, limit: int = 30) -> dict:
    """Press Tab until the focused element satisfies ``predicate``; return it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if predicate(element):
            return element
    pytest.fail(f"Tab never reached the element looked for in {limit} presses")


def fits_the_screen(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


def test_a_respondent_answers_on_a_phone_in_french_with_the_keyboard_alone(phone, survey):
    page = phone()
    page.goto(f"/survey/{survey.token}/?lang=fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("legend").first).to_contain_text("Les services de la commune se réunissent-ils")
    fits_the_screen(page)
    shoot(page, "survey-phone-fr")
    assert_accessible(page, "survey: questions (phone, fr)")

    for code in CODES:
        # Tab enters the radio group on its first answer; Space chooses it, the down arrow moves and chooses.
        tab_until(page, lambda element, code=code: element["name"] == f"level-{code}")
        level = CHOSEN[code]
        page.keyboard.press("Space")
        for _ in range(5 if level is None else level):  # "I don't know" comes after level 4
            page.keyboard.press("ArrowDown")
        expect(page.locator(f"#id_level-{code}_{5 if level is None else level}")).to_be_checked()
        page.keyboard.press("Tab")
        assert focused(page)["id"] == f"id_comment-{code}"
        if code == "SP-01":
            page.keyboard.type("Il faudrait des interprètes au guichet.")

    tab_until(page, lambda element: element["tag"] == "BUTTON")
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/survey/{survey.token}/thanks/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")  # the session kept the language
    fits_the_screen(page)
    assert_accessible(page, "survey: thanks (phone, fr)")
    response = SurveyResponse.objects.get(survey=survey)
    assert response.language == "fr"
    stored = {a.indicator.code: (a.level, a.comment) for a in response.answers.select_related("indicator")}
    assert stored == {
        "HC-01": (3, ""),
        "SP-01": (1, "Il faudrait des interprètes au guichet."),
        "SP-02": (None, ""),
    }
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert cookies <= {"sessionid", "csrftoken"}

    page.goto(f"/survey/{survey.token}/")  # the respondent session keeps the language they chose
    expect(page.get_by_role("status")).to_contain_text("Vous avez déjà répondu à cette enquête")


def test_missing_answers_are_summarised_with_links_that_lead_to_each_question(phone, survey):
    page = phone()
    page.goto(f"/survey/{survey.token}/")
    page.locator("#id_level-SP-01_2").check()
    page.get_by_role("button", name="Send my answers").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()  # announced and reached first (autofocus)
    expect(summary.get_by_role("link")).to_have_count(2)
    assert_accessible(page, "survey: error summary (phone)")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('#')[0]}#id_level-HC-01_0")
    expect(page.locator("#id_level-SP-01_2")).to_be_checked()  # the answer given is kept
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_questions_fit_a_phone_in_english_and_spanish(phone, survey, language):
    page = phone()
    page.goto(f"/survey/{survey.token}/?lang={language}")

    expect(page.locator("html")).to_have_attribute("lang", language)
    fits_the_screen(page)
    shoot(page, f"survey-phone-{language}")


def test_a_closed_survey_says_so_on_a_phone(phone, survey, quito):
    services.survey_close(survey=survey, actor=quito.approver)
    page = phone()

    response = page.goto(f"/survey/{survey.token}/")

    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This survey is over")
    fits_the_screen(page)
    shoot(page, "survey-phone-closed")
    assert_accessible(page, "survey: closed (410)")


def test_the_approver_opens_a_survey_and_reads_its_results(login, draft, quito):
    page = login("quito-approver")
    page.goto(f"/participation/rounds/{draft.pk}/survey/")
    expect(page.get_by_label("HC-01", exact=False)).to_be_checked()
    assert_accessible(page, "survey: open form")
    page.get_by_role("button", name="Open the survey").click()

    link = page.locator("#survey-link")
    expect(link).to_have_value(f"{page.url.split('/participation')[0]}/survey/{draft.survey.token}/")
    copy = page.get_by_role("button", name="Copy the link")
    expect(copy).to_be_visible()  # JavaScript shows it; without, the field is there to select
    copy.click()
    expect(page.locator("#survey-link-status")).to_have_text("The link is copied.")
    shoot(page, "survey-manage")
    assert_accessible(page, "survey: manage")

    for n in range(6):
        SurveyResponseFactory(
            survey=draft.survey, answers={"SP-01": (n % 5, f"Comment {n}"), "HC-01": 2, "HC-02": None}
        )
    page.get_by_role("link", name="See the results").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("What stakeholders think")
    expect(page.locator("#indicator-SP-01")).to_contain_text("How respondents answered")
    expect(page.locator("#indicator-SP-03")).to_contain_text("Fewer than 5 responses")
    shoot(page, "survey-results")
    assert_accessible(page, "survey: results")
