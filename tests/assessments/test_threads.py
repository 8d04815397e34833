"""Comment threads per indicator: one open at a time, kept across review cycles, mentions that reach only
people who may see the round; the pages that show them (form, round page, history) with and without htmx.

Quito's round has an editor and an approver; Lima is another city whose people must never reach Quito's threads.
"""

import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from assessments import access, services
from assessments.models import Comment, Membership, Round, Thread
from indicators.models import Indicator
from outbox.models import Mail
from tests.factories import MembershipFactory, UserFactory
from tests.world import answer_everything, make_city

pytestmark = pytest.mark.django_db

EMPTY_PDF = "The PDF attached is empty."


@pytest.fixture
def lima(catalogue):
    return make_city("lima")


def _indicator(round: Round, code: str) -> Indicator:
    return Indicator.objects.get(version=round.version, code=code)


def _say(round: Round, user, body: str, code: str = "HC-01") -> Comment:
    return services.comment_add(round=round, indicator=_indicator(round, code), actor=user, body=body)


def _return(round: Round, reviewer, comments: dict[str, str]) -> Round:
    codes = {i.code: i.pk for i in services.round_indicators(round)}
    decisions = {codes[code]: services.Decision(comment=text, send_back=True) for code, text in comments.items()}
    return services.round_review(round=round, actor=reviewer, decisions=decisions, action=services.ReviewAction.RETURN)


def _with_email(user, email: str):
    user.email = email
    user.save(update_fields=["email"])
    return user


# --- services ---------------------------------------------------------------------------------------


def test_comments_on_one_indicator_continue_its_one_open_thread(draft, quito):
    first = _say(draft, quito.editor, "Who has the signed plan?")
    second = _say(draft, quito.approver, "The mayor's office.")
    other = _say(draft, quito.editor, "And this one?", code="HC-02")

    assert first.thread == second.thread != other.thread
    assert (first.cycle, first.kind) == (0, Comment.Kind.COMMENT)
    assert Thread.objects.open().filter(round=draft).count() == 2


def test_a_resolved_thread_is_kept_and_the_next_comment_starts_a_new_one(draft, quito):
    first = _say(draft, quito.editor, "Who has the signed plan?")
    services.thread_resolve(thread=first.thread, actor=quito.approver)

    again = _say(draft, quito.editor, "Another question.")

    assert again.thread != first.thread
    first.thread.refresh_from_db()
    assert (first.thread.is_open, first.thread.resolved_by) == (False, quito.approver)
    assert list(first.thread.comments.values_list("body", flat=True)) == ["Who has the signed plan?"]


def test_a_return_comment_continues_the_open_thread(submitted, quito, reviewer):
    question = _say(submitted, quito.editor, "We attached the plan; is it enough?")

    _return(submitted, reviewer, {"HC-01": EMPTY_PDF})

    comments = list(question.thread.comments.all())
    assert [(c.body, c.kind, c.cycle, c.author) for c in comments] == [
        ("We attached the plan; is it enough?", Comment.Kind.COMMENT, 1, quito.editor),
        (EMPTY_PDF, Comment.Kind.RETURN, 1, reviewer),
    ]


def test_a_return_comment_starts_a_thread_when_the_last_one_is_resolved(submitted, quito, reviewer):
    question = _say(submitted, quito.editor, "Is it enough?")
    services.thread_resolve(thread=question.thread, actor=reviewer)

    _return(submitted, reviewer, {"HC-01": EMPTY_PDF})

    returned = Comment.objects.get(kind=Comment.Kind.RETURN)
    assert returned.thread != question.thread and returned.thread.is_open


