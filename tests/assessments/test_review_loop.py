"""The review loop tells the truth: a return comment stays with its round of review, the round page
says what the status asks for now, and the reviewer sees which returned indicators came back unchanged.

Quito's round is submitted with every indicator at level 2; the reviewer returns HC-01 ("The PDF
attached is empty") and HC-02; the city changes HC-01 only and resubmits.
"""

import re

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Answer, ReviewItem, Round
from indicators.models import Indicator
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db

EMPTY_PDF = "The PDF attached is empty."
WHICH_MINISTRY = "Which ministry takes part?"


def _return(round: Round, reviewer, comments: dict[str, str]) -> Round:
    codes = {i.code: i.pk for i in services.round_indicators(round)}
    decisions = {codes[code]: services.Decision(comment=text, send_back=True) for code, text in comments.items()}
    return services.round_review(round=round, actor=reviewer, decisions=decisions, action=services.ReviewAction.RETURN)


@pytest.fixture
def resubmitted(submitted, quito, reviewer) -> Round:
    """Returned with two comments; HC-01 fixed, HC-02 left as it was; submitted again."""
    _return(submitted, reviewer, {"HC-01": EMPTY_PDF, "HC-02": WHICH_MINISTRY})
    hc01 = Answer.objects.get(round=submitted, indicator__code="HC-01")
    answer(submitted, "HC-01", quito.editor, level=3, justification="The signed plan is attached now.")
    assert Answer.objects.get(pk=hc01.pk).revision > hc01.revision
    return services.round_submit(round=submitted, actor=quito.approver)


def _validate(round: Round, reviewer, comments: dict[str, str] | None = None) -> Round:
    codes = {i.code: i.pk for i in services.round_indicators(round)}
    decisions = {codes[code]: services.Decision(comment=text) for code, text in (comments or {}).items()}
    return services.round_review(
        round=round, actor=reviewer, decisions=decisions, action=services.ReviewAction.VALIDATE
    )


def _page(client, user, name: str, round: Round, *args) -> str:
    client.force_login(user)
    response = client.get(reverse(name, args=[round.pk, *args]))
    assert response.status_code == 200
    return response.content.decode()


THREADS = re.compile(r'<section[^>]*\bid="threads(?:-[A-Z0-9-]+)?"[^>]*>.*?</section>', re.S)


def _threads(page: str) -> str:
    """The comment threads of a page (the form's under each card, the round page's list): history, not an alert."""
    return "".join(match.group(0) for match in THREADS.finditer(page))


def _outside_threads(page: str) -> str:
    """The page without its comment threads: what it says as the reviewer's current word."""
    return THREADS.sub("", page)


# --- a return comment stays with its round of review -----------------------------------------------


def test_a_validated_report_does_not_print_a_return_comment_the_city_answered(client, resubmitted, quito, reviewer):
    _validate(resubmitted, reviewer, {"IN-01": "Only a draft strategy."})

    report = client_preview(client, quito.editor, resubmitted)

    assert EMPTY_PDF not in report and WHICH_MINISTRY not in report
    assert "Only a draft strategy." in report  # a comment of the validating review is the reviewer's word


def test_a_report_while_returned_still_shows_what_to_change(client, submitted, quito, reviewer):
    _return(submitted, reviewer, {"HC-01": EMPTY_PDF})

    assert EMPTY_PDF in client_preview(client, quito.editor, submitted)


