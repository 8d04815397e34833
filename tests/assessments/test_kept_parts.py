"""The form page and the review page keep the parts of a card that are the same for every round (the empty comment
section, the empty evidence section, the form that adds evidence) once per process, with stand-ins for what differs:
each page gets its own CSRF token, its own path in the forms' "next" and its own round in their URLs, and the parts
look exactly as when they are rendered on the spot."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from assessments import services, views
from assessments.forms import COMMENT_MAX_LENGTH, EvidenceForm
from tests.world import answer, make_city

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _page(client, round, query: str = "") -> str:
    response = client.get(reverse("round_dimension", args=[round.pk, "HC"]) + query)
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, id: str) -> str:
    start = page.index(f'<section id="{id}"')
    return page[start : page.index("</section>", start)]


def test_each_page_gets_its_own_token_path_and_round(draft, quito, catalogue):
    lima = make_city("lima")
    other = services.round_create(authority=lima.authority, period="2025", actor=lima.approver)
    first, second = Client(), Client()
    first.force_login(quito.editor)
    second.force_login(lima.editor)
    pages = [_page(first, draft), _page(second, other, "?from=<home>&x=1")]
    for page, round, path in zip(
        pages,
        (draft, other),
        (f"/rounds/{draft.pk}/dimensions/HC/", f"/rounds/{other.pk}/dimensions/HC/?from=%3Chome%3E&amp;x=1"),
        strict=True,
    ):
        threads, evidence = _section(page, "threads-HC-01"), _section(page, "evidence-HC-01")
        assert f'action="/rounds/{round.pk}/threads/HC-01/comments/"' in threads
        assert f'action="/rounds/{round.pk}/answers/HC-01/evidence/"' in evidence
        assert f'<input type="hidden" name="next" value="{path}">' in threads
        assert f'<input name="next" type="hidden" value="{path}">' in page  # as the language form has it
        assert str(views.ROUND_STAND_IN) not in page and "stand-in" not in page
    tokens = [set(TOKEN.findall(_section(page, "threads-HC-01") + _section(page, "evidence-HC-01"))) for page in pages]
    assert len(tokens[0]) == len(tokens[1]) == 1 and tokens[0] != tokens[1]  # one per page, never a kept one


def test_the_kept_forms_token_is_accepted(draft, quito):
    client = Client(enforce_csrf_checks=True)
    client.force_login(quito.editor)
    threads = _section(_page(client, draft), "threads-HC-01")
    action = re.search(r'<form method="post" action="([^"]+)"', threads).group(1)
    posted = {"csrfmiddlewaretoken": TOKEN.search(threads).group(1), "body": "Where is the plan?", "next": "/"}
    assert client.post(action, posted).status_code == 302
    assert "Where is the plan?" in _section(_page(client, draft), "threads-HC-01")


def test_the_kept_parts_are_what_the_templates_render_on_the_spot(rf, draft, quito):
    client = Client()
    client.force_login(quito.editor)
    page = _page(client, draft)
    token = TOKEN.findall(_section(page, "threads-HC-01"))[0]
    indicator = draft.version.indicators.get(code="HC-01")
    request = rf.get(reverse("round_dimension", args=[draft.pk, "HC"]))
    context = {"indicator": indicator, "round": draft, "csrf_token": token, "request": request}
    threads = render_to_string(
        "assessments/_threads.html",
        {**context, "threads": [], "can_comment": True, "comment_max_length": COMMENT_MAX_LENGTH},
    )
    evidence = render_to_string(
        "assessments/_evidence.html",
        {**context, "evidence": [], "editable": True, "evidence_form": EvidenceForm(prefix="HC-01-evidence")},
    )
    assert threads.strip() in page
    assert evidence.strip() in page


def test_a_card_with_a_thread_or_evidence_is_rendered_with_them(client, draft, quito):
    answer(draft, "HC-01", quito.editor, level=3, evidence_url="https://example.org/plan.pdf")
    services.comment_add(
        round=draft, indicator=draft.version.indicators.get(code="HC-02"), actor=quito.editor, body="Who has it?"
    )
    client.force_login(quito.editor)
    page = _page(client, draft)
    evidence = _section(page, "evidence-HC-01")
    assert "https://example.org/plan.pdf" in evidence and "Add evidence (a file or a link)" in evidence
    assert f'action="/rounds/{draft.pk}/answers/HC-01/evidence/"' in evidence
    threads = _section(page, "threads-HC-02")
    assert "Who has it?" in threads and "Answer in the open thread" in threads
    assert "No evidence yet." in _section(page, "evidence-HC-02")


def test_the_review_pages_comment_sections_are_its_own(client, submitted, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("round_review", args=[submitted.pk]) + "?show=all")
    page = response.content.decode()
    threads = _section(page, "threads-HC-01")
    assert '<h4 class="h6" id="threads-heading-HC-01">' in threads
    assert f'action="/rounds/{submitted.pk}/threads/HC-01/comments/"' in threads
    assert f'name="next" value="/rounds/{submitted.pk}/review/?show=all"' in threads
    assert "Programme reviewers read this thread" not in threads  # a draft's hint only


def test_the_justification_is_the_answers_own_and_escaped(client, draft, quito):
    text = '<b>"Adopted" & signed</b> kept-part-csrf-token-stand-in /kept-part-path-stand-in/'
    answer(draft, "HC-01", quito.editor, level=1, justification=text)
    client.force_login(quito.editor)
    page = _page(client, draft)
    escaped = (
        "&lt;b&gt;&quot;Adopted&quot; &amp; signed&lt;/b&gt; kept-part-csrf-token-stand-in /kept-part-path-stand-in/"
    )
    assert f'aria-describedby="HC-01-justification-help hints-HC-01">{escaped}</textarea>' in page
    assert 'name="HC-01-justification" id="HC-01-justification"' in page
    assert 'aria-describedby="HC-02-justification-help hints-HC-02"></textarea>' in page  # not answered: empty