def test_the_threads_keep_every_review_cycle(submitted, quito, reviewer):
    _return(submitted, reviewer, {"HC-01": EMPTY_PDF})
    _say(submitted, quito.editor, "The signed copy is attached now.")
    services.round_submit(round=submitted, actor=quito.approver)
    _return(submitted, reviewer, {"HC-01": "Still unsigned."})

    thread = Thread.objects.get(round=submitted)
    assert [(c.cycle, c.kind) for c in thread.comments.order_by("at", "id")] == [
        (1, "return"),
        (1, "comment"),
        (2, "return"),
    ]


def test_resolving_a_resolved_thread_is_refused(draft, quito):
    thread = _say(draft, quito.editor, "Question").thread
    services.thread_resolve(thread=thread, actor=quito.editor)

    with pytest.raises(services.WorkflowError, match="already resolved"):
        services.thread_resolve(thread=thread, actor=quito.approver)


def test_a_thread_reopens_unless_the_indicator_has_another_open_one(draft, quito):
    thread = _say(draft, quito.editor, "Question").thread
    services.thread_resolve(thread=thread, actor=quito.editor)

    services.thread_reopen(thread=thread, actor=quito.approver)
    thread.refresh_from_db()
    assert thread.is_open and thread.resolved_by is None

    services.thread_resolve(thread=thread, actor=quito.editor)
    newer = _say(draft, quito.editor, "A new question").thread
    with pytest.raises(services.WorkflowError, match="already has an open thread"):
        services.thread_reopen(thread=thread, actor=quito.approver)
    assert list(Thread.objects.open().filter(round=draft)) == [newer]


def test_the_database_refuses_two_open_threads_on_one_indicator(draft, quito):
    thread = _say(draft, quito.editor, "Question").thread

    with pytest.raises(IntegrityError), transaction.atomic():
        Thread.objects.create(round=draft, indicator=thread.indicator)


def test_a_thread_resolved_by_nobody_is_refused_by_the_database(draft, quito):
    thread = _say(draft, quito.editor, "Question").thread
    thread.resolved_at = thread.started_at

    with pytest.raises(IntegrityError), transaction.atomic():
        thread.save(update_fields=["resolved_at"])


def test_an_empty_comment_is_refused(draft, quito):
    with pytest.raises(services.WorkflowError, match="Write a comment first"):
        _say(draft, quito.editor, "   \n ")
    assert not Thread.objects.exists()


def test_the_threads_of_a_validated_round_are_closed(validated, quito, reviewer):
    with pytest.raises(access.AccessDenied, match="validated round are closed"):
        _say(validated, quito.editor, "Late remark")
    with pytest.raises(access.AccessDenied):
        _say(validated, reviewer, "Late remark")
    assert not Comment.objects.exists()


def test_a_reviewer_cannot_comment_on_a_draft(draft, reviewer):
    with pytest.raises(access.AccessDenied):
        _say(draft, reviewer, "Hello")


def test_another_citys_member_cannot_comment(draft, lima):
    with pytest.raises(access.AccessDenied):
        _say(draft, lima.approver, "Hello")


def test_an_indicator_of_another_catalogue_is_refused(draft, quito):
    from tests.factories import IndicatorFactory

    stranger = IndicatorFactory(code="HC-01")
    with pytest.raises(services.WorkflowError, match="not part of the round's catalogue"):
        services.comment_add(round=draft, indicator=stranger, actor=quito.editor, body="Hi")


def test_a_mention_of_a_member_mails_them(draft, quito):
    _with_email(quito.approver, "approver@quito.example")
    comment = _say(draft, quito.editor, "@quito-approver, can you sign it? (cc @quito-editor and me@example.org)")

    assert list(comment.mentions.all()) == [quito.approver]  # not the author, not an e-mail address
    mail = Mail.objects.get()
    assert mail.to == "approver@quito.example"
    assert "quito-editor" in mail.subject and "HC-01" in mail.subject
    assert "can you sign it?" in mail.body
    assert f"/rounds/{draft.pk}/dimensions/HC/#threads-HC-01" in mail.body


