"""Writes of the collaboration app: assignments (the workbook's are in ``workbook.py``).

Each function is one transaction, checks ``access.work_capabilities`` on the round it has just
locked, and refuses with ``assessments.services.WorkflowError`` (out of turn, bad input) or
``AccessDenied`` (the role does not allow it). Every change is a history entry of the round.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from assessments import events
from assessments.access import AccessDenied
from assessments.models import Membership, Round, StatusEvent
from assessments.services import WorkflowError
from indicators.models import Dimension, Indicator

from .access import WorkCapability, work_capabilities
from .models import Assignment


def person_name(user) -> str:
    """How a person is named in the history and on the pages: their full name, or else their user name."""
    return user.get_full_name() or user.get_username()


def _require(actor, capability: WorkCapability, round: Round) -> None:
    if capability not in work_capabilities(actor, round.authority_id):
        raise AccessDenied(_("Only an approver of %(authority)s can assign work.") % {"authority": round.authority})


def _locked(round: Round) -> Round:
    return Round.objects.select_for_update().select_related("authority").get(pk=round.pk)


def _require_open(round: Round) -> None:
    if not round.is_editable:
        raise WorkflowError(_("Work can be assigned only while the round's answers can change."))


def _history(round: Round, actor, note: str) -> None:
    StatusEvent.objects.create(round=round, from_status=round.status, to_status=round.status, actor=actor, note=note)


@transaction.atomic
def assignment_set(
    *,
    round: Round,
    actor,
    assignee,
    dimension: Dimension | None = None,
    indicator: Indicator | None = None,
    due_date: datetime.date | None = None,
) -> Assignment:
    """Give a dimension or one indicator of an open round to a member of its authority (or change who has it)."""
    round = _locked(round)
    _require(actor, WorkCapability.ASSIGN, round)
    _require_open(round)
    if (dimension is None) == (indicator is None):
        raise WorkflowError(_("Choose a dimension or an indicator."))
    subject = dimension or indicator
    if subject.version_id != round.version_id:
        raise WorkflowError(_("This is not part of the round's catalogue."))
    dimension_id = dimension.pk if dimension else indicator.dimension_id
    if round.omitted_dimensions.filter(pk=dimension_id).exists():
        raise WorkflowError(_("%(code)s is part of a dimension left out of this round.") % {"code": subject.code})
    if not Membership.objects.filter(user=assignee, authority_id=round.authority_id).exists():
        raise WorkflowError(
            _("%(person)s is not a member of %(authority)s.")
            % {"person": person_name(assignee), "authority": round.authority}
        )
    lookup = {"dimension": dimension} if dimension else {"indicator": indicator}
    # The round's lock serialises every write of its assignments: no lock of their own.
    before = Assignment.objects.filter(round=round, **lookup).select_related("assignee").first()
    if before is not None and before.assignee_id == assignee.pk and before.due_date == due_date:
        return before  # nothing changes: no history entry
    assignment, _created = Assignment.objects.update_or_create(
        round=round, **lookup, defaults={"assignee": assignee, "due_date": due_date, "assigned_by": actor}
    )
    values = {"code": subject.code, "person": person_name(assignee)}
    if before is None or before.assignee_id == assignee.pk:
        note = _("%(code)s assigned to %(person)s") % values
    else:
        note = _("%(code)s assigned to %(person)s instead of %(previous)s") % {
            **values,
            "previous": person_name(before.assignee),
        }
    if due_date:
        note = _("%(note)s, due %(date)s") % {"note": note, "date": due_date.isoformat()}
    _history(round, actor, note)
    # The assignee hears of a new assignment and of a moved due date alike.
    data = {"code": subject.code, "dimension": dimension.code if dimension else indicator.dimension.code}
    if due_date:
        data["due_date"] = due_date.isoformat()
    events.emit([events.Event(events.Kind.ASSIGNED, round, actor, (assignee.pk,), data)])
    return assignment


@transaction.atomic
def assignment_remove(*, assignment: Assignment, actor) -> None:
    """Take an assignment back while the round is open (the history records it)."""
    round = _locked(assignment.round)
    _require(actor, WorkCapability.ASSIGN, round)
    _require_open(round)
    current = (
        Assignment.objects.select_related("assignee", "dimension", "indicator")
        .filter(pk=assignment.pk, round=round)
        .first()
    )
    if current is None:
        raise WorkflowError(_("This assignment was already taken back."))
    code, person = current.subject_code, person_name(current.assignee)
    current.delete()
    _history(round, actor, _("%(code)s no longer assigned to %(person)s") % {"code": code, "person": person})
