"""One access policy: the table of roles and capabilities, asked by scopes, services, views and templates."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import access, services
from assessments.access import GRANTS, AccessDenied, Capability
from assessments.models import Answer, Evidence, Membership, Round, StatusEvent
from indicators.models import Dimension, Indicator
from tests.factories import MembershipFactory, UserFactory
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db


def _indicator(round: Round, code: str = "HC-01") -> Indicator:
    return Indicator.objects.get(version=round.version, code=code)


def _dimension(round: Round, code: str = "DC") -> Dimension:
    return Dimension.objects.get(version=round.version, code=code)


def _save(round: Round, actor, level: int = 3):
    return services.answer_save(
        round=round,
        indicator=_indicator(round),
        actor=actor,
        response=Answer.Response.LEVEL,
        level=level,
        justification="The council adopted it.",
        base_revision=0,
    )


# --- the table -----------------------------------------------------------------------------------


def test_the_table_names_only_membership_and_programme_roles():
    assert set(GRANTS) <= {*Membership.Role.values, *access.ProgrammeRole}
    assert set(Membership.Role.values) <= set(GRANTS)  # every role today has its row


def test_a_membership_role_missing_from_the_table_gets_no_rights(client, draft, quito):
    observer = MembershipFactory(authority=quito.authority, role="observer").user  # a role added, not granted

    assert access.capabilities(observer, draft) == frozenset()
    assert not Round.objects.editable_by(observer).exists()
    assert not Round.objects.visible_to(observer).exists()
    assert not Round.objects.approvable_by(observer).exists()
    with pytest.raises(AccessDenied):
        _save(draft, observer)
    client.force_login(observer)
    url = reverse("answer_save", args=[draft.pk, "HC-01"])
    data = {"HC-01-choice": "3", "HC-01-justification": "Mine.", "HC-01-revision": 0}
    assert client.post(url, data, headers={"HX-Request": "true"}).status_code == 404
    assert not Answer.objects.filter(round=draft).exists()


def test_an_editor_may_change_answers_of_an_open_round_but_not_sign_it(draft, quito):
    assert access.capabilities(quito.editor, draft) == {
        Capability.VIEW,
        Capability.DOWNLOAD,
        Capability.EDIT_ANSWERS,
        Capability.EDIT_EVIDENCE,
        Capability.TOGGLE_DIMENSIONS,
        Capability.COMMENT,
    }
    assert Capability.SUBMIT in access.capabilities(quito.approver, draft)


def test_a_locked_round_is_read_only_to_its_own_members_who_may_still_discuss_it(submitted, quito):
    assert access.capabilities(quito.editor, submitted) == {Capability.VIEW, Capability.DOWNLOAD, Capability.COMMENT}
    assert not Round.objects.editable_by(quito.approver).exists()


def test_granting_a_capability_in_the_table_grants_it_to_scopes_services_views_and_pages(
    client, draft, quito, monkeypatch
):
    answer_everything(draft, quito.editor)
    client.force_login(quito.editor)
    page = client.get(reverse("round_detail", args=[draft.pk])).content.decode()
    assert reverse("round_submit", args=[draft.pk]) not in page

    monkeypatch.setitem(
        GRANTS, Membership.Role.EDITOR, {**GRANTS[Membership.Role.EDITOR], Capability.SUBMIT: access.OPEN}
    )

    assert Round.objects.approvable_by(quito.editor).get() == draft
    page = client.get(reverse("round_detail", args=[draft.pk])).content.decode()
    assert reverse("round_submit", args=[draft.pk]) in page
    assert client.post(reverse("round_submit", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Round.Status.SUBMITTED


def test_the_home_page_says_what_waits_by_capability(client, draft, quito):
    client.force_login(quito.approver)
    assert "Fill in the answers, then submit" in client.get(reverse("home")).content.decode()
    client.force_login(quito.editor)
    body = client.get(reverse("home")).content.decode()
    assert "Fill in the answers, then submit" not in body and "Fill in the answers" in body


# --- every service checks who acts ---------------------------------------------------------------


def _evidence(round: Round, user) -> Evidence:
    return services.evidence_add(
        round=round, indicator=_indicator(round), actor=user, description="Minutes", url="https://example.org/m"
    )


SERVICE_CALLS = {
    "answer_save by another city's editor": lambda round, people: _save(round, people["outsider"]),
    "answer_save by a reviewer": lambda round, people: _save(round, people["reviewer"]),
    "evidence_add by another city's editor": lambda round, people: _evidence(round, people["outsider"]),
    "evidence_remove by another city's editor": lambda round, people: services.evidence_remove(
        evidence=people["evidence"], actor=people["outsider"]
    ),
    "round_create by an editor": lambda round, people: services.round_create(
        authority=round.authority, period="2031", actor=people["editor"]
    ),
    "round_dimension_toggle by a reviewer": lambda round, people: services.round_dimension_toggle(
        round=round, dimension=_dimension(round), actor=people["reviewer"]
    ),
    "round_submit by an editor": lambda round, people: services.round_submit(round=round, actor=people["editor"]),
    "round_set_consent by an editor": lambda round, people: services.round_set_consent(
        round=round, actor=people["editor"], consent=True
    ),
    "round_review by an approver": lambda round, people: services.round_review(
        round=round, actor=people["approver"], decisions={}, action=services.ReviewAction.SAVE
    ),
}


@pytest.mark.parametrize("call", SERVICE_CALLS.values(), ids=SERVICE_CALLS.keys())
def test_every_service_refuses_an_actor_whose_role_does_not_allow_it(draft, quito, reviewer, call):
    people = {
        "editor": quito.editor,
        "approver": quito.approver,
        "reviewer": reviewer,
        "outsider": make_city("kasserine").editor,
        "evidence": _evidence(draft, quito.editor),
    }

    with pytest.raises(AccessDenied):
        call(draft, people)

    assert not Answer.objects.filter(round=draft, revision__gt=0).exists()
    assert list(Evidence.objects.values_list("pk", flat=True)) == [people["evidence"].pk]
    assert not Round.objects.filter(period="2031").exists()
    assert not draft.omitted_dimensions.exists()
    assert StatusEvent.objects.filter(round=draft).count() == 1  # opened, nothing since


@pytest.mark.parametrize("who", ["editor", "approver", "reviewer"])
def test_the_service_refuses_any_change_to_a_locked_round(submitted, quito, reviewer, who):
    actor = {"editor": quito.editor, "approver": quito.approver, "reviewer": reviewer}[who]
    before = Answer.objects.get(round=submitted, indicator__code="HC-01")

    with pytest.raises(AccessDenied, match="You cannot change this round now"):
        answer(submitted, "HC-01", actor, level=4)

    after = Answer.objects.get(pk=before.pk)
    assert (after.level, after.revision) == (before.level, before.revision)


def test_out_of_turn_the_service_says_why_once_the_role_allows_it(submitted, quito):
    with pytest.raises(services.WorkflowError, match="already been submitted"):
        services.round_submit(round=submitted, actor=quito.approver)


def test_opening_a_round_is_for_approvers_of_that_authority(catalogue, quito):
    other = make_city("kasserine")
    with pytest.raises(AccessDenied):
        services.round_create(authority=other.authority, period="2026", actor=quito.approver)
    assert services.round_create(authority=quito.authority, period="2026", actor=quito.approver).pk


# --- the dimension toggle, a service with a lock and a history entry ------------------------------


def test_leaving_a_dimension_out_and_taking_it_back_are_in_the_round_history(client, draft, quito):
    dc = _dimension(draft)

    services.round_dimension_toggle(round=draft, dimension=dc, actor=quito.editor)
    assert list(draft.omitted_dimensions.all()) == [dc]
    services.round_dimension_toggle(round=draft, dimension=dc, actor=quito.approver)
    assert list(draft.omitted_dimensions.all()) == []

    notes = list(StatusEvent.objects.filter(round=draft).order_by("pk").values_list("actor", "note"))
    assert notes[1:] == [
        (quito.editor.pk, f"“{dc.name}” left out (optional)"),
        (quito.approver.pk, f"“{dc.name}” assessed after all"),
    ]
    client.force_login(quito.editor)
    history = client.get(reverse("round_history", args=[draft.pk])).content.decode()
    assert f"“{dc.name}” left out (optional)" in history


def test_the_toggle_locks_the_round_row_before_it_changes_it(draft, quito):
    with CaptureQueriesContext(connection) as queries:
        services.round_dimension_toggle(round=draft, dimension=_dimension(draft), actor=quito.editor)
    sql = [query["sql"] for query in queries.captured_queries]
    locked = next(i for i, q in enumerate(sql) if 'FROM "assessments_round"' in q and "FOR UPDATE" in q)
    changed = next(i for i, q in enumerate(sql) if "assessments_round_omitted_dimensions" in q and "INSERT" in q)
    assert locked < changed


def test_the_toggle_view_goes_through_the_service(client, draft, quito):
    client.force_login(quito.editor)
    response = client.post(reverse("round_dimension_toggle", args=[draft.pk, "DC"]))
    assert response.status_code == 302
    assert StatusEvent.objects.filter(round=draft, note__contains="left out").exists()


def test_the_toggle_is_refused_once_the_round_is_submitted_and_changes_nothing(submitted, quito):
    with pytest.raises(AccessDenied, match="draft"):
        services.round_dimension_toggle(round=submitted, dimension=_dimension(submitted), actor=quito.editor)
    assert not submitted.omitted_dimensions.exists()


def test_the_toggle_refuses_a_core_dimension(draft, quito):
    with pytest.raises(services.WorkflowError):
        services.round_dimension_toggle(round=draft, dimension=_dimension(draft, "HC"), actor=quito.editor)
    assert not draft.omitted_dimensions.exists()


# --- views answer "may not" by the table: 404 unseen, 403 seen but not allowed -------------------


def test_a_member_who_may_see_but_not_sign_gets_a_403_page_that_says_why(client, draft, quito):
    client.force_login(quito.editor)
    response = client.get(reverse("round_submit", args=[draft.pk]))
    assert response.status_code == 403
    assert f"Only an approver of {quito.authority.name} can submit." in response.content.decode()


def test_another_citys_member_gets_a_404_for_the_same_request(client, draft):
    client.force_login(make_city("kasserine").approver)
    assert client.get(reverse("round_submit", args=[draft.pk])).status_code == 404


def test_an_evidence_file_is_downloaded_by_those_the_table_lets_download(client, draft, quito, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    evidence = services.evidence_add(
        round=draft, indicator=_indicator(draft), actor=quito.editor, description="Plan", file=pdf
    )
    client.force_login(UserFactory())
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code == 404
    client.force_login(quito.editor)
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n%%EOF\n"
    response.close()


# --- the programme coordinator (assessments.open_rounds): opens rounds, reads none -----------------


def test_a_coordinator_may_open_a_round_for_any_authority_but_reads_no_round(catalogue, quito, draft):
    from django.contrib.auth.models import Permission  # this section was added below the module's imports

    coordinator = UserFactory(username="cora-coordinator")
    coordinator.user_permissions.add(Permission.objects.get(codename="open_rounds"))
    coordinator = type(coordinator).objects.get(pk=coordinator.pk)  # a fresh permission cache

    assert access.programme_capabilities(coordinator) == {Capability.OPEN_ROUND}
    assert set(access.authorities_where(coordinator, Capability.OPEN_ROUND)) == {quito.authority}
    assert services.round_create(authority=quito.authority, period="2026", actor=coordinator).pk
    assert not Round.objects.visible_to(coordinator).exists()
    assert access.capabilities(coordinator, draft) == {Capability.OPEN_ROUND}  # nothing of the round itself
    with pytest.raises(AccessDenied):
        services.round_submit(round=draft, actor=coordinator)