def test_a_mention_of_someone_who_cannot_see_the_round_does_nothing(draft, quito, lima, reviewer):
    _with_email(lima.editor, "editor@lima.example")
    _with_email(reviewer, "rita@example.org")

    comment = _say(draft, quito.editor, "@lima-editor @rita-reviewer @nobody-here have a look")

    assert not comment.mentions.exists()  # another city's member; a reviewer on a draft; no such user
    assert not Mail.objects.exists()


def test_only_the_first_twenty_names_of_a_comment_are_looked_up(draft, quito):
    late = MembershipFactory(authority=quito.authority, user=UserFactory(username="late", email="late@quito.example"))
    names = " ".join(f"@nobody{n}" for n in range(19))

    comment = _say(draft, quito.editor, f"@quito-approver {names} @late")

    assert list(comment.mentions.all()) == [quito.approver]  # @late is the 21st name
    assert not Mail.objects.filter(to=late.user.email).exists()


def test_a_reviewer_mentioned_once_the_round_is_shared_is_mailed(submitted, quito, reviewer):
    comment = _say(submitted, quito.editor, "@rita-reviewer is the plan enough?")

    assert list(comment.mentions.all()) == [reviewer]
    assert Mail.objects.get().to == "rita@example.org"


def test_a_mention_in_a_return_comment_mails_the_member(submitted, quito, reviewer):
    _with_email(quito.editor, "editor@quito.example")

    _return(submitted, reviewer, {"HC-01": f"@quito-editor {EMPTY_PDF}"})

    assert Mail.objects.filter(to="editor@quito.example", subject__contains="mentioned you").exists()


# --- permissions of the pages -------------------------------------------------------------------------


