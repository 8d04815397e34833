"""The plan services: each rule refuses with a reason, history records every change, nothing is half-written."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from assessments.access import AccessDenied
from indicators.models import Indicator
from plans import services
from plans.models import (
    Action,
    ActionComment,
    ActionIndicator,
    ActionRevision,
    ActionUpdate,
    Plan,
    PlanTarget,
    SuggestionDismissal,
)
from tests.factories import IndicatorFactory, RoundFactory, UserFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
START, DUE = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _indicator(round, code):
    return Indicator.objects.get(version=round.version, code=code)


def _create(city, round, **overrides):
    fields = {
        "authority": city.authority,
        "origin_round": round,
        "actor": city.editor,
        "title": "A newcomers' desk in every district",
        "owner": "Office of migrant affairs",
        "start_date": START,
        "due_date": DUE,
        "targets": {_indicator(round, "HC-01"): 3},
    }
    return services.action_create(**{**fields, **overrides})


@pytest.fixture
def action(quito, draft):
    return _create(quito, draft)


# --- plans ---------------------------------------------------------------------------------------


def test_plan_for_makes_the_plan_once(quito):
    first = services.plan_for(quito.authority)
    assert services.plan_for(quito.authority) == first
    assert Plan.objects.filter(authority=quito.authority).count() == 1


# --- action_create -------------------------------------------------------------------------------


def test_creating_an_action_records_its_links_and_a_first_history_entry(quito, draft):
    action = _create(quito, draft, targets={_indicator(draft, "HC-01"): 4, _indicator(draft, "VC-02"): 2})

    assert {(link.indicator.code, link.target_level) for link in action.links.all()} == {("HC-01", 4), ("VC-02", 2)}
    (revision,) = ActionRevision.objects.filter(action=action)
    assert revision.old is None
    assert revision.new["target_levels"] == {"HC-01": 4, "VC-02": 2}
    assert revision.new["title"] == "A newcomers' desk in every district"
    assert revision.changed_by == quito.editor


def test_an_action_needs_at_least_one_indicator(quito, draft):
    with pytest.raises(services.PlanError, match="at least one indicator"):
        _create(quito, draft, targets={})
    assert not Action.objects.exists()


def test_an_indicator_of_another_catalogue_version_is_refused(quito, draft):
    foreign = IndicatorFactory()  # of a version of its own
    with pytest.raises(services.PlanError, match="unknown or foreign indicator"):
        _create(quito, draft, targets={foreign: 3})
    assert not Action.objects.exists()


@pytest.mark.parametrize("level", [-1, 5, True, "3"])
def test_a_target_level_outside_zero_to_four_is_refused(quito, draft, level):
    with pytest.raises(services.PlanError, match="target level"):
        _create(quito, draft, targets={_indicator(draft, "HC-01"): level})
    assert not Action.objects.exists()


def test_the_due_date_cannot_be_before_the_start(quito, draft):
    with pytest.raises(services.PlanError, match="due date"):
        _create(quito, draft, start_date=DUE, due_date=START)
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "x" * 201, "limit is 200"),
        ("title", "   ", "title"),
        ("description", "x" * 5001, "limit is 5000"),
        ("owner", "", "department"),
        ("budget", "lots", "budget"),
        ("budget_amount", Decimal("-1"), "amount"),
        ("budget_amount", "ten", "not a number"),
        ("status", "finished", "status"),
        ("status", Action.Status.DROPPED, "why the action is dropped"),
    ],
)
def test_bad_fields_are_refused_with_a_reason_and_nothing_is_written(quito, draft, field, value, message):
    with pytest.raises(services.PlanError, match=message):
        _create(quito, draft, **{field: value})
    assert not Action.objects.exists()
    assert not ActionRevision.objects.exists()


def test_a_round_of_another_authority_is_refused(quito, draft):
    lima = make_city("lima")
    with pytest.raises(services.PlanError, match="not one of the authority's"):
        _create(lima, draft)  # Lima's editor, Lima's plan, Quito's round
    assert not Action.objects.exists()


def test_the_person_responsible_must_be_a_member(quito, draft):
    with pytest.raises(services.PlanError, match="member"):
        _create(quito, draft, owner_user=UserFactory())
    action = _create(quito, draft, owner_user=quito.approver)
    assert action.owner_user == quito.approver


def test_another_authoritys_editor_cannot_add_to_the_plan(quito, draft):
    lima = make_city("lima")
    with pytest.raises(Http404):
        _create(quito, draft, actor=lima.editor)
    assert not Action.objects.exists()


def test_a_reviewer_cannot_add_an_action(quito, draft, reviewer):
    with pytest.raises(AccessDenied):
        _create(quito, draft, actor=reviewer)
    assert not Action.objects.exists()


def test_a_dropped_action_can_be_created_with_its_reason(quito, draft):
    action = _create(quito, draft, status=Action.Status.DROPPED, drop_reason="Already done by the province.")
    assert action.drop_reason == "Already done by the province."


# --- action_change -------------------------------------------------------------------------------


def test_a_change_is_recorded_with_old_and_new_and_raises_the_revision(quito, draft, action):
    changed = services.action_change(
        action=action,
        actor=quito.approver,
        base_revision=action.revision,
        title="A desk in every district and online",
        targets={_indicator(draft, "HC-01"): 4, _indicator(draft, "HC-02"): 2},
    )

    assert changed.revision == action.revision + 1
    revision = ActionRevision.objects.filter(action=action).latest("id")
    assert revision.old["title"] == "A newcomers' desk in every district"
    assert revision.new["title"] == "A desk in every district and online"
    assert revision.old["target_levels"] == {"HC-01": 3}
    assert revision.new["target_levels"] == {"HC-01": 4, "HC-02": 2}
    assert revision.changed_by == quito.approver


def test_the_targets_replace_the_links(quito, draft, action):
    services.action_change(
        action=action, actor=quito.editor, base_revision=action.revision, targets={_indicator(draft, "SP-01"): 1}
    )
    assert list(ActionIndicator.objects.filter(action=action).values_list("indicator__code", "target_level")) == [
        ("SP-01", 1)
    ]


def test_a_stale_revision_is_refused_and_writes_nothing(quito, draft, action):
    services.action_change(action=action, actor=quito.approver, base_revision=0, title="Changed by the approver")
    revisions = ActionRevision.objects.count()

    with pytest.raises(services.ActionConflict, match="Someone else changed") as refused:
        services.action_change(
            action=action,
            actor=quito.editor,
            base_revision=0,
            title="Changed by the editor",
            targets={_indicator(draft, "VC-01"): 4},
        )

    saved = Action.objects.get(pk=action.pk)
    assert saved.title == "Changed by the approver"
    assert saved.revision == 1
    assert refused.value.current.title == "Changed by the approver"
    assert list(saved.links.values_list("indicator__code", flat=True)) == ["HC-01"]
    assert ActionRevision.objects.count() == revisions


def test_a_change_that_changes_nothing_records_nothing(quito, action):
    services.action_change(action=action, actor=quito.editor, base_revision=0, title=action.title)
    assert Action.objects.get(pk=action.pk).revision == 0
    assert ActionRevision.objects.filter(action=action).count() == 1


def test_a_foreign_indicator_is_refused_on_change(quito, action):
    with pytest.raises(services.PlanError, match="unknown or foreign"):
        services.action_change(action=action, actor=quito.editor, base_revision=0, targets={IndicatorFactory(): 2})
    assert list(action.links.values_list("indicator__code", flat=True)) == ["HC-01"]


def test_an_invalid_change_writes_nothing(quito, draft, action):
    with pytest.raises(services.PlanError):
        services.action_change(
            action=action,
            actor=quito.editor,
            base_revision=0,
            due_date=datetime.date(2000, 1, 1),
            targets={_indicator(draft, "VC-01"): 4},
        )
    saved = Action.objects.get(pk=action.pk)
    assert (saved.due_date, saved.revision) == (DUE, 0)
    assert list(saved.links.values_list("indicator__code", flat=True)) == ["HC-01"]


def test_changing_an_unknown_field_is_a_programming_error(quito, action):
    with pytest.raises(TypeError):
        services.action_change(action=action, actor=quito.editor, base_revision=0, plan=None)


def test_a_reviewer_cannot_change_an_action(reviewer, action):
    with pytest.raises(AccessDenied):
        services.action_change(action=action, actor=reviewer, base_revision=0, title="Reviewer's")
    assert Action.objects.get(pk=action.pk).title != "Reviewer's"


def test_a_person_responsible_who_left_does_not_block_other_changes(quito, draft):
    action = _create(quito, draft, owner_user=quito.approver)
    quito.approver.memberships.all().delete()
    services.action_change(action=action, actor=quito.editor, base_revision=0, title="Still theirs")
    assert Action.objects.get(pk=action.pk).owner_user == quito.approver


# --- action_set_status ---------------------------------------------------------------------------


def test_dropping_needs_a_reason(quito, action):
    with pytest.raises(services.PlanError, match="why"):
        services.action_set_status(action=action, actor=quito.editor, status=Action.Status.DROPPED, reason="  ")
    assert Action.objects.get(pk=action.pk).status == Action.Status.PLANNED


def test_leaving_dropped_clears_the_reason_and_each_move_is_in_the_history(quito, action):
    services.action_set_status(action=action, actor=quito.editor, status=Action.Status.DROPPED, reason="No budget.")
    services.action_set_status(action=action, actor=quito.editor, status=Action.Status.IN_PROGRESS)

    saved = Action.objects.get(pk=action.pk)
    assert (saved.status, saved.drop_reason, saved.revision) == (Action.Status.IN_PROGRESS, "", 2)
    moves = [
        (r.old["status"], r.new["status"])
        for r in ActionRevision.objects.filter(action=action).exclude(old__isnull=True)
    ]
    assert moves == [("planned", "dropped"), ("dropped", "in_progress")]


def test_setting_the_same_status_records_nothing(quito, action):
    services.action_set_status(action=action, actor=quito.editor, status=Action.Status.PLANNED)
    assert ActionRevision.objects.filter(action=action).count() == 1


def test_an_unknown_status_is_refused(quito, action):
    with pytest.raises(services.PlanError):
        services.action_set_status(action=action, actor=quito.editor, status="paused")


# --- update_add ----------------------------------------------------------------------------------


def test_a_progress_update_with_a_file_keeps_its_name(quito, draft, action):
    update = services.update_add(
        action=action,
        actor=quito.editor,
        text="The first desk opened.",
        round=draft,
        file=SimpleUploadedFile("opening.pdf", PDF),
    )
    assert update.filename == "opening.pdf"
    assert update.file.read() == PDF
    assert update.date == timezone.localdate()
    assert update.round == draft


def test_a_link_is_stored_with_its_scheme_in_lower_case(quito, action):
    update = services.update_add(action=action, actor=quito.editor, text="Minutes.", url="HTTPS://example.org/m")
    assert update.url == "https://example.org/m"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": ""}, "progress"),
        ({"text": "x" * 5001}, "limit is 5000"),
        ({"url": "ftp://example.org/m"}, "http and https"),
        ({"url": "javascript:alert(1)"}, "http and https"),
        ({"url": "https://example.org", "file": "pdf"}, "either a file or a link"),
        ({"file": "exe"}, "not an accepted type"),
        ({"file": "renamed"}, "does not match its name"),
        ({"date": timezone.localdate() + datetime.timedelta(days=1)}, "future"),
    ],
)
def test_bad_progress_updates_are_refused_and_nothing_is_written(quito, action, tmp_path, fields, message):
    files = {
        "pdf": SimpleUploadedFile("a.pdf", PDF),
        "exe": SimpleUploadedFile("tool.exe", b"MZ\x90\x00"),
        "renamed": SimpleUploadedFile("photo.png", PDF),
    }
    if "file" in fields:
        fields["file"] = files[fields["file"]]
    with pytest.raises(services.PlanError, match=message):
        services.update_add(action=action, actor=quito.editor, **{"text": "Progress.", **fields})
    assert not ActionUpdate.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_a_file_over_the_limit_is_refused(quito, action, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    with pytest.raises(services.PlanError, match="limit"):
        services.update_add(action=action, actor=quito.editor, text="Big.", file=SimpleUploadedFile("a.pdf", PDF))
    assert not ActionUpdate.objects.exists()


def test_an_update_in_another_authoritys_round_is_refused(quito, action):
    lima = make_city("lima")
    with pytest.raises(services.PlanError, match="not one of the authority's"):
        services.update_add(
            action=action, actor=quito.editor, text="Progress.", round=RoundFactory(authority=lima.authority)
        )
    assert not ActionUpdate.objects.exists()


def test_a_reviewer_cannot_report_progress(reviewer, action):
    with pytest.raises(AccessDenied):
        services.update_add(action=action, actor=reviewer, text="Progress.")


# --- comment_add ---------------------------------------------------------------------------------


def test_a_reviewer_comments_and_a_member_may_not(quito, reviewer, action):
    comment = services.comment_add(action=action, actor=reviewer, text="  Which districts first?  ")
    assert comment.text == "Which districts first?"
    with pytest.raises(AccessDenied):
        services.comment_add(action=action, actor=quito.editor, text="Us too.")
    assert ActionComment.objects.count() == 1


def test_an_empty_comment_is_refused(reviewer, action):
    with pytest.raises(services.PlanError):
        services.comment_add(action=action, actor=reviewer, text=" ")
    assert not ActionComment.objects.exists()


# --- targets and dismissals ----------------------------------------------------------------------


def test_a_target_is_set_then_changed(quito):
    services.target_set(authority=quito.authority, indicator_code="HC-01", level=4, actor=quito.editor)
    target = services.target_set(authority=quito.authority, indicator_code="HC-01", level=2, actor=quito.editor)
    assert target.level == 2
    assert PlanTarget.objects.filter(plan__authority=quito.authority).count() == 1


@pytest.mark.parametrize(("code", "level"), [("HC-01", 5), ("NOPE-99", 3)])
def test_a_bad_target_is_refused(quito, code, level):
    with pytest.raises(services.PlanError):
        services.target_set(authority=quito.authority, indicator_code=code, level=level, actor=quito.editor)
    assert not PlanTarget.objects.exists()


def test_a_reviewer_cannot_set_targets(quito, reviewer):
    with pytest.raises(AccessDenied):
        services.target_set(authority=quito.authority, indicator_code="HC-01", level=4, actor=reviewer)


def test_dismissing_a_suggestion_twice_keeps_one_record(quito, draft):
    hc01 = _indicator(draft, "HC-01")
    first = services.suggestion_dismiss(round=draft, indicator=hc01, actor=quito.editor)
    again = services.suggestion_dismiss(round=draft, indicator=hc01, actor=quito.approver)
    assert first == again
    assert SuggestionDismissal.objects.count() == 1


def test_dismissing_needs_the_rounds_indicator_and_an_editor(quito, draft, reviewer):
    with pytest.raises(services.PlanError):
        services.suggestion_dismiss(round=draft, indicator=IndicatorFactory(), actor=quito.editor)
    with pytest.raises(AccessDenied):
        services.suggestion_dismiss(round=draft, indicator=_indicator(draft, "HC-01"), actor=reviewer)
    assert not SuggestionDismissal.objects.exists()
