"""Assignments: an approver gives a dimension or an indicator to a member, by a date; who has what, and how far."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.access import AccessDenied
from assessments.models import Membership, Round, StatusEvent
from assessments.services import WorkflowError
from collaboration import services
from collaboration.models import Assignment
from indicators.models import Dimension, Indicator
from tests.factories import MembershipFactory, UserFactory
from tests.world import answer, make_city

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _dimension(round, code="HC"):
    return Dimension.objects.get(version=round.version, code=code)


def _indicator(round, code):
    return Indicator.objects.get(version=round.version, code=code)


def _colleague(city, username="quito-colleague", role=Membership.Role.EDITOR):
    return MembershipFactory(
        authority=city.authority,
        user=UserFactory(username=username, first_name="Carla", last_name="Colleague"),
        role=role,
    ).user


def _assign(round, city, assignee, *, dimension=None, indicator=None, due_date=None):
    return services.assignment_set(
        round=round, actor=city.approver, assignee=assignee, dimension=dimension, indicator=indicator, due_date=due_date
    )


# --- services ------------------------------------------------------------------------------------


def test_an_approver_assigns_a_dimension_to_a_member_with_a_due_date(draft, quito):
    due = TODAY() + datetime.timedelta(days=10)

    assignment = _assign(draft, quito, quito.editor, dimension=_dimension(draft), due_date=due)

    assert (assignment.assignee, assignment.dimension.code, assignment.indicator, assignment.due_date) == (
        quito.editor,
        "HC",
        None,
        due,
    )
    assert assignment.assigned_by == quito.approver


def test_an_approver_assigns_a_single_indicator(draft, quito):
    assignment = _assign(draft, quito, quito.editor, indicator=_indicator(draft, "HC-02"))

    assert (assignment.dimension, assignment.indicator.code, assignment.subject_code) == (None, "HC-02", "HC-02")


def test_assigning_again_gives_it_to_the_new_person_and_the_history_says_so(draft, quito):
    colleague = _colleague(quito)
    _assign(draft, quito, quito.editor, dimension=_dimension(draft))

    _assign(draft, quito, colleague, dimension=_dimension(draft))

    [assignment] = Assignment.objects.filter(round=draft)
    assert assignment.assignee == colleague
    notes = list(StatusEvent.objects.filter(round=draft).values_list("note", flat=True))
    assert "HC assigned to quito-editor" in notes
    assert "HC assigned to Carla Colleague instead of quito-editor" in notes


def test_the_same_assignment_twice_writes_no_second_history_entry(draft, quito):
    _assign(draft, quito, quito.editor, dimension=_dimension(draft))
    events = StatusEvent.objects.filter(round=draft).count()

    _assign(draft, quito, quito.editor, dimension=_dimension(draft))

    assert StatusEvent.objects.filter(round=draft).count() == events


def test_a_person_who_is_not_a_member_cannot_be_assigned(draft, quito):
    stranger = UserFactory(username="stranger")

    with pytest.raises(WorkflowError, match="not a member of Quito"):
        _assign(draft, quito, stranger, dimension=_dimension(draft))
    assert not Assignment.objects.exists()


def test_a_member_of_another_authority_cannot_be_assigned(draft, quito):
    lima = make_city("lima")

    with pytest.raises(WorkflowError, match="not a member of Quito"):
        _assign(draft, quito, lima.editor, indicator=_indicator(draft, "HC-01"))
    assert not Assignment.objects.exists()


def test_nothing_is_assigned_on_a_submitted_round(submitted, quito):
    with pytest.raises(WorkflowError, match="only while the round's answers can change"):
        _assign(submitted, quito, quito.editor, dimension=_dimension(submitted))
    assert not Assignment.objects.exists()


def test_an_editor_cannot_assign(draft, quito):
    with pytest.raises(AccessDenied, match="Only an approver of Quito"):
        services.assignment_set(round=draft, actor=quito.editor, assignee=quito.editor, dimension=_dimension(draft))
    assert not Assignment.objects.exists()


def test_an_approver_of_another_authority_cannot_assign(draft, quito):
    lima = make_city("lima")

    with pytest.raises(AccessDenied):
        services.assignment_set(round=draft, actor=lima.approver, assignee=quito.editor, dimension=_dimension(draft))


def test_a_dimension_left_out_of_the_round_cannot_be_assigned(draft, quito):
    optional = Dimension.objects.filter(version=draft.version, optional=True).first()
    assessment_services.round_dimension_toggle(round=draft, dimension=optional, actor=quito.approver)

    with pytest.raises(WorkflowError, match="left out"):
        _assign(draft, quito, quito.editor, dimension=optional)


def test_taking_an_assignment_back_is_in_the_history(draft, quito):
    assignment = _assign(draft, quito, quito.editor, indicator=_indicator(draft, "HC-03"))

    services.assignment_remove(assignment=assignment, actor=quito.approver)

    assert not Assignment.objects.exists()
    last = StatusEvent.objects.filter(round=draft).last()
    assert (last.note, last.actor) == ("HC-03 no longer assigned to quito-editor", quito.approver)


def test_an_editor_cannot_take_an_assignment_back(draft, quito):
    assignment = _assign(draft, quito, quito.editor, indicator=_indicator(draft, "HC-03"))

    with pytest.raises(AccessDenied):
        services.assignment_remove(assignment=assignment, actor=quito.editor)
    assert Assignment.objects.filter(pk=assignment.pk).exists()


# --- the assignments page ------------------------------------------------------------------------


def _page(round):
    return reverse("assignment_list", args=[round.pk])


@pytest.fixture
def worked(draft, quito):
    """HC given to the editor, HC-01 on its own to a colleague; HC-01 and HC-02 answered, HC-03 "don't know"."""
    colleague = _colleague(quito)
    _assign(draft, quito, quito.editor, dimension=_dimension(draft), due_date=TODAY() + datetime.timedelta(days=3))
    _assign(draft, quito, colleague, indicator=_indicator(draft, "HC-01"))
    answer(draft, "HC-01", colleague, level=2)
    answer(draft, "HC-02", quito.editor, level=1)
    answer(draft, "HC-03", quito.editor, response="dk")
    hc = Indicator.objects.filter(version=draft.version, dimension__code="HC").count()
    return {"round": draft, "colleague": colleague, "hc_rest": hc - 1}


def test_the_page_shows_who_has_what_and_how_far_each_is(client, quito, worked):
    client.force_login(quito.editor)

    response = client.get(_page(worked["round"]))

    assert response.status_code == 200
    html = response.content.decode()
    rows = {a.subject_code: f'id="assignment-{a.pk}"' for a in Assignment.objects.all()}
    hc_row = html.split(rows["HC"])[1].split("</tr>")[0]
    hc01_row = html.split(rows["HC-01"])[1].split("</tr>")[0]
    # HC-01 is the colleague's on its own: the dimension counts HC-02 (answered) and HC-03 (don't know, not answered).
    assert f"1 of {worked['hc_rest']} answered" in hc_row
    assert "quito-editor" in hc_row
    assert "1 of 1 answered" in hc01_row
    assert "Carla Colleague" in hc01_row
    # an editor sees, but may not assign
    assert "assignment_remove" not in html and 'name="assignee"' not in html


def test_a_carried_over_answer_not_yet_confirmed_does_not_count(client, quito, worked):
    from assessments.models import Answer

    Answer.objects.filter(round=worked["round"], indicator__code="HC-02").update(carried_over=True)
    client.force_login(quito.editor)

    html = client.get(_page(worked["round"])).content.decode()

    assert f"0 of {worked['hc_rest']} answered" in html


def test_an_approver_assigns_from_the_page(client, quito, draft):
    client.force_login(quito.approver)
    due = TODAY() + datetime.timedelta(days=7)

    response = client.post(
        _page(draft), {"subject": "indicator:SP-02", "assignee": quito.editor.pk, "due_date": due.isoformat()}
    )

    assert response.status_code == 302
    [assignment] = Assignment.objects.all()
    assert (assignment.indicator.code, assignment.assignee, assignment.due_date) == ("SP-02", quito.editor, due)
    page = client.get(_page(draft)).content.decode()
    assert "SP-02 is assigned to quito-editor." in page


def test_the_members_select_lists_only_members(client, quito, draft):
    make_city("lima")
    client.force_login(quito.approver)

    html = client.get(_page(draft)).content.decode()

    select = html.split('name="assignee"')[1].split("</select>")[0]
    assert "quito-editor" in select and "quito-approver" in select
    assert "lima" not in select


def test_an_assignee_who_is_not_a_member_is_a_form_error(client, quito, draft):
    lima = make_city("lima")
    client.force_login(quito.approver)

    response = client.post(_page(draft), {"subject": "dimension:HC", "assignee": lima.editor.pk})

    assert response.status_code == 422
    assert "Choose a member of Quito." in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_due_date_in_the_past_is_a_form_error(client, quito, draft):
    client.force_login(quito.approver)
    yesterday = TODAY() - datetime.timedelta(days=1)

    response = client.post(
        _page(draft), {"subject": "dimension:HC", "assignee": quito.editor.pk, "due_date": yesterday.isoformat()}
    )

    assert response.status_code == 422
    assert "The due date cannot be in the past." in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_made_up_subject_is_a_form_error(client, quito, draft):
    client.force_login(quito.approver)

    response = client.post(_page(draft), {"subject": "indicator:ZZ-99", "assignee": quito.editor.pk})

    assert response.status_code == 422
    assert not Assignment.objects.exists()


def test_change_fills_the_form_with_the_assignment(client, quito, worked):
    client.force_login(quito.approver)

    html = client.get(_page(worked["round"]) + "?subject=indicator:HC-01").content.decode()

    assert "Change an assignment" in html
    assert f'value="{worked["colleague"].pk}" selected' in html


def test_an_approver_takes_an_assignment_back_from_the_page(client, quito, worked):
    client.force_login(quito.approver)
    assignment = Assignment.objects.get(indicator__code="HC-01")

    response = client.post(reverse("assignment_remove", args=[worked["round"].pk, assignment.pk]))

    assert response.status_code == 302
    assert not Assignment.objects.filter(pk=assignment.pk).exists()


def test_an_editor_posting_gets_a_403_page_and_nothing_changes(client, quito, worked):
    client.force_login(quito.editor)
    assignment = Assignment.objects.get(indicator__code="HC-01")

    assign = client.post(_page(worked["round"]), {"subject": "dimension:SP", "assignee": quito.editor.pk})
    remove = client.post(reverse("assignment_remove", args=[worked["round"].pk, assignment.pk]))

    assert assign.status_code == remove.status_code == 403
    assert "Only an approver of Quito can assign work." in assign.content.decode()
    assert Assignment.objects.count() == 2


def test_a_submitted_round_shows_its_assignments_and_takes_no_new_one(client, quito, worked):
    round = worked["round"]
    Round.objects.filter(pk=round.pk).update(status=Round.Status.SUBMITTED)
    client.force_login(quito.approver)

    page = client.get(_page(round))
    post = client.post(_page(round), {"subject": "dimension:SP", "assignee": quito.editor.pk})

    assert page.status_code == 200 and 'name="assignee"' not in page.content.decode()
    assert post.status_code == 409
    assert Assignment.objects.count() == 2


def test_another_citys_people_get_a_404(client, quito, worked):
    lima = make_city("lima")
    assignment = Assignment.objects.get(indicator__code="HC-01")
    round = worked["round"]

    for user in (lima.editor, lima.approver):
        client.force_login(user)
        assert client.get(_page(round)).status_code == 404
        assert client.post(_page(round), {"subject": "dimension:SP", "assignee": lima.editor.pk}).status_code == 404
        assert client.post(reverse("assignment_remove", args=[round.pk, assignment.pk])).status_code == 404
    assert Assignment.objects.count() == 2


def test_an_assignment_of_another_round_is_a_404(client, quito, worked, catalogue):
    lima = make_city("lima")
    other = assessment_services.round_create(authority=lima.authority, period="2025", actor=lima.approver)
    theirs = services.assignment_set(
        round=other, actor=lima.approver, assignee=lima.editor, dimension=_dimension(other)
    )
    client.force_login(quito.approver)

    response = client.post(reverse("assignment_remove", args=[worked["round"].pk, theirs.pk]))

    assert response.status_code == 404
    assert Assignment.objects.filter(pk=theirs.pk).exists()


def test_a_reviewer_who_sees_the_round_is_not_shown_the_assignments(client, quito, worked, reviewer):
    round = worked["round"]
    Round.objects.filter(pk=round.pk).update(status=Round.Status.SUBMITTED)
    client.force_login(reviewer)

    assert client.get(_page(round)).status_code == 403
    assert "Who has what" not in client.get(reverse("round_detail", args=[round.pk])).content.decode()


# --- the home page -------------------------------------------------------------------------------


def test_home_lists_what_is_assigned_to_the_user_with_progress_and_links(client, quito, worked):
    round = worked["round"]
    Assignment.objects.filter(dimension__code="HC").update(due_date=TODAY() - datetime.timedelta(days=2))
    client.force_login(quito.editor)

    html = client.get(reverse("home")).content.decode()

    section = html.split('id="assigned-to-you"')[1].split("</section>")[0]
    assert "Assigned to you" in html
    assert reverse("round_dimension", args=[round.pk, "HC"]) in section
    assert f"1 of {worked['hc_rest']} answered" in section
    assert "Overdue" in section
    assert "HC-01" not in section  # the colleague's


def test_home_links_an_indicator_to_its_card(client, quito, worked):
    client.force_login(worked["colleague"])

    section = client.get(reverse("home")).content.decode().split('id="assigned-to-you"')[1].split("</section>")[0]

    assert reverse("round_dimension", args=[worked["round"].pk, "HC"]) + "#indicator-HC-01" in section
    assert "1 of 1 answered" in section
    assert "Overdue" not in section


def test_home_leaves_out_assignments_of_rounds_no_longer_open(client, quito, worked):
    Round.objects.filter(pk=worked["round"].pk).update(status=Round.Status.SUBMITTED)
    client.force_login(quito.editor)

    assert "Assigned to you" not in client.get(reverse("home")).content.decode()


def test_home_says_nothing_to_someone_with_no_assignment(client, quito, worked):
    client.force_login(quito.approver)

    assert "Assigned to you" not in client.get(reverse("home")).content.decode()


def _home_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def test_home_costs_the_same_queries_with_one_or_ten_assignments(client, quito, draft, django_assert_max_num_queries):
    _assign(draft, quito, quito.editor, dimension=_dimension(draft))
    one = _home_queries(client, quito.editor)
    # nine more, on two rounds of two authorities
    other = make_city("guayaquil")
    MembershipFactory(authority=other.authority, user=quito.editor)
    second = assessment_services.round_create(authority=other.authority, period="2025", actor=other.approver)
    for code in ("SP", "VC", "IN"):
        _assign(draft, quito, quito.editor, dimension=_dimension(draft, code))
    for code in ("HC-01", "HC-02", "SP-01", "VC-01"):
        _assign(draft, quito, quito.editor, indicator=_indicator(draft, code))
    for code in ("HC", "SP"):
        services.assignment_set(
            round=second, actor=other.approver, assignee=quito.editor, dimension=_dimension(second, code)
        )
    assert Assignment.objects.filter(assignee=quito.editor).count() == 10
    client.force_login(quito.editor)

    with django_assert_max_num_queries(one):
        response = client.get(reverse("home"))

    assert response.content.decode().count('class="assignment-progress"') == 10


# --- the round page ------------------------------------------------------------------------------


def test_the_round_page_shows_who_has_what(client, quito, worked):
    client.force_login(quito.approver)

    html = client.get(reverse("round_detail", args=[worked["round"].pk])).content.decode()

    section = html.split('id="assignments"')[1].split("</section>")[0]
    assert "Who has what" in section
    assert f"1 of {worked['hc_rest']} answered" in section and "1 of 1 answered" in section
    assert reverse("assignment_list", args=[worked["round"].pk]) in section


def test_the_round_page_tells_approvers_they_can_assign(client, quito, draft):
    client.force_login(quito.approver)
    approver_section = client.get(reverse("round_detail", args=[draft.pk])).content.decode()
    client.force_login(quito.editor)
    editor_section = client.get(reverse("round_detail", args=[draft.pk])).content.decode()

    assert "Nothing in this round is assigned to anyone yet." in approver_section
    assert "Assign work" in approver_section
    assert "Nothing in this round is assigned to anyone yet." in editor_section
    assert "Assign work" not in editor_section


def test_the_round_page_costs_the_same_queries_with_one_or_ten_assignments(
    client, quito, draft, django_assert_max_num_queries
):
    _assign(draft, quito, quito.editor, dimension=_dimension(draft))
    client.force_login(quito.approver)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("round_detail", args=[draft.pk]))
    one = len(queries)
    for code in ("SP", "VC", "IN"):
        _assign(draft, quito, quito.editor, dimension=_dimension(draft, code))
    for code in ("HC-01", "HC-02", "SP-01", "VC-01", "IN-01", "IN-02"):
        _assign(draft, quito, quito.approver, indicator=_indicator(draft, code))

    with django_assert_max_num_queries(one):
        response = client.get(reverse("round_detail", args=[draft.pk]))

    assert "And 2 more assignments." in response.content.decode()


def test_a_due_date_passed_on_finished_work_is_not_overdue(client, quito, draft):
    _assign(draft, quito, quito.editor, indicator=_indicator(draft, "HC-01"))
    Assignment.objects.update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    answer(draft, "HC-01", quito.editor, level=3, justification="Done.")
    client.force_login(quito.editor)

    section = client.get(reverse("home")).content.decode().split('id="assigned-to-you"')[1].split("</section>")[0]

    assert "Overdue" not in section and "Done" in section