def _urls(round: Round, thread: Thread) -> list[str]:
    return [
        reverse("comment_add", args=[round.pk, "HC-01"]),
        reverse("thread_resolve", args=[thread.pk]),
        reverse("thread_reopen", args=[thread.pk]),
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_another_citys_people_get_a_404_on_every_thread_url(client, submitted, quito, lima, htmx):
    thread = _say(submitted, quito.editor, "Private question").thread
    headers = {"HX-Request": "true"} if htmx else {}
    for user in (lima.editor, lima.approver):
        client.force_login(user)
        for url in _urls(submitted, thread):
            response = client.post(url, {"body": "Hello"}, headers=headers)
            assert response.status_code == 404, url
    thread.refresh_from_db()
    assert thread.is_open and thread.comments.count() == 1


def test_a_reviewer_cannot_reach_the_threads_of_a_draft(client, draft, quito, reviewer):
    thread = _say(draft, quito.editor, "Internal question").thread
    client.force_login(reviewer)

    for url in _urls(draft, thread):
        assert client.post(url, {"body": "Hello"}).status_code == 404, url
    assert client.get(reverse("round_dimension", args=[draft.pk, "HC"])).status_code == 404


def test_only_a_post_writes(client, draft, quito):
    client.force_login(quito.editor)

    assert client.get(reverse("comment_add", args=[draft.pk, "HC-01"])).status_code == 405
    assert client.get(reverse("comment_add", args=[draft.pk, "XX-99"])).status_code == 405
    assert client.post(reverse("comment_add", args=[draft.pk, "XX-99"]), {"body": "Hi"}).status_code == 404


def test_commenting_on_a_validated_round_is_a_403_page_that_says_why(client, validated, quito):
    client.force_login(quito.editor)

    response = client.post(reverse("comment_add", args=[validated.pk, "HC-01"]), {"body": "Late"})

    assert response.status_code == 403
    assert "The comment threads of a validated round are closed." in response.content.decode()
    assert not Comment.objects.exists()


def test_resolving_on_a_validated_round_is_refused_with_a_403(client, submitted, quito, reviewer):
    thread = _say(submitted, quito.editor, "Question").thread
    services.round_review(round=submitted, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)
    client.force_login(quito.approver)

    response = client.post(reverse("thread_resolve", args=[thread.pk]), headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert 'role="alert"' in response.content.decode()
    thread.refresh_from_db()
    assert thread.is_open


# --- posting with htmx and without JavaScript ------------------------------------------------------------


def _form_page(client, user, round: Round, code: str = "HC") -> str:
    client.force_login(user)
    response = client.get(reverse("round_dimension", args=[round.pk, code]))
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, code: str) -> str:
    start = page.index(f'<section id="threads-{code}"')
    return page[start : page.index("</section>", start)]


def test_the_form_page_offers_a_labelled_comment_form_to_members(client, draft, quito):
    section = _section(_form_page(client, quito.editor, draft), "HC-01")

    assert f'action="{reverse("comment_add", args=[draft.pk, "HC-01"])}"' in section
    assert '<label class="form-label small mb-1" for="comment-body-HC-01">Start a thread' in section
    assert 'id="comment-body-HC-01"' in section and 'aria-describedby="comment-hint-HC-01"' in section
    assert "Write @username to mention a colleague" in section
    assert 'id="threads-status-HC-01" class="small text-success mb-1 threads-status" aria-live="polite"' in section
    # No thread yet: a compact disclosure, not a box on every card; a draft's thread is read by reviewers later.
    assert '<details class="thread-new">' in section and "Comment on HC-01</summary>" in section
    assert "Programme reviewers read this thread once the round is submitted." in section
    assert 'maxlength="5000"' in section  # forms.COMMENT_MAX_LENGTH
    assert f'name="next" value="{reverse("round_dimension", args=[draft.pk, "HC"])}"' in section


def test_posting_with_htmx_swaps_the_threads_and_says_so(client, draft, quito):
    client.force_login(quito.editor)

    response = client.post(
        reverse("comment_add", args=[draft.pk, "HC-01"]),
        {"body": "Who signs the plan, @quito-approver?", "next": reverse("round_dimension", args=[draft.pk, "HC"])},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="threads-HC-01"') and "<html" not in html
    assert re.search(r'id="threads-status-HC-01"[^>]*aria-live="polite"[^>]*>Your comment on HC-01 is posted\.<', html)
    assert "Who signs the plan, @quito-approver?" in html
    assert "Mentioned: @quito-approver" in html
    assert "Answer in the open thread" in html and "Mark as resolved" in html
    # the forms of the new partial still go back to the page the user is on
    assert f'name="next" value="{reverse("round_dimension", args=[draft.pk, "HC"])}"' in html


def test_posting_without_javascript_goes_back_to_the_indicator(client, draft, quito, reviewer):
    client.force_login(quito.editor)
    back = reverse("round_dimension", args=[draft.pk, "HC"])

    response = client.post(reverse("comment_add", args=[draft.pk, "HC-02"]), {"body": "Question", "next": back})

    assert response.status_code == 302 and response["Location"] == f"{back}#indicator-HC-02"
    assert Comment.objects.get().thread.indicator.code == "HC-02"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/phish", "//evil.example/x", "javascript:alert(1)", ""], ids=str
)
def test_a_next_page_elsewhere_is_ignored(client, draft, quito, next_url):
    client.force_login(quito.editor)

    response = client.post(reverse("comment_add", args=[draft.pk, "HC-02"]), {"body": "Hi", "next": next_url})

    assert response["Location"] == reverse("round_dimension", args=[draft.pk, "HC"]) + "#indicator-HC-02"


def test_an_empty_comment_is_a_form_error_that_keeps_the_text(client, draft, quito):
    client.force_login(quito.editor)
    url = reverse("comment_add", args=[draft.pk, "HC-01"])

    htmx = client.post(url, {"body": "   "}, headers={"HX-Request": "true"})
    plain = client.post(url, {"body": "x" * 5001})

    assert htmx.status_code == 422
    assert "Write a comment first." in htmx.content.decode() and 'aria-invalid="true"' in htmx.content.decode()
    assert plain.status_code == 422
    page = plain.content.decode()
    assert "<html" in page and "x" * 5001 in page  # the text is kept on a page of its own, with the way back
    assert "Back to the indicator" in page
    assert not Comment.objects.exists()


def test_resolve_and_reopen_with_htmx_and_without(client, draft, quito):
    thread = _say(draft, quito.editor, "Question").thread
    client.force_login(quito.approver)
    back = reverse("round_dimension", args=[draft.pk, "HC"])

    resolved = client.post(reverse("thread_resolve", args=[thread.pk]), {"next": back}, headers={"HX-Request": "true"})
    assert resolved.status_code == 200
    html = resolved.content.decode()
    assert "The thread on HC-01 is resolved." in html
    assert re.search(r"<details[^>]*>\s*<summary[^>]*>Resolved by quito-approver on .+ \(1 comment\)</summary>", html)
    assert "Reopen this thread" in html and "Start a thread" in html

    reopened = client.post(reverse("thread_reopen", args=[thread.pk]), {"next": back})
    assert reopened.status_code == 302 and reopened["Location"] == f"{back}#indicator-HC-01"
    thread.refresh_from_db()
    assert thread.is_open

    again = client.post(reverse("thread_reopen", args=[thread.pk]), {"next": back})  # already open: nothing to do
    assert again.status_code == 302


def test_reopening_when_another_thread_is_open_is_a_409(client, draft, quito):
    old = _say(draft, quito.editor, "Question").thread
    services.thread_resolve(thread=old, actor=quito.editor)
    _say(draft, quito.editor, "New question")
    client.force_login(quito.editor)

    page = client.post(reverse("thread_reopen", args=[old.pk]))
    part = client.post(reverse("thread_reopen", args=[old.pk]), headers={"HX-Request": "true"})

    assert page.status_code == part.status_code == 409
    assert "already has an open thread" in page.content.decode()
    assert "already has an open thread" in part.content.decode() and "<html" not in part.content.decode()


def test_the_form_page_shows_threads_open_first_with_authors_cycles_and_return_badges(
    client, submitted, quito, reviewer
):
    quito.editor.first_name, quito.editor.last_name = "Ana", "Paz"
    quito.editor.save(update_fields=["first_name", "last_name"])
    old = _say(submitted, quito.editor, "An old question").thread
    services.thread_resolve(thread=old, actor=reviewer)
    _return(submitted, reviewer, {"HC-01": EMPTY_PDF})
    _say(submitted, quito.editor, "Done, see the new file.")

    section = _section(_form_page(client, quito.approver, submitted), "HC-01")

    assert section.index("Open thread, started") < section.index("<details")
    assert "<strong>Ana Paz</strong>" in section and "<strong>rita-reviewer</strong>" in section
    assert "review 1" in section
    assert '<span class="badge text-bg-warning">Returned with this comment</span>' in section
    assert "Resolved by rita-reviewer on" in section
    assert "Reopen this thread" not in section  # HC-01 has an open thread already
    assert section.index(EMPTY_PDF) < section.index("Done, see the new file.")


def test_a_validated_rounds_threads_are_read_only_on_the_form(client, submitted, quito, reviewer):
    _say(submitted, quito.editor, "A question")
    services.round_review(round=submitted, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)

    section = _section(_form_page(client, quito.editor, submitted), "HC-01")

    assert "A question" in section
    assert "<form" not in section and "Mark as resolved" not in section


# --- the round page ------------------------------------------------------------------------------------------


def _round_page(client, user, round: Round) -> str:
    client.force_login(user)
    response = client.get(reverse("round_detail", args=[round.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _page_section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def test_the_round_page_lists_the_open_threads_with_their_last_comment(client, submitted, quito, reviewer):
    resolved = _say(submitted, quito.editor, "Settled question", code="VC-01").thread
    services.thread_resolve(thread=resolved, actor=quito.editor)
    _say(submitted, quito.editor, "Is the plan enough?", code="HC-02")
    _say(submitted, reviewer, "It needs a signature.", code="HC-02")

    member = _page_section(_round_page(client, quito.editor, submitted), "threads")
    assert "Open comment threads" in member
    assert f'href="{reverse("round_dimension", args=[submitted.pk, "HC"])}#indicator-HC-02"' in member
    assert "rita-reviewer wrote last (2 comments):" in member and "“It needs a signature.”" in member
    assert "Is the plan enough?" not in member and "Settled question" not in member and "VC-01" not in member

    review = _page_section(_round_page(client, reviewer, submitted), "threads")
    assert f'href="{reverse("round_review", args=[submitted.pk])}#indicator-HC-02"' in review


def test_the_round_page_says_when_no_thread_is_open(client, draft, quito):
    section = _page_section(_round_page(client, quito.editor, draft), "threads")

    assert "No open thread." in section


def test_a_validated_rounds_page_sends_to_the_history_for_its_threads(client, submitted, quito, reviewer):
    _say(submitted, quito.editor, "A question")
    services.round_review(round=submitted, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)

    section = _page_section(_round_page(client, quito.editor, submitted), "threads")

    assert "its comment threads are closed" in section and "A question" not in section
    assert f"{reverse('round_history', args=[submitted.pk])}#comments" in section


def test_an_editor_sees_who_submits_and_what_is_left(client, draft, quito):
    quito.approver.first_name, quito.approver.last_name = "Olga", "Mena"
    quito.approver.email = "olga@quito.example"
    quito.approver.save(update_fields=["first_name", "last_name", "email"])
    MembershipFactory(authority=quito.authority, user=UserFactory(username="quito-editor-2"))
    from tests.world import answer

    answer(draft, "HC-01", quito.editor, level=1, justification="A start.")

    section = _page_section(_round_page(client, quito.editor, draft), "who-submits")

    assert "Who submits and what is left" in section
    assert "<strong>Olga Mena</strong>" in section and "mailto:olga@quito.example" in section
    assert "quito-editor-2" not in section  # an editor is not an approver
    total = len(services.round_problems(draft))
    assert f"{total} things still keep the round from being submitted:" in section
    assert "HC-01" not in section.split("things still keep")[1]  # answered: not missing
    assert f'href="{reverse("round_dimension", args=[draft.pk, "HC"])}#indicator-HC-02"' in section
    assert f"and {total - 5} more" in section


def test_approvers_and_reviewers_are_not_told_who_submits(client, submitted, draft, quito, reviewer):
    assert 'id="who-submits"' not in _round_page(client, quito.approver, draft)
    assert 'id="who-submits"' not in _round_page(client, reviewer, submitted)
    assert 'id="who-submits"' not in _round_page(client, quito.editor, submitted)  # locked: nothing to do now


def test_an_editor_is_told_when_nothing_is_missing(client, draft, quito):
    from tests.world import answer_everything

    answer_everything(draft, quito.editor)

    section = _page_section(_round_page(client, quito.editor, draft), "who-submits")

    assert "Nothing is missing: the round is ready for an approver to submit." in section


def test_the_round_page_queries_do_not_grow_with_threads(client, draft, quito, django_assert_num_queries):
    _say(draft, quito.editor, "One")
    client.force_login(quito.editor)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("round_detail", args=[draft.pk]))  # the catalogue's indicators are kept from then on
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("round_detail", args=[draft.pk]))
    for code in ("HC-02", "HC-03", "VC-01", "VC-02"):
        _say(draft, quito.editor, "A question", code=code)
        _say(draft, quito.approver, "An answer @quito-editor", code=code)
    with django_assert_num_queries(len(few)):
        client.get(reverse("round_detail", args=[draft.pk]))
    client.get(reverse("round_dimension", args=[draft.pk, "VC"]))  # the cards' guidance is kept from then on
    with CaptureQueriesContext(connection) as form_few:
        client.get(reverse("round_dimension", args=[draft.pk, "VC"]))
    _say(draft, quito.editor, "More", code="VC-03")
    with django_assert_num_queries(len(form_few)):
        client.get(reverse("round_dimension", args=[draft.pk, "VC"]))


# --- history ---------------------------------------------------------------------------------------------------


def test_the_history_shows_comments_and_resolutions(client, submitted, quito, reviewer):
    _return(submitted, reviewer, {"HC-01": EMPTY_PDF})
    reply = _say(submitted, quito.editor, "Attached the signed copy.")
    services.thread_resolve(thread=reply.thread, actor=reviewer)
    client.force_login(quito.editor)

    response = client.get(reverse("round_history", args=[submitted.pk]))

    section = _page_section(response.content.decode(), "comments")
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]
    assert len(rows) == 3
    assert "rita-reviewer" in rows[0] and "Resolved the thread" in rows[0] and "HC-01" in rows[0]
    assert "quito-editor" in rows[1] and "Attached the signed copy." in rows[1]
    assert "Returned with this comment" in rows[2] and EMPTY_PDF in rows[2]


def test_the_history_pages_comments_apart_from_answer_changes(client, draft, quito, django_assert_max_num_queries):
    for n in range(55):
        _say(draft, quito.editor, f"Comment number {n}")
    client.force_login(quito.editor)

    with django_assert_max_num_queries(11):
        first = client.get(reverse("round_history", args=[draft.pk])).content.decode()
    second = client.get(reverse("round_history", args=[draft.pk]), {"cpage": 2}).content.decode()

    assert "Comment number 54" in first and "Comment number 0<" not in first
    assert "?page=1&amp;cpage=2#comments" in first
    assert "Comment number 0" in second and "Comment number 54" not in second


def test_the_history_says_when_nobody_has_commented(client, draft, quito):
    client.force_login(quito.editor)

    section = _page_section(client.get(reverse("round_history", args=[draft.pk])).content.decode(), "comments")

    assert "No comment has been written yet." in section


def test_the_membership_role_of_a_new_member_does_not_matter_to_mentions(draft, quito):
    colleague = MembershipFactory(
        authority=quito.authority, user=UserFactory(username="ana.paz", email="ana@quito.example")
    ).user
    assert colleague.memberships.get().role == Membership.Role.EDITOR

    comment = _say(draft, quito.approver, "Please check this, @ana.paz.")

    assert list(comment.mentions.all()) == [colleague]
    assert Mail.objects.get().to == "ana@quito.example"


def test_the_comments_of_a_form_page_card_are_headed_under_its_h2_and_an_open_thread_has_no_disclosure(
    client, draft, quito
):
    hc01 = Indicator.objects.get(version=draft.version, code="HC-01")
    services.comment_add(round=draft, indicator=hc01, actor=quito.approver, body="Who chairs it?")

    page = _form_page(client, quito.editor, draft)

    assert '<h3 class="h6" id="threads-heading-HC-01">' in _section(page, "HC-01")
    assert '<h3 class="h6" id="evidence-heading-HC-01"' in page
    assert '<details class="thread-new"' not in _section(page, "HC-01")  # the thread's own form, open
    assert '<details class="thread-new">' in _section(page, "HC-02")


def test_a_submitted_rounds_comment_form_has_no_draft_hint(client, quito, reviewer):
    round = services.round_create(authority=quito.authority, period="2032", actor=quito.approver)
    answer_everything(round, quito.editor)
    round = services.round_submit(round=round, actor=quito.approver)
    client.force_login(reviewer)

    page = client.get(reverse("round_review", args=[round.pk])).content.decode()

    assert "Comment on HC-01</summary>" in _section(page, "HC-01")
    assert "Programme reviewers read this thread" not in page
