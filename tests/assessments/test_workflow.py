"""The whole round, through the test client as its users would: fill in, submit, return, fix, validate."""

import re

import pytest
from django.core import mail
from django.db.models import QuerySet
from django.urls import reverse

from assessments import services
from assessments.models import Answer, ReviewItem, Round, StatusEvent
from indicators.models import Indicator
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db


def _save(client, round, code, choice, justification="", revision=0, **extra):
    return client.post(
        reverse("answer_save", args=[round.pk, code]),
        {f"{code}-choice": choice, f"{code}-justification": justification, f"{code}-revision": revision, **extra},
        headers={"HX-Request": "true"},
    )


def _review_post(client, round, action, decisions=None):
    page = client.get(reverse("round_review", args=[round.pk])).content.decode()
    data = {"action": action, "indicator": re.findall(r'<input type="hidden" name="indicator" value="([^"]+)">', page)}
    for code, fields in (decisions or {}).items():
        data.update({f"{code}-{name}": value for name, value in fields.items()})
    return client.post(reverse("round_review", args=[round.pk]), data)


def test_the_whole_round_from_draft_to_validated(client, draft, quito, reviewer, django_capture_on_commit_callbacks):
    quito.editor.email, quito.approver.email = "ed@quito.example", "ap@quito.example"
    quito.editor.save(), quito.approver.save()

    with django_capture_on_commit_callbacks(execute=True):  # mails go out after commit
        # The editor answers one indicator through the autosave endpoint; the page shows it after a reload.
        client.force_login(quito.editor)
        response = _save(client, draft, "HC-01", "3", "The committee meets monthly.")
        assert response.status_code == 200 and "Saved at" in response.content.decode()
        page = client.get(reverse("round_dimension", args=[draft.pk, "HC"])).content.decode()
        assert 'id="HC-01-level-3" value="3" checked' in page and "The committee meets monthly." in page

        # Submission is refused with every missing item listed and linked.
        client.force_login(quito.approver)
        refused = client.post(reverse("round_submit", args=[draft.pk]))
        body = refused.content.decode()
        assert refused.status_code == 422
        assert "HC-01</a> (Horizontal coherence): level 3 needs evidence" in body
        assert f'href="{reverse("round_dimension", args=[draft.pk, "VC"])}#indicator-VC-01"' in body
        draft.refresh_from_db()
        assert draft.status == Round.Status.DRAFT

        # With everything answered and evidenced, the approver submits; the round locks.
        answer_everything(draft, quito.editor, level=2)
        response = client.post(reverse("round_submit", args=[draft.pk]))
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.status == Round.Status.SUBMITTED and draft.submission_count == 1
        client.force_login(quito.editor)
        locked = _save(client, draft, "HC-02", "4", revision=1)
        assert locked.status_code == 403
        assert Answer.objects.get(round=draft, indicator__code="HC-02").level == 2

        # The reviewer returns two indicators with comments; the city sees exactly those.
        client.force_login(reviewer)
        response = _review_post(
            client,
            draft,
            "return",
            {
                "HC-02": {"send_back": "on", "comment": "Attach the adopted plan."},
                "VC-01": {"send_back": "on", "comment": "Which ministry takes part?"},
            },
        )
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.status == Round.Status.RETURNED
        assert set(ReviewItem.objects.filter(round=draft, returned=True).values_list("indicator__code", flat=True)) == {
            "HC-02",
            "VC-01",
        }
        client.force_login(quito.editor)
        overview = client.get(reverse("round_detail", args=[draft.pk])).content.decode()
        assert "Attach the adopted plan." in overview and "Which ministry takes part?" in overview
        assert _save(client, draft, "HC-03", "4", revision=1).status_code == 409  # not returned: still locked
        hc02 = Answer.objects.get(round=draft, indicator__code="HC-02")
        assert (
            _save(client, draft, "HC-02", "3", "The plan was adopted in May.", revision=hc02.revision).status_code
            == 200
        )

        # The approver resubmits; the reviewer sees what changed since the return.
        client.force_login(quito.approver)
        assert client.post(reverse("round_submit", args=[draft.pk])).status_code == 302
        client.force_login(reviewer)
        review_page = client.get(reverse("round_review", args=[draft.pk])).content.decode()
        assert "Changed since you returned it" in review_page
        assert (
            '<span class="diff-old">2 · Partial</span> → <span class="diff-new">3 · Operational</span>' in review_page
        )
        assert "The plan was adopted in May." in review_page
        assert "Nothing was changed." in review_page  # VC-01 was returned but left as it was

        # The reviewer lowers one level and validates; untouched levels are validated as given.
        response = _review_post(
            client, draft, "validate", {"IN-01": {"validated_level": "1", "comment": "Only a draft."}}
        )
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.status == Round.Status.VALIDATED and draft.validated_at
        assert ReviewItem.objects.get(round=draft, indicator__code="IN-01").validated_level == 1
        assert ReviewItem.objects.get(round=draft, indicator__code="HC-02").validated_level == 3
        assert not ReviewItem.objects.filter(round=draft, returned=True).exists()

    statuses = list(StatusEvent.objects.filter(round=draft).values_list("to_status", flat=True))
    assert statuses == ["draft", "submitted", "returned", "submitted", "validated"]
    subjects = [m.subject for m in mail.outbox]
    assert any("submitted" in s for s in subjects) and any("returned" in s for s in subjects)
    assert any("validated" in s for s in subjects)
    assert any("ap@quito.example" in m.to for m in mail.outbox if "returned" in m.subject)


