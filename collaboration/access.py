"""Who may do what with a round's assignments and workbook, on top of ``assessments.access``.

Every member of the authority sees who has what; approvers (and administrators) assign. The
workbook needs nothing of its own: downloading it is seeing the round (``Capability.VIEW``), and
uploading it is changing answers (``Capability.EDIT_ANSWERS``), checked again by every answer saved.
"""

from __future__ import annotations

from enum import StrEnum

from assessments.access import ProgrammeRole, granted_by
from assessments.models import Membership


class WorkCapability(StrEnum):
    VIEW = "view"  # who has what
    ASSIGN = "assign"  # give a dimension or an indicator to a member, change or take it back


GRANTS: dict[str, frozenset[WorkCapability]] = {
    Membership.Role.EDITOR: frozenset({WorkCapability.VIEW}),
    Membership.Role.APPROVER: frozenset({WorkCapability.VIEW, WorkCapability.ASSIGN}),
    ProgrammeRole.ADMINISTRATOR: frozenset({WorkCapability.VIEW, WorkCapability.ASSIGN}),
}


def work_capabilities(user, authority_id: int) -> frozenset[WorkCapability]:
    return granted_by(GRANTS, user, authority_id)
