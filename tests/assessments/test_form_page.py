"""The form page and the autosave: what their progress bars say, and what they cost in queries."""

import random

import pytest
from django.urls import reverse
from django.utils import translation

from assessments import services
from assessments.models import Answer
from assessments.sheet import SELF, VALIDATED, answer_sheet, round_scores

pytestmark = pytest.mark.django_db

RESPONSES = ["", "", "dk", "na", "level", "level", "level"]


def _answer_at_random(round, user, seed: int) -> None:
    """Answer some of the round's indicators at random (levels, N/A, don't know), carried over or not."""
    rng = random.Random(seed)
    for indicator in round.version.indicators.all():
        response = rng.choice(RESPONSES)
        if not response or (response == "na" and not indicator.na_allowed):
            continue
        Answer.objects.create(
            round=round,
            indicator=indicator,
            response=response,
            level=rng.randrange(5) if response == "level" else None,
            justification="x",
            revision=1,
            updated_by=user,
            carried_over=rng.random() < 0.2,
        )


def _full_scores(round) -> dict:
    """Each dimension's score as the whole round's scoring makes it (both sets, the round page's figures)."""
    scores = round_scores(round, answer_sheet(round))
    score_set = VALIDATED if round.status == "validated" else SELF
    return {d.code: d for d in scores[score_set].dimensions}


@pytest.mark.parametrize("seed", range(6))
def test_the_form_pages_progress_says_what_the_full_scoring_says(client, draft, quito, seed):
    _answer_at_random(draft, quito.editor, seed)
    client.force_login(quito.editor)
    response = client.get(reverse("round_dimension", args=[draft.pk, "HC"]))
    assert response.status_code == 200
    full = _full_scores(draft)
    progress = answer_sheet(draft).progress()
    for step in response.context["progress"]:
        code = step["dimension"].code
        assert step["score"] == full.get(code)
        assert step["answered"] == (progress[code].answered if code in progress else 0)
        assert step["dont_know"] == (progress[code].dont_know if code in progress else 0)


