"""Who may do what to an authority's improvement plan: one table, read by views, services and scopes.

The roles are those of ``assessments.access`` (a membership's role on the authority, or a programme
role). A plan is the authority's whatever the status of its rounds: its members edit it, programme
reviewers read every plan and comment on actions, and anyone else learns nothing of it (a 404).
"""

from __future__ import annotations

from enum import StrEnum

from django.http import Http404
from django.utils.translation import gettext as _

from assessments.access import AccessDenied, ProgrammeRole, authorities_granting, granted_by
from assessments.models import Authority, Membership


class PlanCapability(StrEnum):
    VIEW = "view"  # the plan, its actions, updates, comments and history
    EDIT = "edit"  # add and change actions, report progress, set targets, take up or dismiss suggestions
    COMMENT = "comment"  # comment on an action


PLAN_GRANTS: dict[str, frozenset[PlanCapability]] = {
    Membership.Role.EDITOR: frozenset({PlanCapability.VIEW, PlanCapability.EDIT}),
    Membership.Role.APPROVER: frozenset({PlanCapability.VIEW, PlanCapability.EDIT}),
    ProgrammeRole.REVIEWER: frozenset({PlanCapability.VIEW, PlanCapability.COMMENT}),
    ProgrammeRole.ADMINISTRATOR: frozenset(PlanCapability),
}


def plan_capabilities(user, authority_id: int) -> frozenset[PlanCapability]:
    """What the user may do to the authority's plan."""
    return granted_by(PLAN_GRANTS, user, authority_id)


def visible_authorities(user):
    """The authorities whose plans the user may read."""
    return authorities_granting(PLAN_GRANTS, PlanCapability.VIEW, user)


def require(user, capability: PlanCapability, authority: Authority) -> None:
    """Refuse (a 404 if the user may not even read the plan, else AccessDenied, a 403) unless ``capability``."""
    granted = plan_capabilities(user, authority.pk)
    if PlanCapability.VIEW not in granted:
        raise Http404
    if capability not in granted:
        refusals = {
            PlanCapability.EDIT: _("Only members of %(authority)s can change its improvement plan."),
            PlanCapability.COMMENT: _("Only programme reviewers can comment on actions."),
        }
        raise AccessDenied(refusals.get(capability, _("You are not allowed to do this.")) % {"authority": authority})