def client_preview(client, user, round: Round) -> str:
    client.force_login(user)
    response = client.get(reverse("report_preview", args=[round.pk]), {"language": "en"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_return_comment_is_kept_with_the_review_that_made_it(resubmitted, quito, reviewer):
    item = ReviewItem.objects.get(round=resubmitted, indicator__code="HC-01")
    assert (item.comment, item.returned_comment, item.returned_cycle) == ("", EMPTY_PDF, 1)

    # The second review returns HC-01 again: that return is the second review's.
    _return(resubmitted, reviewer, {"HC-01": "Still no signature."})
    item.refresh_from_db()
    assert (item.comment, item.returned_comment, item.returned_cycle) == (
        "Still no signature.",
        "Still no signature.",
        2,
    )
    # HC-02, not returned this time, keeps the first review's return as history.
    hc02 = ReviewItem.objects.get(round=resubmitted, indicator__code="HC-02")
    assert (hc02.returned, hc02.returned_comment, hc02.returned_cycle) == (False, WHICH_MINISTRY, 1)


def test_a_comment_on_an_indicator_not_returned_stays_the_reviewers_word(submitted, quito, reviewer):
    codes = {i.code: i.pk for i in services.round_indicators(submitted)}
    services.round_review(
        round=submitted,
        actor=reviewer,
        decisions={
            codes["HC-01"]: services.Decision(comment=EMPTY_PDF, send_back=True),
            codes["VC-01"]: services.Decision(comment="Good minutes."),
        },
        action=services.ReviewAction.RETURN,
    )
    services.round_submit(round=submitted, actor=quito.approver)

    assert ReviewItem.objects.get(round=submitted, indicator__code="VC-01").comment == "Good minutes."


def test_the_review_page_shows_the_old_return_comment_apart_and_does_not_prefill_it(client, resubmitted, reviewer):
    page = _page(client, reviewer, "round_review", resubmitted)

    assert f"Your comment when you returned it (review 1):</strong> {EMPTY_PDF}" in page
    textarea = re.search(r'<textarea name="HC-01-comment"[^>]*>(.*?)</textarea>', page, re.S)
    assert textarea and textarea.group(1).strip() == ""


# --- the round page's banner follows the status ----------------------------------------------------


def test_the_round_page_asks_for_changes_only_while_the_round_is_returned(client, submitted, quito, reviewer):
    _return(submitted, reviewer, {"HC-01": EMPTY_PDF})
    returned = _page(client, quito.editor, "round_detail", submitted)
    assert "Returned by the reviewer: change these indicators" in returned and EMPTY_PDF in returned

    services.round_submit(round=submitted, actor=quito.approver)
    locked = _page(client, quito.editor, "round_detail", submitted)
    assert "Returned by the reviewer" not in locked and EMPTY_PDF not in _outside_threads(locked)
    assert "Resubmitted after the reviewer's return: the round is locked until the reviewer answers." in locked
    # The return still opened a thread, until someone resolves it: listed as the reviewer's last word in it.
    assert re.search(rf"rita-reviewer wrote \(1 comment\):\s*“{re.escape(EMPTY_PDF)}”", _threads(locked))

    _validate(submitted, reviewer)
    validated = _page(client, quito.editor, "round_detail", submitted)
    assert "Returned by the reviewer" not in validated and "locked until the reviewer answers" not in validated


def _return_in_thread(threads: str, comment: str, cycle: int) -> bool:
    """Whether ``comment`` is in the threads as what it is: the return of review ``cycle``, a past message."""
    pattern = (
        rf"review {cycle}\s*<span class=\"badge text-bg-warning\">Returned with this comment</span>\s*</p>\s*"
        rf"<div class=\"thread-body\"><p>{re.escape(comment)}</p></div>"
    )
    return re.search(pattern, threads) is not None


def test_the_form_no_longer_asks_to_change_a_returned_indicator_once_resubmitted(client, resubmitted, quito):
    page = _page(client, quito.editor, "round_dimension", resubmitted, "HC")

    # Not the reviewer's current word: no alert on the card, the comment nowhere outside the threads …
    assert "Returned by the reviewer:" not in page and "Reviewer's comment:" not in page
    assert EMPTY_PDF not in _outside_threads(page)
    # … but kept in the indicator's thread as the first review's return.
    assert _return_in_thread(_threads(page), EMPTY_PDF, cycle=1)


def test_a_validated_round_shows_no_stale_return_comment_on_the_form(client, resubmitted, quito, reviewer):
    _validate(resubmitted, reviewer)

    page = _page(client, quito.editor, "round_dimension", resubmitted, "HC")

    assert "Returned by the reviewer:" not in page and "Reviewer's comment:" not in page
    outside = _outside_threads(page)
    assert EMPTY_PDF not in outside and WHICH_MINISTRY not in outside
    threads = _threads(page)
    assert _return_in_thread(threads, EMPTY_PDF, cycle=1) and _return_in_thread(threads, WHICH_MINISTRY, cycle=1)
    assert "<form" not in threads  # a validated round's threads are history only


# --- an indicator resubmitted unchanged is marked for the reviewer ---------------------------------


def test_an_indicator_resubmitted_unchanged_is_marked_for_the_reviewer(client, resubmitted, reviewer):
    page = _page(client, reviewer, "round_review", resubmitted)

    summary = page[page.index('id="resubmitted-heading"') : page.index("</section>", page.index("resubmitted-heading"))]
    assert re.search(r"Resubmitted unchanged:</strong>\s*<a href=\"#indicator-HC-02\">HC-02</a>", summary)
    assert "HC-01" in summary.split("Changed:")[1]

    def card(code: str) -> str:
        start = page.index(f'<article id="indicator-{code}"')
        return page[start : page.index("</article>", start)]

    assert "Resubmitted unchanged" in card("HC-02") and "border-warning" in card("HC-02")
    assert "Resubmitted unchanged" not in card("HC-01")
    assert "Resubmitted unchanged" not in card("HC-03")  # never returned


def test_the_form_and_the_service_refuse_a_silent_return_with_the_same_words(quito, reviewer):
    from assessments.forms import ReviewDecisionForm

    round = services.round_create(authority=quito.authority, period="2031", actor=quito.approver)
    answer_everything(round, quito.editor)
    round = services.round_submit(round=round, actor=quito.approver)
    hc02 = Indicator.objects.get(version=round.version, code="HC-02")
    form = ReviewDecisionForm({"HC-02-send_back": "on", "HC-02-comment": "  "}, prefix="HC-02", returning=True)

    assert not form.is_valid()
    with pytest.raises(services.WorkflowError) as refused:
        services.round_review(
            round=round,
            actor=reviewer,
            decisions={hc02.pk: services.Decision(comment="  ", send_back=True)},
            action=services.ReviewAction.RETURN,
        )
    assert form.errors["comment"] == refused.value.messages == [services.return_comment_missing(["HC-02"])]
    assert form.errors["comment"] == ["HC-02: a returned indicator needs a comment saying what to change."]
    # Saving a ticked indicator without a comment is no return: nothing to refuse.
    assert ReviewDecisionForm({"HC-02-send_back": "on"}, prefix="HC-02").is_valid()
