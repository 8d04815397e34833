"""The report's improvement plan: its section, the three priorities on the first page, and the fingerprint.

Quito's 2025 round is answered at level 2 throughout and validated; an earlier 2023 round, validated
at level 1, is where most actions are made, so that their indicators moved from 1 to 2.
"""

import io
import re
from datetime import date

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader

from assessments import services as assessment_services
from assessments.models import Round
from assessments.sheet import SELF, VALIDATED, answer_sheet
from indicators.models import Indicator
from plans import services as plan_services
from plans.models import Action
from reports import services
from reports.context import (
    fingerprint,
    plan_actions,
    plan_facts,
    plan_section,
    priorities,
    report_context,
    report_facts,
)
from reports.models import ReportJob
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _loaded(round: Round) -> Round:
    return Round.objects.select_related("authority", "version").get(pk=round.pk)


@pytest.fixture
def earlier(quito, reviewer, validated) -> Round:
    """Quito's 2023 round, validated at level 1 throughout (made after 2025's, as a late entry would be)."""
    round = assessment_services.round_create(authority=quito.authority, period="2023", actor=quito.approver)
    answer_everything(round, quito.editor, level=1)
    assessment_services.round_submit(round=round, actor=quito.approver)
    return assessment_services.round_review(
        round=round, actor=reviewer, decisions={}, action=assessment_services.ReviewAction.VALIDATE
    )


def add_action(round: Round, actor, title: str, targets: dict[str, int], **fields) -> Action:
    """Add an action through the plan's service, linking indicators of the round's catalogue by code."""
    indicators = {i.code: i for i in Indicator.objects.filter(version=round.version, code__in=targets)}
    return plan_services.action_create(
        authority=round.authority,
        origin_round=round,
        actor=actor,
        title=title,
        owner=fields.pop("owner", "Office of Human Mobility"),
        start_date=fields.pop("start_date", date(2023, 1, 1)),
        due_date=fields.pop("due_date", date(2026, 6, 30)),
        targets={indicators[code]: level for code, level in targets.items()},
        **fields,
    )


def _cover(html: str) -> str:
    """The report's front: the cover, the executive summary and the three priorities, before the scores."""
    return html[html.index('<section class="cover"') : html.index('<section class="scores"')]


def test_the_plan_section_lists_actions_by_status_then_due_date_with_targets_and_movement(validated, earlier, quito):
    actor = quito.approver
    done = add_action(earlier, actor, "Committee", {"HC-01": 3}, due_date=date(2024, 1, 1), status="done")
    late = add_action(earlier, actor, "Plan chapter", {"HC-02": 2, "HC-03": 4}, due_date=date(2026, 1, 1))
    soon = add_action(earlier, actor, "Health desk", {"VC-01": 3}, due_date=date(2025, 1, 1))
    going = add_action(validated, actor, "Data unit", {"IN-01": 3}, status="in_progress")
    add_action(
        earlier,
        actor,
        "Dropped idea",
        {"SP-01": 3},
        due_date=date(2023, 6, 1),
        status="dropped",
        drop_reason="No money",
    )

    actions = plan_actions(_loaded(validated))
    section = plan_section(_loaded(validated), actions)

    # Planned (by due date), in progress, done, dropped: the order of Action.Status.
    assert [row["action"].title for row in section["actions"]] == [
        "Health desk",
        "Plan chapter",
        "Data unit",
        "Committee",
        "Dropped idea",
    ]
    by_title = {row["action"].title: row for row in section["actions"]}
    assert [
        (i["code"], i["target"], i["before"], i["after"], i["moved"], i["reached"])
        for i in by_title["Plan chapter"]["indicators"]
    ] == [("HC-02", 2, 1, 2, "up", True), ("HC-03", 4, 1, 2, "up", False)]
    assert by_title["Plan chapter"]["origin_period"] == "2023" and by_title["Plan chapter"]["since_origin"]
    # An action made in this round has no movement yet: only its level now.
    assert by_title["Data unit"]["since_origin"] is False
    assert by_title["Data unit"]["indicators"][0]["moved"] == ""
    assert {a.pk for a in actions} == {done.pk, late.pk, soon.pk, going.pk} | {by_title["Dropped idea"]["action"].pk}