def test_submitting_twice_is_refused_with_a_message(client, submitted, quito):
    client.force_login(quito.approver)
    response = client.post(reverse("round_submit", args=[submitted.pk]), follow=True)
    assert "already been submitted" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.submission_count == 1


def test_an_editor_cannot_submit(client, draft, quito):
    answer_everything(draft, quito.editor)
    client.force_login(quito.editor)
    assert client.post(reverse("round_submit", args=[draft.pk])).status_code == 403  # sees the round, may not sign
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT


def test_na_without_justification_and_unanswered_indicators_block_submission(client, draft, quito):
    answer_everything(draft, quito.editor)
    answer(draft, "SP-02", quito.editor, response="na", justification="")
    Answer.objects.filter(round=draft, indicator__code="DE-03").update(response="", level=None)
    client.force_login(quito.approver)
    body = client.post(reverse("round_submit", args=[draft.pk])).content.decode()
    assert "SP-02</a> (Stakeholder participation): N/A needs a justification" in body
    assert "DE-03</a> (Data and evidence): not answered" in body


def test_returning_needs_a_comment_for_each_ticked_indicator(client, submitted, reviewer):
    client.force_login(reviewer)
    response = _review_post(client, submitted, "return", {"HC-01": {"send_back": "on", "comment": ""}})
    assert "needs a comment" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Round.Status.SUBMITTED


def test_a_rejected_na_is_recorded_on_validation(client, draft, quito, reviewer):
    answer_everything(draft, quito.editor)
    answer(draft, "SP-02", quito.editor, response="na", justification="No emigration from our city.")
    client.force_login(quito.approver)
    client.post(reverse("round_submit", args=[draft.pk]))
    client.force_login(reviewer)
    _review_post(client, draft, "validate", {"SP-02": {"na_accepted": "no", "comment": "There is emigration."}})
    item = ReviewItem.objects.get(round=draft, indicator__code="SP-02")
    assert item.na_accepted is False


def test_history_lists_status_changes_and_answer_revisions(client, submitted, quito):
    client.force_login(quito.editor)
    body = client.get(reverse("round_history", args=[submitted.pk])).content.decode()
    assert "<strong>Submitted</strong>" in body
    assert "HC-01" in body and "quito-editor" in body


def test_optional_dimension_can_be_left_out_of_a_draft(client, draft, quito):
    client.force_login(quito.editor)
    client.post(reverse("round_dimension_toggle", args=[draft.pk, "DC"]))
    assert list(draft.omitted_dimensions.values_list("code", flat=True)) == ["DC"]
    assert not any(i.code.startswith("DC") for i in __import__("assessments.services").services.round_indicators(draft))
    assert client.post(reverse("round_dimension_toggle", args=[draft.pk, "HC"])).status_code == 404  # not optional


def test_consent_to_publish_is_for_approvers_of_validated_rounds(client, submitted, quito, reviewer):
    client.force_login(reviewer)
    _review_post(client, submitted, "validate")
    client.force_login(quito.approver)
    client.post(reverse("round_consent", args=[submitted.pk]), {"consent": "yes"})
    submitted.refresh_from_db()
    assert submitted.is_published
    client.force_login(quito.editor)
    assert client.post(reverse("round_consent", args=[submitted.pk]), {"consent": "no"}).status_code == 403
    submitted.refresh_from_db()
    assert submitted.publication_consent


def test_indicators_of_another_catalogue_version_are_unknown(client, draft, quito):
    client.force_login(quito.editor)
    assert _save(client, draft, "ZZ-99", "2").status_code == 404
    assert not Indicator.objects.filter(code="ZZ-99").exists()


def test_two_approvers_opening_the_same_period_at_once_get_a_clear_refusal_not_a_500(quito, monkeypatch):
    services.round_create(authority=quito.authority, period="2025", actor=quito.approver)
    # The other request checked before this one created its round: only the database sees the clash.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)

    with pytest.raises(services.WorkflowError, match="already has a round for 2025"):
        services.round_create(authority=quito.authority, period="2025", actor=quito.approver)

    monkeypatch.undo()
    assert Round.objects.filter(authority=quito.authority, period="2025").count() == 1