@pytest.mark.parametrize("seed", range(4))
def test_the_progress_after_an_autosave_says_what_the_full_scoring_says(client, draft, quito, seed):
    _answer_at_random(draft, quito.editor, seed)
    client.force_login(quito.editor)
    answer = Answer.objects.filter(round=draft, indicator__code="HC-01").first()
    response = client.post(
        reverse("answer_save", args=[draft.pk, "HC-01"]),
        {"HC-01-choice": "3", "HC-01-justification": "Saved", "HC-01-revision": answer.revision if answer else 0},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    full = _full_scores(draft)
    for step in response.context["progress"]:
        assert step["score"] == full.get(step["dimension"].code)
    assert (
        full["HC"].answered == next(s for s in response.context["progress"] if s["dimension"].code == "HC")["answered"]
    )


def test_a_validated_rounds_form_page_shows_its_frozen_scores(client, validated, quito):
    client.force_login(quito.editor)
    response = client.get(reverse("round_dimension", args=[validated.pk, "HC"]))
    frozen = {d.code: d for d in validated.snapshot.scores()[VALIDATED].dimensions}
    assert all(step["score"] == frozen.get(step["dimension"].code) for step in response.context["progress"])


def test_an_autosave_costs_a_pinned_number_of_queries(client, draft, quito, django_assert_max_num_queries):
    client.force_login(quito.editor)
    url = reverse("answer_save", args=[draft.pk, "HC-01"])
    client.post(url, {"HC-01-choice": "2", "HC-01-revision": 0}, headers={"HX-Request": "true"})
    # 10 in production: the session and its user (2); the user's roles, all at once (1); the round through its scope,
    # saying whether it left a dimension out (1); the answer sheet's answers and consulted indicators (2: its
    # indicators are kept); the locked round (1); the locked answer with whether it has evidence, its update, and
    # the revision merged in one UPDATE (3). Here 12: the savepoint pair of the test's transaction (2).
    with django_assert_max_num_queries(12):
        response = client.post(
            url,
            {"HC-01-choice": "3", "HC-01-justification": "Now", "HC-01-revision": 1, "HC-01-save_id": ""},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    assert Answer.objects.get(round=draft, indicator__code="HC-01").level == 3


def test_an_autosave_records_the_history_as_before(client, draft, quito):
    """A first save makes an entry; the next ones by the same person merge into it; evidence is in the states."""
    client.force_login(quito.editor)
    url = reverse("answer_save", args=[draft.pk, "HC-01"])
    for revision, level in enumerate(["1", "2"]):
        data = {"HC-01-choice": level, "HC-01-justification": "Why", "HC-01-revision": revision}
        assert client.post(url, data, headers={"HX-Request": "true"}).status_code == 200
    answer = Answer.objects.get(round=draft, indicator__code="HC-01")
    (entry,) = answer.revisions.all()
    assert entry.old["response"] == "" and entry.new["level"] == 2
    services.evidence_add(
        round=draft, indicator=answer.indicator, actor=quito.editor, description="Minutes", url="https://example.org/m"
    )
    data = {"HC-01-choice": "3", "HC-01-justification": "Why", "HC-01-revision": answer.revision}
    assert client.post(url, data, headers={"HX-Request": "true"}).status_code == 200
    last = answer.revisions.order_by("-changed_at", "-id").first()
    evidence = [str(e) for e in answer.evidence.all()]
    assert last.new == {"response": "level", "level": 3, "justification": "Why", "evidence": evidence} and evidence
    # Someone else's save is a new entry, from where the last one ended.
    client.force_login(quito.approver)
    data = {"HC-01-choice": "4", "HC-01-justification": "Why", "HC-01-revision": answer.revision + 1}
    assert client.post(url, data, headers={"HX-Request": "true"}).status_code == 200
    newest = answer.revisions.order_by("-changed_at", "-id").first()
    assert newest.pk != last.pk and newest.old == last.new and newest.changed_by == quito.approver


def test_a_retried_save_is_acknowledged_without_a_second_revision(client, draft, quito):
    client.force_login(quito.editor)
    url = reverse("answer_save", args=[draft.pk, "HC-01"])
    data = {"HC-01-choice": "2", "HC-01-revision": 0, "HC-01-save_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"}
    assert client.post(url, data, headers={"HX-Request": "true"}).status_code == 200
    again = client.post(url, data, headers={"HX-Request": "true"})
    assert again.status_code == 200
    answer = Answer.objects.get(round=draft, indicator__code="HC-01")
    assert answer.revision == 1 and answer.revisions.count() == 1


def test_the_cards_catalogue_text_follows_the_language(client, draft, quito):
    """The catalogue parts of the cards are kept per language: a page in French is not served the English words."""
    client.force_login(quito.editor)
    url = reverse("round_dimension", args=[draft.pk, "HC"])
    english = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    with translation.override("fr"):
        client.cookies["django_language"] = "fr"
        french = client.get(url, headers={"Accept-Language": "fr"}).content.decode()
    assert "Guidance, examples and resources" in english
    assert "Guidance, examples and resources" not in french


def test_a_checked_choice_is_the_answers_own(client, draft, quito):
    """The choices are rendered once per indicator and choice: each card still checks its own answer."""
    services.answer_save(
        round=draft,
        indicator=draft.version.indicators.get(code="HC-01"),
        actor=quito.editor,
        response="level",
        level=3,
        justification="j",
        base_revision=0,
    )
    client.force_login(quito.editor)
    body = client.get(reverse("round_dimension", args=[draft.pk, "HC"])).content.decode()
    assert 'id="HC-01-level-3" value="3" checked' in body
    assert 'id="HC-02-level-3" value="3">' in body


def test_the_form_page_once_warm_costs_a_pinned_number_of_queries(client, draft, quito, django_assert_max_num_queries):
    """The catalogue's indicators and the cards' guidance are kept per process: a second view asks only for the round's."""
    client.force_login(quito.editor)
    url = reverse("round_dimension", args=[draft.pk, "HC"])
    assert client.get(url).status_code == 200
    # 3 fewer than the first (test_queries.py): the catalogue's indicators, the guidance's examples and resources
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