def test_the_html_the_pdf_is_made_from_holds_the_plan_section_after_the_summary(validated, earlier, quito):
    add_action(earlier, quito.approver, "Plan chapter", {"HC-02": 2}, owner="Planning Department")

    html, _fingerprint = services.render_report_html(_loaded(validated), "en", charts="figures")

    assert html.index("Scores by dimension</h2>") < html.index("<h2>Improvement plan</h2>") < html.index("HC · ")
    plan = html[html.index("<h2>Improvement plan</h2>") :]
    plan = plan[: plan.index("</section>")]
    assert "Plan chapter" in plan and "Planning Department" in plan and "made in 2023" in plan
    assert re.search(r"HC-02</span> · target 2 ·\s+level 1 in 2023, 2 in 2025 \(up\) · <strong>target reached", plan)
    assert "has no improvement plan" not in html


def test_an_authority_without_a_plan_gets_a_clear_sentence(validated):
    html, _fingerprint = services.render_report_html(_loaded(validated), "en", charts="figures")

    assert "Quito has no improvement plan yet: no action was recorded in 2025 or before." in html


def test_actions_made_after_the_round_are_not_its_plan(validated, quito):
    later = assessment_services.round_create(authority=quito.authority, period="2027", actor=quito.approver)
    add_action(later, quito.approver, "Next year's idea", {"HC-01": 3})

    html, _fingerprint = services.render_report_html(_loaded(validated), "en", charts="figures")

    assert "Next year's idea" not in html and "has no improvement plan yet" in html


def test_the_three_priorities_come_from_the_plans_open_actions_due_soonest(validated, earlier, quito):
    actor = quito.approver
    for title, due, status in [
        ("Due 2027", date(2027, 1, 1), "planned"),
        ("Due 2025", date(2025, 1, 1), "in_progress"),
        ("Done early", date(2023, 6, 1), "done"),
        ("Due 2026", date(2026, 1, 1), "planned"),
        ("Due 2028", date(2028, 1, 1), "planned"),
    ]:
        add_action(earlier, actor, title, {"HC-01": 3}, due_date=due, status=status)

    context = report_context(_loaded(validated), "en", charts=None)

    assert context["priorities"]["source"] == "plan"
    assert [a.title for a in context["priorities"]["actions"]] == ["Due 2025", "Due 2026", "Due 2027"]
    cover = _cover(services.render_report_html(_loaded(validated), "en", charts="figures")[0])
    assert "Three priorities" in cover and "The open actions of the improvement plan that are due soonest." in cover
    assert cover.index("Due 2025") < cover.index("Due 2026") < cover.index("Due 2027")
    assert "Due 2028" not in cover and "Done early" not in cover


def test_without_an_open_action_the_priorities_are_the_weakest_indicators_with_the_catalogues_suggestion(draft, quito):
    answer_everything(draft, quito.editor, level=3)
    answer(draft, "DC-01", quito.editor, level=1)
    answer(draft, "VC-02", quito.editor, level=1)
    answer(draft, "SP-03", quito.editor, level=0)
    answer(draft, "HC-04", quito.editor, level=2)
    answer(draft, "HC-05", quito.editor, response="dk")
    add_action(draft, quito.approver, "Finished", {"HC-01": 3}, status="done")

    context = report_context(_loaded(draft), "en", charts=None)

    chosen = context["priorities"]["indicators"]
    assert context["priorities"]["source"] == "indicators" and context["priorities"]["actions"] == []
    # Lowest level first, catalogue order (HC, VC, SP, IN, DE, DC) among equals; "don't know" has no level.
    assert [item["indicator"].code for item in chosen] == ["SP-03", "VC-02", "DC-01"]
    sp03 = Indicator.objects.get(version=draft.version, code="SP-03")
    assert chosen[0]["suggestion"] == sp03.suggestion and sp03.suggestion
    cover = _cover(services.render_report_html(_loaded(draft), "en", charts="figures")[0])
    assert "the indicators at the lowest level in this round" in cover
    assert sp03.suggestion in cover and "level 0, Not in place" in cover


def test_priorities_read_the_validated_levels_of_a_validated_round(validated, quito):
    sheet = answer_sheet(_loaded(validated))
    # Level 2 everywhere, as the city said and the reviewer kept it: the first three in catalogue order.
    assert [i["indicator"].code for i in priorities(sheet, [], VALIDATED)["indicators"]] == ["HC-01", "HC-02", "HC-03"]
    assert [i["level"] for i in priorities(sheet, [], SELF)["indicators"]] == [2, 2, 2]


