"""Autosave in Chromium when the server or the network fails: nothing is lost, and the page never lies."""

import re

import pytest
from playwright.sync_api import expect

from assessments import services
from assessments.models import Answer, AnswerRevision, Round
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWER_HC01 = re.compile(r"/rounds/\d+/answers/HC-01/$")


@pytest.fixture
def round(quito):
    return services.round_create(authority=quito.authority, period="2025", actor=quito.approver)


@pytest.fixture
def form_page(login, round):
    """The editor's page of dimension HC, its retries made quick; returns (page, open) to set the pace first."""

    def open_form(retries: int = 3, backoff: int = 1000):
        page = login("quito-editor")
        # The pace of static/js/autosave.js: a second before the first retry leaves time to see the
        # message; a short pause after typing keeps the tests quick.
        page.add_init_script(f"window.coherenceAutosave = {{retries: {retries}, backoff: {backoff}, debounce: 300}};")
        page.goto(f"/rounds/{round.pk}/dimensions/HC/")
        return page, page.locator("#indicator-HC-01")

    return open_form


def saved_hc01(round) -> Answer | None:
    return Answer.objects.filter(round=round, indicator__code="HC-01").first()


def test_two_quick_edits_both_end_in_the_database(form_page, round):
    page, card = form_page()
    card.locator("#HC-01-level-1").check()
    card.locator("#HC-01-level-3").check()  # while the first save is on its way
    # Then text pasted in: an input event, no key pressed, and the field keeps the focus.
    card.get_by_label("Justification").fill("Both edits are kept.")

    wait_until(
        lambda: (a := saved_hc01(round)) and (a.level, a.justification) == (3, "Both edits are kept."),
        15,
        "both edits in the database",
    )
    expect(card.get_by_role("status")).to_contain_text("Saved at")
    expect(card.get_by_text("A colleague changed this answer")).to_have_count(0)
    # The last save is in the database a moment before its answer reaches the page: wait for the page to
    # hold the revision it made, or the next edit would be taken for a conflict.
    expect(page.locator("#revision-HC-01")).to_have_value(str(saved_hc01(round).revision))


@pytest.mark.parametrize("failure", ["server error", "dropped connection"])
def test_a_failed_save_says_not_saved_and_the_retry_saves_it(form_page, round, failure):
    page, card = form_page()
    bodies = []

    def fail_once(route):
        bodies.append(route.request.post_data)
        if len(bodies) > 1:
            route.continue_()
        elif failure == "server error":
            route.fulfill(status=500, content_type="text/html", body="<h1>Server Error (500)</h1>")
        else:
            route.abort("connectionreset")

    page.route(ANSWER_HC01, fail_once)
    card.locator("#HC-01-level-2").check()

    expect(card.get_by_role("status")).to_contain_text("Not saved — retrying")
    expect(card.get_by_role("status")).to_contain_text("Saved at")
    assert saved_hc01(round).level == 2
    assert len(bodies) == 2 and bodies[0] == bodies[1], "the retry sends the same save, with the same save id"


def test_a_save_whose_response_was_lost_is_acknowledged_not_shown_as_a_conflict(form_page, round):
    page, card = form_page()
    answers = []

    def lose_the_first_response(route):
        if answers:
            route.continue_()
            return
        answers.append(route.fetch())  # the server saves it...
        route.abort("connectionreset")  # ...and its answer never reaches the page

    page.route(ANSWER_HC01, lose_the_first_response)
    card.locator("#HC-01-level-2").check()

    expect(card.get_by_role("status")).to_contain_text("Saved at")
    assert answers[0].status == 200
    expect(card.get_by_text("A colleague changed this answer")).to_have_count(0)
    answer = saved_hc01(round)
    assert (answer.level, answer.revision) == (2, 1)
    assert AnswerRevision.objects.filter(answer=answer).count() == 1
    # The next edit builds on the acknowledged revision: no conflict with one's own save.
    card.get_by_label("Justification").fill("Then a second edit.")
    card.get_by_role("button", name="Save now").click()
    wait_until(lambda: saved_hc01(round).justification == "Then a second edit.", 15, "the second edit saved")
    expect(card.get_by_text("A colleague changed this answer")).to_have_count(0)


