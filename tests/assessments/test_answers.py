"""Saving answers: autosave, conflicts between colleagues, and bad input that loses nothing."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Answer, AnswerRevision
from indicators.models import Indicator
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _save(client, round, code, choice, justification="", revision=0, htmx=True, **extra):
    return client.post(
        reverse("answer_save", args=[round.pk, code]),
        {f"{code}-choice": choice, f"{code}-justification": justification, f"{code}-revision": revision, **extra},
        headers={"HX-Request": "true"} if htmx else {},
    )


@pytest.fixture
def colleagues(quito):
    """Two browsers of two editors of the same city."""
    second = MembershipFactory(authority=quito.authority, user=UserFactory(username="quito-editor-2")).user
    first_client, second_client = Client(), Client()
    first_client.force_login(quito.editor)
    second_client.force_login(second)
    return first_client, second_client


def test_two_colleagues_editing_different_indicators_keep_both_answers(draft, colleagues):
    first, second = colleagues
    assert _save(first, draft, "HC-01", "2", "Ours").status_code == 200
    assert _save(second, draft, "HC-02", "3", "Theirs").status_code == 200
    levels = dict(Answer.objects.filter(round=draft).values_list("indicator__code", "level"))
    assert levels == {"HC-01": 2, "HC-02": 3}


def test_the_same_indicator_gives_a_conflict_not_a_lost_answer(draft, colleagues):
    first, second = colleagues
    _save(first, draft, "HC-01", "2", "First version", revision=0)
    stale = _save(second, draft, "HC-01", "4", "Second version", revision=0)  # loaded before the first save

    assert stale.status_code == 409
    body = stale.content.decode()
    assert "First version" in body and "Second version" in body
    assert 'name="overwrite" value="1"' in body
    saved = Answer.objects.get(round=draft, indicator__code="HC-01")
    assert (saved.level, saved.justification, saved.revision) == (2, "First version", 1)


def test_keeping_my_version_after_a_conflict_overwrites_knowingly(draft, colleagues):
    first, second = colleagues
    _save(first, draft, "HC-01", "2", "First version", revision=0)
    response = _save(second, draft, "HC-01", "4", "Second version", revision=0, overwrite="1")
    assert response.status_code == 200
    saved = Answer.objects.get(round=draft, indicator__code="HC-01")
    assert (saved.level, saved.justification, saved.revision) == (4, "Second version", 2)


def test_without_javascript_a_conflict_shows_a_page_with_both_versions(draft, colleagues):
    first, second = colleagues
    _save(first, draft, "HC-01", "2", "First version")
    page = _save(second, draft, "HC-01", "4", "Second version", htmx=False)
    assert page.status_code == 409
    assert "<title>Two versions of one answer" in page.content.decode()


def test_saving_the_same_values_again_creates_no_revision(draft, quito, client):
    client.force_login(quito.editor)
    _save(client, draft, "HC-01", "2", "Same")
    _save(client, draft, "HC-01", "2", "Same", revision=1)
    answer = Answer.objects.get(round=draft, indicator__code="HC-01")
    assert answer.revision == 1
    assert AnswerRevision.objects.filter(answer=answer).count() == 1


def test_every_change_is_recorded_with_who_and_what(draft, quito, client):
    client.force_login(quito.editor)
    _save(client, draft, "HC-01", "1", "Draft plan")
    answer = Answer.objects.get(round=draft, indicator__code="HC-01")
    revision = AnswerRevision.objects.get(answer=answer)
    assert revision.changed_by == quito.editor
    assert revision.old["level"] is None and revision.new == {
        "response": "level",
        "level": 1,
        "justification": "Draft plan",
        "evidence": [],
    }


def test_saves_by_one_person_within_the_merge_window_make_one_history_entry_and_a_later_one_another(
    draft, quito, client
):
    # The clock is the test's: each save happens at the second given, however slow the machine.
    client.force_login(quito.editor)
    start, window = timezone.now(), services.REVISION_MERGE_SECONDS
    saves = [(0, "T"), (1, "Ty"), (window - 1, "Typed"), (window + 1, "Typed again")]
    with mock.patch("django.utils.timezone.now") as now:
        for revision, (second, text) in enumerate(saves):
            now.return_value = start + timedelta(seconds=second)
            assert _save(client, draft, "HC-01", "1", text, revision=revision).status_code == 200

    revisions = AnswerRevision.objects.filter(answer__round=draft).order_by("changed_at")
    assert [(r.changed_at - start, r.old["justification"], r.new["justification"]) for r in revisions] == [
        (timedelta(0), "", "Typed"),
        (timedelta(seconds=window + 1), "Typed", "Typed again"),
    ]


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ("7", "Select a valid choice"),
        ("-1", "Select a valid choice"),
        ("na", "Select a valid choice"),
        ("x", "Select a valid choice"),
    ],
    ids=["level-7", "level-minus-1", "na-not-allowed-on-HC-01", "garbage"],
)
def test_bad_choices_are_refused_with_a_message_and_write_nothing(draft, quito, client, choice, message):
    client.force_login(quito.editor)
    response = _save(client, draft, "HC-01", choice, "Kept text")
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Answer.objects.filter(round=draft).exists()


def test_an_overlong_justification_is_refused_and_the_saved_answer_stays(draft, quito, client):
    client.force_login(quito.editor)
    _save(client, draft, "HC-01", "2", "Short")
    response = _save(client, draft, "HC-01", "2", "x" * 10_001, revision=1)
    assert response.status_code == 422
    assert Answer.objects.get(round=draft, indicator__code="HC-01").justification == "Short"


def test_a_missing_revision_is_a_form_error_not_a_crash(draft, quito, client):
    client.force_login(quito.editor)
    response = client.post(
        reverse("answer_save", args=[draft.pk, "HC-01"]), {"HC-01-choice": "2"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422


def test_na_is_saved_where_the_indicator_allows_it(draft, quito, client):
    client.force_login(quito.editor)
    assert _save(client, draft, "SP-02", "na", "No emigration").status_code == 200
    answer = Answer.objects.get(round=draft, indicator__code="SP-02")
    assert (answer.response, answer.level) == ("na", None)


def test_the_service_refuses_na_where_the_catalogue_forbids_it(draft, quito):
    with pytest.raises(services.WorkflowError):
        services.answer_save(
            round=draft,
            indicator=Indicator.objects.get(version=draft.version, code="HC-01"),
            actor=quito.editor,
            response="na",
            level=None,
            justification="",
            base_revision=0,
        )
    assert not Answer.objects.filter(round=draft).exists()


def test_the_service_refuses_a_justification_longer_than_the_forms_limit_whoever_calls_it(draft, quito):
    hc01 = Indicator.objects.get(version=draft.version, code="HC-01")
    services.answer_save(
        round=draft,
        indicator=hc01,
        actor=quito.editor,
        response="level",
        level=2,
        justification="x" * 10_000,
        base_revision=0,
    )

    with pytest.raises(services.WorkflowError, match="10001 characters; it may have at most 10000"):
        services.answer_save(
            round=draft,
            indicator=hc01,
            actor=quito.editor,
            response="level",
            level=2,
            justification="x" * 10_001,
            base_revision=1,
        )

    assert Answer.objects.get(round=draft, indicator=hc01).justification == "x" * 10_000


# --- saves the browser retries (a client save id) and the "keep my version" button ----------------

SAVE_ID = "6f1c1e0a-3c55-4c4e-9d59-0d7f3b8f4a21"
OTHER_SAVE_ID = "0b7e4f55-8a51-4a8e-b1a2-5f0f2c7c6d10"


def test_a_retry_of_a_save_that_committed_is_acknowledged_not_a_conflict(draft, quito, client):
    client.force_login(quito.editor)
    first = _save(client, draft, "HC-01", "2", "Typed", revision=0, **{"HC-01-save_id": SAVE_ID})
    assert first.status_code == 200
    # The answer to the first try was lost: the browser sends the very same body again.
    retry = _save(client, draft, "HC-01", "2", "Typed", revision=0, **{"HC-01-save_id": SAVE_ID})

    assert retry.status_code == 200
    body = retry.content.decode()
    assert "Saved at" in body and "A colleague changed this answer" not in body
    assert 'id="revision-HC-01" value="1"' in body
    answer = Answer.objects.get(round=draft, indicator__code="HC-01")
    assert (answer.revision, answer.justification) == (1, "Typed")
    assert AnswerRevision.objects.filter(answer=answer).count() == 1


def test_an_acknowledged_retry_leaves_the_revision_a_colleague_builds_on(draft, colleagues):
    first, second = colleagues
    _save(first, draft, "HC-01", "2", "Mine", revision=0, **{"HC-01-save_id": SAVE_ID})
    retry = _save(first, draft, "HC-01", "2", "Mine", revision=0, **{"HC-01-save_id": SAVE_ID})
    assert retry.status_code == 200
    assert _save(second, draft, "HC-01", "3", "Theirs", revision=1).status_code == 200
    assert Answer.objects.get(round=draft, indicator__code="HC-01").revision == 2


def test_a_different_save_on_a_stale_revision_is_still_a_conflict(draft, colleagues):
    first, second = colleagues
    _save(first, draft, "HC-01", "2", "First version", revision=0, **{"HC-01-save_id": SAVE_ID})
    stale = _save(second, draft, "HC-01", "4", "Second version", revision=0, **{"HC-01-save_id": OTHER_SAVE_ID})

    assert stale.status_code == 409
    assert "A colleague changed this answer" in stale.content.decode()
    saved = Answer.objects.get(round=draft, indicator__code="HC-01")
    assert (saved.justification, saved.revision, saved.save_id.hex) == ("First version", 1, SAVE_ID.replace("-", ""))


def test_a_save_id_that_is_not_a_uuid_is_a_form_error(draft, quito, client):
    client.force_login(quito.editor)
    response = _save(client, draft, "HC-01", "2", "Typed", **{"HC-01-save_id": "not-a-uuid"})
    assert response.status_code == 422
    assert not Answer.objects.filter(round=draft).exists()


@pytest.mark.parametrize("overwrite", ["²", "①", "٣", "-1", "1.0", "1e3"])
def test_keep_my_version_with_a_revision_that_is_not_plain_digits_is_refused_and_changes_nothing(
    draft, colleagues, overwrite
):
    first, second = colleagues
    _save(first, draft, "HC-01", "2", "First version", revision=0)
    response = _save(second, draft, "HC-01", "4", "Second version", revision=0, overwrite=overwrite)

    assert response.status_code == 422
    assert "The version to keep is not valid" in response.content.decode()
    saved = Answer.objects.get(round=draft, indicator__code="HC-01")
    assert (saved.level, saved.justification, saved.revision) == (2, "First version", 1)