def test_no_open_action_and_nothing_below_level_three_says_so(draft, quito):
    answer_everything(draft, quito.editor, level=4)

    cover = _cover(services.render_report_html(_loaded(draft), "en", charts="figures")[0])

    assert "The plan has no open action, and no indicator of this round is below level 3." in cover


def test_the_fingerprint_changes_when_the_plan_changes_and_only_then(validated, earlier, quito):
    round = _loaded(validated)

    def current() -> str:
        return fingerprint(report_facts(round), "en")

    start = current()
    action = add_action(earlier, quito.approver, "Plan chapter", {"HC-02": 2})
    with_action = current()
    assert with_action != start and current() == with_action
    action = plan_services.action_change(
        action=action, actor=quito.approver, base_revision=action.revision, due_date=date(2027, 1, 1)
    )
    changed = current()
    assert changed != with_action
    plan_services.action_change(
        action=action, actor=quito.approver, base_revision=action.revision, targets={action.links.get().indicator: 3}
    )
    retargeted = current()
    assert retargeted != changed
    plan_services.update_add(action=Action.objects.get(pk=action.pk), actor=quito.editor, text="A first meeting.")
    assert current() != retargeted
    # The request (facts alone) and the render (facts with the plan loaded) agree on the fingerprint.
    assert report_context(round, "en", charts=None)["fingerprint"] == current()


def test_plan_facts_read_alone_equal_those_of_the_loaded_plan(validated, earlier, quito):
    add_action(earlier, quito.approver, "One", {"HC-02": 2})
    second = add_action(validated, quito.approver, "Two", {"HC-03": 3})
    plan_services.update_add(action=second, actor=quito.editor, text="Started.")
    round = _loaded(validated)

    assert (
        plan_facts(round)
        == plan_facts(round, plan_actions(round))
        == sorted([[a.pk, a.revision, a.updates.count()] for a in Action.objects.all()])
    )


def test_a_stale_pdf_is_not_served_after_a_plan_change(validated, quito, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = services.report_request(round=validated, user=quito.approver, language="en")
    # Pretend the first job finished, with a file, for the inputs as they were.
    first.status = ReportJob.Status.DONE
    first.file.save("done.pdf", ContentFile(b"%PDF-1.4"), save=False)
    first.save(update_fields=["status", "file"])
    assert services.report_request(round=validated, user=quito.approver, language="en").pk == first.pk

    add_action(validated, quito.approver, "Plan chapter", {"HC-02": 3})

    again = services.report_request(round=validated, user=quito.approver, language="en")
    assert again.pk != first.pk and again.fingerprint != first.fingerprint


# The render without a plan (tests/reports/test_reports.py), plus the plan's links and updates and
# the levels of the linked indicators (answers and review items of the origin and this round);
# + 1 + 3 for who took part (the evidence other apps keep, the consultations, the survey and its answers);
# + 1 for the round's national or regional counterpart (none here).
RENDER_WITH_PLAN = {"draft": 8 + 4 + 3 + 1 + 3 + 1, "validated": 9 + 4 + 3 + 1 + 3 + 1}


@pytest.mark.parametrize("actions", [1, 6])
def test_the_plan_adds_a_constant_number_of_queries_to_the_report(
    validated, earlier, quito, django_assert_num_queries, actions
):
    for n in range(actions):
        add_action(earlier if n % 2 else validated, quito.approver, f"Action {n}", {"HC-01": 3, "VC-02": 2})
    round = _loaded(validated)

    with django_assert_num_queries(RENDER_WITH_PLAN["validated"]):
        context = report_context(round, "en", charts=None)
    assert len(context["plan"]["actions"]) == actions


def test_the_pdf_shows_the_plan_and_the_priorities(validated, earlier, quito, django_capture_on_commit_callbacks):
    add_action(earlier, quito.approver, "Set up an inter-departmental committee", {"HC-01": 3})

    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(round=validated, user=quito.approver, language="en")
    job.refresh_from_db()

    with job.file.open("rb") as handle:
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages]
    front = "\n".join(pages[1:3])  # the executive summary and the priorities follow the cover
    assert "Three priorities" in front and "Set up an inter-departmental committee" in front
    text = "\n".join(pages)
    assert "Improvement plan" in text and "made in 2023" in text
