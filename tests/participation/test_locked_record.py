"""The record of a consultation stays as it was once its round is locked, and the admin shows no one's answers.

A round's evidence, its consultations included, changes only in draft or returned
(``assessments.access.OPEN``). Once submitted or validated, neither the site's services nor the
admin change its consultations or the names of the groups that took part. The admin never shows
one survey response's answers together: below ``MIN_RESPONSES`` they could tell who answered.
Also here: the consultation form's fieldsets name their errors, and an API help text is lazy.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise

from assessments.models import Round
from participation import services
from participation.api import PerceptionSerializer
from participation.models import Consultation, Stakeholder, SurveyAnswer, SurveyResponse
from participation.perception import MIN_RESPONSES
from tests.factories import RoundFactory, UserFactory
from tests.participation.factories import ConsultationFactory, StakeholderFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


def _locked(round: Round, status: str = Round.Status.SUBMITTED) -> Round:
    validated_at = timezone.now() if status == Round.Status.VALIDATED else None
    Round.objects.filter(pk=round.pk).update(status=status, validated_at=validated_at)
    round.refresh_from_db()
    return round


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def group(quito) -> Stakeholder:
    return StakeholderFactory(authority=quito.authority, name="Harbour Migrants Union")


# --- the register: a group's name and category as the locked round recorded them ----------------


@pytest.mark.parametrize("status", [Round.Status.SUBMITTED, Round.Status.VALIDATED])
@pytest.mark.parametrize("change", ["name", "category"])
def test_a_group_that_took_part_in_a_locked_rounds_consultation_keeps_its_name_and_category(
    quito, group, status, change
):
    ConsultationFactory(round=_locked(RoundFactory(authority=quito.authority), status), groups=[group])
    values = {"name": group.name, "category": group.category, change: "Renamed Union"}
    values["category"] = Stakeholder.Category.PRIVATE_SECTOR if change == "category" else group.category

    with pytest.raises(services.ParticipationError, match="stay as they were recorded"):
        services.stakeholder_save(authority=quito.authority, actor=quito.editor, stakeholder=group, **values)

    group.refresh_from_db()
    assert (group.name, group.category) == ("Harbour Migrants Union", Stakeholder.Category.CIVIL_SOCIETY)


def test_a_group_of_a_locked_rounds_consultation_may_still_get_a_description(quito, group):
    ConsultationFactory(round=_locked(RoundFactory(authority=quito.authority)), groups=[group])

    services.stakeholder_save(
        authority=quito.authority,
        actor=quito.editor,
        stakeholder=group,
        name=group.name,
        category=group.category,
        description="Speaks for dock workers.",
    )

    group.refresh_from_db()
    assert group.description == "Speaks for dock workers."


@pytest.mark.parametrize("status", [Round.Status.DRAFT, Round.Status.RETURNED])
def test_a_group_whose_consultations_are_all_of_open_rounds_may_be_renamed(quito, group, status):
    round = RoundFactory(authority=quito.authority)
    if status != Round.Status.DRAFT:
        _locked(round, status)
    ConsultationFactory(round=round, groups=[group])

    services.stakeholder_save(
        authority=quito.authority, actor=quito.editor, stakeholder=group, name="Port Union", category=group.category
    )

    group.refresh_from_db()
    assert group.name == "Port Union"


def test_the_site_shows_the_refusal_to_rename_a_group_of_a_locked_round_as_a_form_error(client, quito, group):
    ConsultationFactory(round=_locked(RoundFactory(authority=quito.authority)), groups=[group])
    client.force_login(quito.editor, backend="django.contrib.auth.backends.ModelBackend")

    response = client.post(
        reverse("stakeholder_edit", args=["quito", group.pk]), {"name": "Renamed", "category": group.category}
    )

    assert response.status_code == 422
    assert "stay as they were recorded" in response.content.decode()
    group.refresh_from_db()
    assert group.name == "Harbour Migrants Union"


# --- a consultation never links a group that left the register ----------------------------------


def test_a_consultation_naming_a_group_removed_meanwhile_is_refused_and_nothing_is_written(quito, draft, group):
    Stakeholder.objects.filter(pk=group.pk).delete()  # removed after the form was read
    values = {"date": YESTERDAY, "method": "workshop", "participants": 10, "summary": "Said.", "groups": [group]}

    with pytest.raises(services.ParticipationError, match="removed from the register meanwhile"):
        services.consultation_save(round=draft, actor=quito.editor, values=values)

    assert not Consultation.objects.exists()


def test_a_consultation_of_a_round_removed_meanwhile_is_refused_with_a_reason(quito):
    round = RoundFactory(authority=quito.authority)
    Round.objects.filter(pk=round.pk).delete()
    values = {"date": YESTERDAY, "method": "workshop", "participants": 10, "summary": "Said."}

    with pytest.raises(services.ParticipationError, match="round has been removed"):
        services.consultation_save(round=round, actor=quito.editor, values=values)


def test_a_group_edited_after_it_was_removed_is_refused_not_written_again(quito, group):
    Stakeholder.objects.filter(pk=group.pk).delete()

    with pytest.raises(services.ParticipationError, match="removed from the register meanwhile"):
        services.stakeholder_save(
            authority=quito.authority, actor=quito.editor, stakeholder=group, name="Back", category=group.category
        )

    assert not Stakeholder.objects.exists()


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_does_not_remove_a_group_that_took_part_in_a_consultation(admin_client, quito, draft, group):
    ConsultationFactory(round=draft, groups=[group])
    unused = StakeholderFactory(authority=quito.authority, name="Never consulted")
    changelist = reverse("admin:participation_stakeholder_changelist")

    page = admin_client.get(reverse("admin:participation_stakeholder_delete", args=[group.pk]))
    bulk = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [group.pk, unused.pk], "post": "yes"}
    )
    alone = admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [unused.pk], "post": "yes"})

    assert page.status_code == 403
    assert bulk.status_code == 403
    assert alone.status_code == 302
    assert list(Stakeholder.objects.values_list("name", flat=True)) == ["Harbour Migrants Union"]
    assert (
        b"deletelink"
        not in admin_client.get(reverse("admin:participation_stakeholder_change", args=[group.pk])).content
    )


def _admin_consultation_data(consultation: Consultation, round: Round, **changes) -> dict:
    return {
        "round": round.pk,
        "date": consultation.date.isoformat(),
        "method": consultation.method,
        "participants": 12,
        "summary": "Changed in the admin.",
        "created_by": consultation.created_by.pk,
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
        **changes,
    }


@pytest.mark.parametrize("status", [Round.Status.SUBMITTED, Round.Status.VALIDATED])
def test_the_admin_refuses_to_change_a_consultation_of_a_locked_round(admin_client, quito, status):
    consultation = ConsultationFactory(round=RoundFactory(authority=quito.authority))
    _locked(consultation.round, status)
    url = reverse("admin:participation_consultation_change", args=[consultation.pk])

    response = admin_client.post(url, _admin_consultation_data(consultation, consultation.round))

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "its evidence is locked" in errors
    consultation.refresh_from_db()
    assert consultation.summary != "Changed in the admin."


def test_the_admin_refuses_to_move_a_consultation_into_a_locked_round_or_record_one_there(admin_client, quito):
    consultation = ConsultationFactory(round=RoundFactory(authority=quito.authority))
    locked = _locked(RoundFactory(authority=quito.authority))

    moved = admin_client.post(
        reverse("admin:participation_consultation_change", args=[consultation.pk]),
        _admin_consultation_data(consultation, locked),
    )
    added = admin_client.post(
        reverse("admin:participation_consultation_add"), _admin_consultation_data(consultation, locked)
    )

    for response in (moved, added):
        assert response.status_code == 200
        assert "its evidence is locked" in " ".join(response.context["adminform"].form.non_field_errors())
    assert Consultation.objects.count() == 1
    assert Consultation.objects.get().round_id != locked.pk


def test_the_admin_still_changes_a_consultation_of_a_returned_round(admin_client, quito):
    consultation = ConsultationFactory(round=_locked(RoundFactory(authority=quito.authority), Round.Status.RETURNED))
    url = reverse("admin:participation_consultation_change", args=[consultation.pk])

    assert admin_client.post(url, _admin_consultation_data(consultation, consultation.round)).status_code == 302
    consultation.refresh_from_db()
    assert consultation.summary == "Changed in the admin."


def test_the_admin_does_not_remove_a_consultation_of_a_locked_round(admin_client, quito):
    consultation = ConsultationFactory(round=_locked(RoundFactory(authority=quito.authority)))

    response = admin_client.post(
        reverse("admin:participation_consultation_delete", args=[consultation.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Consultation.objects.filter(pk=consultation.pk).exists()


def test_the_admin_never_shows_one_responses_answers_together_but_removes_spam(admin_client, catalogue):
    response = SurveyResponseFactory(answers={"SP-01": (3, "Meetings happen, few follow-ups."), "SP-02": 1})
    change = reverse("admin:participation_surveyresponse_change", args=[response.pk])

    page = admin_client.get(change)

    assert page.status_code == 200
    assert b"Meetings happen, few follow-ups." not in page.content
    assert b"answers-TOTAL_FORMS" not in page.content
    removed = admin_client.post(
        reverse("admin:participation_surveyresponse_delete", args=[response.pk]), {"post": "yes"}
    )
    assert removed.status_code == 302
    assert not SurveyResponse.objects.exists() and not SurveyAnswer.objects.exists()


# --- the consultation form: each group's errors are tied to its fieldset -------------------------


def test_a_fieldsets_error_is_named_by_its_aria_describedby(client, quito, draft):
    client.force_login(quito.editor, backend="django.contrib.auth.backends.ModelBackend")
    data = {
        "date": YESTERDAY.isoformat(),
        "method": "workshop",
        "participants": "10",
        "summary": "Said.",
        "groups": ["999999"],
        "indicators": ["999999"],
        "dimensions": ["999999"],
    }

    response = client.post(reverse("consultation_create", args=[draft.pk]), data)

    assert response.status_code == 422
    html = response.content.decode()
    for name in ("groups", "indicators", "dimensions"):
        assert f'aria-describedby="id_{name}_help id_{name}_error"' in html
        assert html.count(f'id="id_{name}_error"') == 1


def test_a_fieldset_without_errors_is_described_by_its_help_only(client, quito, draft):
    client.force_login(quito.editor, backend="django.contrib.auth.backends.ModelBackend")

    html = client.get(reverse("consultation_create", args=[draft.pk])).content.decode()

    for name in ("groups", "indicators", "dimensions"):
        assert f'aria-describedby="id_{name}_help"' in html
        assert f'id="id_{name}_error"' not in html


# --- the API's help text -------------------------------------------------------------------------


def test_the_median_help_text_is_translated_when_read_not_when_imported():
    help_text = PerceptionSerializer().fields["median"].help_text

    assert isinstance(help_text, Promise)
    assert str(help_text) == f"The median of their levels; null below {MIN_RESPONSES} responses."
