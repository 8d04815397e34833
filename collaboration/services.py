"""Writes of the collaboration app: assignments (the workbook's are in ``workbook.py``).

Each function is one transaction and refuses with ``assessments.services.WorkflowError``.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from assessments.access import AccessDenied
from assessments.models import Membership, Round, StatusEvent
from assessments.services import WorkflowError
from indicators.models import Dimension, Indicator

from .access import WorkCapability, work_capabilities
from .models import Assignment


def _require(actor, capability: WorkCapability, round: Round) -> None:
    if capability not in work_capabilities(actor, round.authority_id):
        raise AccessDenied(_("Only an approver of %(authority)s can assign work.") % {"authority": round.authority})


def _locked(round: Round) -> Round:
    return Round.objects.select_for_update().select_related("authority").get(pk=round.pk)


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
    if not round.is_editable:
        raise WorkflowError(_("Work can be assigned only while the round's answers can change."))
    if (dimension is None) == (indicator is None):
        raise WorkflowError(_("Choose a dimension or an indicator."))
    subject = dimension or indicator
    if subject.version_id != round.version_id:
        raise WorkflowError(_("This is not part of the round's catalogue."))
    if not Membership.objects.filter(user=assignee, authority_id=round.authority_id).exists():
        raise WorkflowError(
            _("%(person)s is not a member of %(authority)s.") % {"person": assignee, "authority": round.authority}
        )
    lookup = {"dimension": dimension} if dimension else {"indicator": indicator}
    assignment, _created = Assignment.objects.update_or_create(
        round=round, **lookup, defaults={"assignee": assignee, "due_date": due_date, "assigned_by": actor}
    )
    StatusEvent.objects.create(
        round=round,
        from_status=round.status,
        to_status=round.status,
        actor=actor,
        note=_("%(code)s assigned to %(person)s") % {"code": subject.code, "person": assignee},
    )
    return assignment


@transaction.atomic
def assignment_remove(*, assignment: Assignment, actor) -> None:
    """Take an assignment back (the history records it)."""
    round = _locked(assignment.round)
    _require(actor, WorkCapability.ASSIGN, round)
    code, person = assignment.subject_code, assignment.assignee
    assignment.delete()
    StatusEvent.objects.create(
        round=round,
        from_status=round.status,
        to_status=round.status,
        actor=actor,
        note=_("%(code)s no longer assigned to %(person)s") % {"code": code, "person": person},
    )