def test_after_the_last_retry_it_says_plainly_that_the_answer_is_not_saved(form_page, round):
    page, card = form_page(retries=2, backoff=100)
    tries = []
    page.route(ANSWER_HC01, lambda route: (tries.append(1), route.abort("internetdisconnected")))
    card.get_by_label("Justification").fill("Typed while offline.")
    card.get_by_role("button", name="Save now").click()

    expect(card.get_by_role("status")).to_contain_text("Not saved after several tries")
    assert len(tries) == 3  # the first try and two retries
    assert saved_hc01(round) is None

    # Leaving now asks first (the user stays).
    with page.expect_event("dialog") as warning:
        page.close(run_before_unload=True)
    assert warning.value.type == "beforeunload"
    warning.value.dismiss()

    page.unroute(ANSWER_HC01)
    card.get_by_role("button", name="Try again").click()
    expect(card.get_by_role("status")).to_contain_text("Saved at")
    assert saved_hc01(round).justification == "Typed while offline."
    with page.expect_event("close", timeout=10_000):  # saved: it closes without asking
        page.close(run_before_unload=True)


def test_a_conflict_and_a_refusal_are_shown_as_the_server_says_and_not_retried(form_page, round, quito):
    page, card = form_page(retries=3, backoff=100)
    requests = []
    page.on("request", lambda request: ANSWER_HC01.search(request.url) and requests.append(request))
    indicator = round.version.indicators.get(code="HC-01")
    services.answer_save(  # a colleague saves after the page was loaded
        round=round,
        indicator=indicator,
        actor=quito.approver,
        response="level",
        level=1,
        justification="Theirs",
        base_revision=0,
    )

    card.locator("#HC-01-level-4").check()
    conflict = card.get_by_role("alert")
    expect(conflict).to_contain_text("A colleague changed this answer")
    page.wait_for_timeout(500)  # longer than the retries would take
    assert len(requests) == 1
    card.get_by_role("button", name="Keep my version").click()
    expect(card.get_by_role("status")).to_contain_text("Saved at")
    assert (saved_hc01(round).level, saved_hc01(round).revision) == (4, 2)

    Round.objects.filter(pk=round.pk).update(status=Round.Status.SUBMITTED)  # the approver submitted it meanwhile
    card.locator("#HC-01-level-2").check()
    expect(card.get_by_role("status")).to_contain_text("Not saved: You cannot change this round now.")
    page.wait_for_timeout(500)
    assert len(requests) == 3
    assert saved_hc01(round).level == 4


def test_a_save_after_the_session_ended_says_signed_out_and_saves_once_logged_in_again(form_page, round, live_server):
    page, card = form_page()
    session = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    page.context.clear_cookies(name="sessionid")  # the session expired, or ended in another tab
    card.get_by_label("Justification").fill("Written while signed out.")

    expect(card.get_by_role("status")).to_contain_text("you are signed out")
    assert saved_hc01(round) is None
    # Logging in again in another tab gives a new session and rotates the CSRF cookie.
    other = page.context.new_page()
    other.goto(f"{live_server.url}/accounts/login/")
    other.get_by_label("Username").fill("quito-editor")
    other.get_by_label("Password").fill("pw-for-tests-only")
    other.locator("main").get_by_role("button", name="Log in").click()
    other.wait_for_url(f"{live_server.url}/")
    assert [c for c in page.context.cookies() if c["name"] == "sessionid"] != session
    card.get_by_role("button", name="Try again").click()

    wait_until(
        lambda: (a := saved_hc01(round)) and a.justification == "Written while signed out.", 15, "the saved answer"
    )
    expect(card.get_by_role("status")).to_contain_text("Saved at")
