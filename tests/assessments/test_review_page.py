"""The review page is built for reviewing: indicators grouped by dimension under their score and completeness,
the last validated level beside each answer, evidence with its descriptions, filters, keyboard navigation,
a note at validation, and errors that name their indicator.

Quito answers every indicator at level 2 with a link as evidence, except where a test says otherwise.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from assessments import services
from assessments.models import ReviewItem, Round, StatusEvent
from indicators.models import Indicator
from tests.world import answer, make_city

pytestmark = pytest.mark.django_db

EVIDENCE_URL = "https://example.org/minutes.pdf"


def _fill(round: Round, user, levels: dict | None = None, bare: set[str] = frozenset()) -> None:
    """Answer every indicator at level 2 with evidence; ``levels`` says otherwise by code (a level or "dk")."""
    levels = levels or {}
    for indicator in services.round_indicators(round):
        level = levels.get(indicator.code, 2)
        if level == "dk":
            answer(round, indicator.code, user, response="dk")
        else:
            url = None if indicator.code in bare else EVIDENCE_URL
            answer(round, indicator.code, user, level=level, justification="Adopted by the council.", evidence_url=url)


def _submitted(city, period: str = "2025", **fill) -> Round:
    round = services.round_create(authority=city.authority, period=period, actor=city.approver)
    _fill(round, city.editor, **fill)
    return services.round_submit(round=round, actor=city.approver)


def _pks(round: Round) -> dict[str, int]:
    return {i.code: i.pk for i in services.round_indicators(round)}


def _get(client, user, round: Round, query: str = ""):
    client.force_login(user)
    return client.get(reverse("round_review", args=[round.pk]) + query)


def _page(client, user, round: Round, query: str = "") -> str:
    response = _get(client, user, round, query)
    assert response.status_code == 200
    return response.content.decode()


def _article(page: str, code: str) -> str:
    start = page.index(f'<article id="indicator-{code}"')
    return page[start : page.index("</article>", start)]


def _shown(page: str) -> set[str]:
    return set(re.findall(r'<article id="indicator-([A-Z]{2}-\d{2})"', page))


def _rendered_codes(client, round: Round, query: str = "") -> list[str]:
    """The indicators whose decisions the review form carries, as the page renders them (hidden ``indicator``)."""
    page = client.get(reverse("round_review", args=[round.pk]) + query).content.decode()
    return re.findall(r'<input type="hidden" name="indicator" value="([^"]+)">', page)


def _post(client, round: Round, action: str, decisions: dict | None = None, query: str = "", shown=None, **extra):
    """Send the review form as the page renders it (``shown``: the codes it carries, by default those it renders)."""
    data = {"action": action, "indicator": _rendered_codes(client, round, query) if shown is None else shown, **extra}
    for code, fields in (decisions or {}).items():
        data.update({f"{code}-{name}": value for name, value in fields.items()})
    return client.post(reverse("round_review", args=[round.pk]) + query, data)


# --- grouped by dimension, each under its score and completeness ------------------------------------


def test_indicators_are_grouped_under_their_dimension_with_its_self_assessed_score_and_completeness(
    client, quito, reviewer
):
    # HC: six indicators at 2 (50 points), one at 4 (100), one at 3 (75), one "don't know" (0) — 8 in all:
    # (6 × 50 + 100 + 75 + 0) / 8 would be wrong; it is (5 × 50 + 100 + 75 + 0) / 8 = 53.1; 7 of 8 answered.
    round = _submitted(quito, levels={"HC-01": 4, "HC-02": "dk", "HC-03": 3})

    page = _page(client, reviewer, round)

    headings = re.findall(r'<h2 class="h4 mt-4" id="dimension-([A-Z]{2})">', page)
    assert headings == ["HC", "VC", "SP", "IN", "DE", "DC"]
    hc_head = page[page.index('id="dimension-HC"') : page.index('<article id="indicator-HC-01"')]
    assert "HC · Horizontal coherence" in hc_head
    assert re.search(r"Self-assessed score:\s*<strong>53 · Established</strong>", hc_head)
    assert "7 of 8 answered" in hc_head and "1 don't know" in hc_head
    vc_head = page[page.index('id="dimension-VC"') : page.index('<article id="indicator-VC-01"')]
    assert re.search(r"Self-assessed score:\s*<strong>50 · Established</strong>", vc_head)
    assert "6 of 6 answered" in vc_head and "don't know" not in vc_head
    # Each indicator sits in its dimension's section, in catalogue order.
    assert page.index('id="dimension-HC"') < page.index('id="indicator-HC-08"') < page.index('id="dimension-VC"')
    assert page.index('id="indicator-VC-06"') < page.index('id="dimension-SP"')


# --- the last validated level beside each answer ----------------------------------------------------


def test_beside_each_answer_is_the_level_validated_for_it_in_the_last_validated_round(client, quito, reviewer):
    first = _submitted(quito, period="2024")
    services.round_review(
        round=first,
        actor=reviewer,
        decisions={_pks(first)["HC-01"]: services.Decision(validated_level=1)},
        action=services.ReviewAction.VALIDATE,
    )
    second = _submitted(quito, period="2025", levels={"HC-01": 3})

    page = _page(client, reviewer, second)

    hc01 = _article(page, "HC-01")
    assert "3 · Operational" in hc01  # the city's claim now
    assert re.search(r"Validated in 2024</dt>\s*<dd[^>]*>1 · Initial</dd>", hc01)  # the reviewer's level, not 2
    assert re.search(r"Validated in 2024</dt>\s*<dd[^>]*>2 · Partial</dd>", _article(page, "HC-02"))
    assert "No earlier validated round" not in page
    assert "No earlier validated round" in _article(_page(client, reviewer, first), "HC-01")


def test_a_round_with_no_validated_round_before_it_says_so(client, quito, reviewer):
    round = _submitted(quito)
    later = _submitted(quito, period="2026")
    services.round_review(round=later, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)

    page = _page(client, reviewer, round)

    assert "No earlier validated round" in _article(page, "HC-01")  # 2026 is validated, but after 2025
    assert "Validated in 2026" not in page


# --- evidence with its descriptions ---------------------------------------------------------------


def test_each_answer_shows_its_evidence_with_the_descriptions(client, quito, reviewer):
    round = services.round_create(authority=quito.authority, period="2025", actor=quito.approver)
    _fill(round, quito.editor)
    hc01 = Indicator.objects.get(version=round.version, code="HC-01")
    services.evidence_add(
        round=round,
        indicator=hc01,
        actor=quito.editor,
        description="Council decision 12/2024 creating the committee",
        url="https://example.org/decision-12.pdf",
    )
    services.round_submit(round=round, actor=quito.approver)

    card = _article(_page(client, reviewer, round), "HC-01")

    assert 'href="https://example.org/decision-12.pdf"' in card
    assert "Council decision 12/2024 creating the committee" in card
    assert f'href="{EVIDENCE_URL}"' in card and "Minutes" in card


# --- filters ------------------------------------------------------------------------------------------


@pytest.fixture
def filtered(quito, reviewer) -> Round:
    """HC-03 and VC-02 at 3, IN-01 at 4, HC-04 at 1 without evidence; HC-01 and HC-02 returned, HC-01 changed."""
    round = _submitted(quito, levels={"HC-03": 3, "VC-02": 3, "IN-01": 4, "HC-04": 1}, bare={"HC-04"})
    pks = _pks(round)
    services.round_review(
        round=round,
        actor=reviewer,
        decisions={
            pks["HC-01"]: services.Decision(comment="Attach the signed plan.", send_back=True),
            pks["HC-02"]: services.Decision(comment="Which ministry takes part?", send_back=True),
        },
        action=services.ReviewAction.RETURN,
    )
    answer(round, "HC-01", quito.editor, level=1, justification="Only a draft so far.")
    return services.round_submit(round=round, actor=quito.approver)


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("returned", {"HC-01", "HC-02"}),
        ("changed", {"HC-01"}),
        ("no-evidence", {"HC-04"}),
        ("high", {"HC-03", "VC-02", "IN-01"}),
    ],
)
def test_each_filter_shows_only_its_indicators(client, filtered, reviewer, show, expected):
    page = _page(client, reviewer, filtered, f"?show={show}")

    assert _shown(page) == expected
    current = re.search(r'<a class="nav-link active" href="([^"]+)" aria-current="page">([^<]+)<span[^>]*>(\d+)<', page)
    assert current.group(1).endswith(f"?show={show}") and int(current.group(3)) == len(expected)
    # The dimensions without a shown indicator have no section.
    assert ('id="dimension-VC"' in page) == any(code.startswith("VC") for code in expected)


def test_without_a_filter_every_indicator_shows_and_the_counts_name_each_filter(client, filtered, reviewer):
    page = _page(client, reviewer, filtered)

    assert len(_shown(page)) == 36
    nav = page[page.index('id="review-filters-label"') : page.index("</nav>", page.index('id="review-filters-label"'))]
    counts = dict(re.findall(r"\?show=([a-z-]+)\">[^<]+<span[^>]*>(\d+)</span>", nav))
    assert counts == {"returned": "2", "changed": "1", "no-evidence": "1", "high": "3"}
    assert re.search(r'href="/rounds/\d+/review/" aria-current="page">All <span[^>]*>36</span>', nav)
    assert "A filter is on" not in page


def test_an_unknown_filter_shows_every_indicator(client, filtered, reviewer):
    assert len(_shown(_page(client, reviewer, filtered, "?show=<script>"))) == 36


def test_a_filtered_form_sends_only_the_shown_decisions_and_leaves_the_others_as_they_are(client, filtered, reviewer):
    pks = _pks(filtered)
    services.round_review(
        round=filtered,
        actor=reviewer,
        decisions={pks["HC-05"]: services.Decision(validated_level=1, comment="No minutes for 2025.")},
        action=services.ReviewAction.SAVE,
    )
    client.force_login(reviewer)

    response = _post(client, filtered, "save", {"IN-01": {"validated_level": "3"}}, query="?show=high")

    assert response.status_code == 302 and response["Location"].endswith("?show=high")
    items = {item.indicator.code: item for item in ReviewItem.objects.filter(round=filtered)}
    assert items["IN-01"].validated_level == 3
    assert items["HC-05"].validated_level == 1 and items["HC-05"].comment == "No minutes for 2025."


def test_validating_with_a_filter_on_says_and_does_validate_the_whole_round(client, filtered, reviewer):
    page = _page(client, reviewer, filtered, "?show=high")
    note = page[page.index('id="review-filter-note"') : page.index("</p>", page.index('id="review-filter-note"'))]
    assert "A filter is on" in note and "33 indicators not shown" in note and "validates the whole round" in note
    assert 'value="validate" class="btn btn-success" aria-describedby="review-filter-note"' in page

    response = _post(client, filtered, "validate", {"IN-01": {"validated_level": "3"}}, query="?show=high")

    assert response.status_code == 302
    filtered.refresh_from_db()
    assert filtered.status == Round.Status.VALIDATED
    levels = dict(ReviewItem.objects.filter(round=filtered).values_list("indicator__code", "validated_level"))
    assert len(levels) == 36 and levels["IN-01"] == 3 and levels["HC-05"] == 2 and levels["HC-01"] == 1


def test_only_the_decisions_of_the_indicators_the_page_showed_are_saved(client, filtered, reviewer):
    pks = _pks(filtered)
    services.round_review(
        round=filtered,
        actor=reviewer,
        decisions={pks["HC-03"]: services.Decision(validated_level=1, comment="Only one meeting in 2025.")},
        action=services.ReviewAction.SAVE,
    )
    client.force_login(reviewer)
    assert _rendered_codes(client, filtered, "?show=high") == ["HC-03", "VC-02", "IN-01"]

    # The page showed IN-01 only (the filter kept fewer then): HC-03, which it keeps now, was not sent.
    response = _post(
        client, filtered, "save", {"IN-01": {"validated_level": "3"}}, query="?show=high", shown=["IN-01", "ZZ-99"]
    )

    assert response.status_code == 302
    items = {item.indicator.code: item for item in ReviewItem.objects.filter(round=filtered)}
    assert items["IN-01"].validated_level == 3
    assert items["HC-03"].validated_level == 1 and items["HC-03"].comment == "Only one meeting in 2025."
    assert "ZZ-99" not in items  # a code not of the round is ignored


def test_a_refused_review_shows_again_the_indicators_it_carried(client, filtered, reviewer):
    client.force_login(reviewer)

    response = _post(
        client, filtered, "return", {"VC-02": {"send_back": "on"}}, query="?show=high", shown=["HC-04", "VC-02"]
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert _shown(page) == {"HC-04", "VC-02"}
    assert re.findall(r'<input type="hidden" name="indicator" value="([^"]+)">', page) == ["HC-04", "VC-02"]


# --- a note at validation --------------------------------------------------------------------------


def test_the_validation_note_lands_in_the_rounds_history(client, quito, reviewer):
    round = _submitted(quito)
    page = _page(client, reviewer, round)
    assert re.search(
        r'<label class="form-label" for="review-note">Note for the city \(kept in the history\)</label>', page
    )

    response = _post(client, round, "validate", note="  Well documented; keep the minutes of 2026 too.  ")

    assert response.status_code == 302
    event = StatusEvent.objects.get(round=round, to_status=Round.Status.VALIDATED)
    assert event.note == "Well documented; keep the minutes of 2026 too."
    client.force_login(quito.editor)
    history = client.get(reverse("round_history", args=[round.pk])).content.decode()
    assert "Well documented; keep the minutes of 2026 too." in history


def _note(page: str) -> str:
    return re.search(r'<textarea class="form-control" name="note" id="review-note"[^>]*>([^<]*)</textarea>', page)[1]


def test_a_note_is_sent_only_by_a_validation_and_a_saved_review_keeps_it_as_a_draft(client, quito, reviewer):
    round = _submitted(quito)
    client.force_login(reviewer)
    assert "Sent only with “Validate the round”" in _page(client, reviewer, round)

    assert _post(client, round, "save", note="Not yet.").status_code == 302

    assert not StatusEvent.objects.filter(round=round, note="Not yet.").exists()
    assert _note(_page(client, reviewer, round)) == "Not yet."  # the draft, in its box again
    _post(client, round, "save", note="")
    assert _note(_page(client, reviewer, round)) == ""


def test_a_note_typed_before_a_refused_return_stays_in_its_box(client, quito, reviewer):
    round = _submitted(quito)
    client.force_login(reviewer)

    response = _post(client, round, "return", {"HC-01": {"send_back": "on"}}, note="Well documented.")

    assert response.status_code == 422
    assert _note(response.content.decode()) == "Well documented."


def test_a_return_says_the_note_was_not_sent(client, quito, reviewer):
    round = _submitted(quito)
    client.force_login(reviewer)

    response = _post(client, round, "return", {"HC-01": {"send_back": "on", "comment": "Sign it."}}, note="Nice.")

    assert response.status_code == 302
    assert "Your note was not sent" in client.get(response["Location"]).content.decode()
    assert not StatusEvent.objects.filter(round=round, note="Nice.").exists()


def test_the_validated_mail_quotes_the_note(client, quito, reviewer, django_capture_on_commit_callbacks):
    from django.core import mail

    quito.editor.email = "ed@quito.example"
    quito.editor.save()
    round = _submitted(quito)
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, round, "validate", note="Keep the 2026 minutes too.").status_code == 302

    body = next(m.body for m in mail.outbox if "ed@quito.example" in m.to and "validated" in m.body)
    assert "The reviewer's note:\nKeep the 2026 minutes too." in body


# --- errors name their indicator --------------------------------------------------------------------


def test_an_error_names_its_indicator_in_the_summary_and_at_the_field(client, quito, reviewer):
    round = _submitted(quito)
    client.force_login(reviewer)

    response = _post(
        client,
        round,
        "return",
        {
            "HC-01": {"send_back": "on", "comment": "Attach the signed plan."},
            "HC-02": {"send_back": "on", "comment": "   "},
            "VC-03": {"comment": "x" * 5001},
        },
    )

    assert response.status_code == 422
    page = response.content.decode()
    summary = page[page.index('id="review-errors"') : page.index("</div>", page.index('id="review-errors"'))]
    assert "Nothing was saved: 2 problems to correct" in summary
    assert (
        '<a href="#id_HC-02-comment" class="alert-link">HC-02: a returned indicator needs a comment saying what to '
        "change.</a>" in summary  # the service's words, which name the indicator once
    )
    assert (
        '<a href="#id_VC-03-comment" class="alert-link">VC-03: Ensure this value has at most 5000 characters' in summary
    )
    hc02 = _article(page, "HC-02")
    assert re.search(
        r'<textarea name="HC-02-comment"[^>]*aria-invalid="true"[^>]*aria-describedby="id_HC-02-comment_error"', hc02
    )
    assert re.search(r'id="id_HC-02-comment_error">HC-02: a returned indicator needs a comment saying what', hc02)
    assert "_error" not in _article(page, "HC-01")
    round.refresh_from_db()
    assert round.status == Round.Status.SUBMITTED and not ReviewItem.objects.filter(round=round).exists()


def test_a_refusal_of_the_service_is_shown_in_the_error_summary(client, quito, reviewer):
    round = _submitted(quito)
    client.force_login(reviewer)

    response = _post(client, round, "return")  # nothing ticked

    assert response.status_code == 422
    page = response.content.decode()
    summary = page[page.index('id="review-errors"') : page.index("</div>", page.index('id="review-errors"'))]
    assert "Tick at least one indicator to return." in summary


# --- threads and keyboard -----------------------------------------------------------------------------


class _Forms(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.depth, self.nested = 0, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.nested |= self.depth > 0
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "form":
            self.depth -= 1


def test_each_indicator_shows_its_comment_threads_and_no_form_nests_in_the_review_form(client, quito, reviewer):
    round = _submitted(quito)
    hc01 = Indicator.objects.get(version=round.version, code="HC-01")
    services.comment_add(round=round, indicator=hc01, actor=quito.editor, body="The signed minutes are attached.")

    page = _page(client, reviewer, round)

    assert "The signed minutes are attached." in _article(page, "HC-01")
    assert "The signed minutes are attached." not in _article(page, "HC-02")
    assert not _Forms(page).nested
    # The decisions belong to the review form, wherever they sit.
    assert re.search(r'<select name="HC-01-validated_level"[^>]*form="review-form"', page)
    assert '<form id="review-form" method="post"' in page


def test_indicators_can_be_reached_from_one_to_the_next_by_link_and_by_key(client, filtered, reviewer):
    page = _page(client, reviewer, filtered, "?show=high")

    assert '<article id="indicator-HC-03" tabindex="-1"' in page
    hc03 = _article(page, "HC-03")
    assert '<a href="#indicator-VC-02" aria-keyshortcuts="j">Next indicator (VC-02)</a>' in hc03  # the shown ones
    assert "Previous indicator" not in hc03
    assert '<a href="#indicator-HC-03" aria-keyshortcuts="k">Previous indicator (HC-03)</a>' in _article(page, "VC-02")
    assert "press <kbd>J</kbd> for the next indicator and <kbd>K</kbd> for the previous one" in page
    assert "The keys do nothing elsewhere on the page or in a field." in page
    assert re.search(r'<script src="/static/js/review\.js"></script>', page)
    # The keys act from an indicator or its links only (WCAG 2.1.4), never from the page as a whole.
    script = (Path(settings.BASE_DIR) / "static/js/review.js").read_text()
    assert 'closest("article.review-indicator")' in script and 'target.tagName === "A"' in script
    assert "getBoundingClientRect" not in script  # no more "the indicator being read" when the focus is elsewhere


def test_after_a_refusal_the_error_summary_takes_the_focus(client, quito, reviewer):
    round = _submitted(quito)
    client.force_login(reviewer)

    page = _post(client, round, "return", {"HC-01": {"send_back": "on"}}).content.decode()

    assert 'id="review-errors" tabindex="-1"' in page
    script = (Path(settings.BASE_DIR) / "static/js/review.js").read_text()
    assert 'document.getElementById("review-errors")' in script and "summary.focus()" in script


def test_the_evidence_and_comments_of_an_indicator_are_headed_under_it(client, quito, reviewer):
    round = _submitted(quito)
    hc01 = Indicator.objects.get(version=round.version, code="HC-01")
    services.comment_add(round=round, indicator=hc01, actor=quito.editor, body="See the minutes.")

    article = _article(_page(client, reviewer, round), "HC-01")

    assert '<h3 class="h6" id="review-HC-01">' in article
    assert '<h4 class="h6" id="evidence-heading-HC-01"' in article
    assert '<h4 class="h6" id="threads-heading-HC-01">' in article
    assert re.search(r'<h5 class="h6 small text-body-secondary mb-2" id="thread-\d+-heading">Open thread', article)
    assert "<h3" not in article.replace('<h3 class="h6" id="review-HC-01">', "")


# --- who sees it -------------------------------------------------------------------------------------


def test_a_reviewer_sees_submitted_rounds_but_not_a_draft(client, quito, reviewer):
    draft = services.round_create(authority=quito.authority, period="2025", actor=quito.approver)

    assert _get(client, reviewer, draft).status_code == 404
    assert client.post(reverse("round_review", args=[draft.pk]), {"action": "validate"}).status_code == 404


def test_another_citys_member_gets_a_404_and_changes_nothing(client, quito, reviewer):
    round = _submitted(quito)
    lima = make_city("lima")

    assert _get(client, lima.approver, round).status_code == 404
    assert _post(client, round, "validate", note="Mine now.").status_code == 404
    round.refresh_from_db()
    assert round.status == Round.Status.SUBMITTED
