"""Who may do what with an authority's stakeholders, consultations and surveys: one table.

The roles are those of ``assessments.access``. The register of groups is the authority's: its
members keep it, programme reviewers read it. A round's consultations and survey results are read
by whoever may read the round (``Capability.VIEW``: a reviewer sees no draft), and a consultation is
evidence, so it is recorded while the round's evidence may change (``Capability.EDIT_EVIDENCE``).
A survey is opened and closed by the authority's approvers, in any status of the round: what
stakeholders think never changes a score. The survey's respondents have no account and no role:
they reach only the survey's own page, through its token (``views_public``).
"""

from __future__ import annotations

from enum import StrEnum

from django.http import Http404
from django.utils.translation import gettext as _

from assessments.access import AccessDenied, Capability, ProgrammeRole, authorities_granting, can, granted_by
from assessments.models import Authority, Membership, Round


class ParticipationCapability(StrEnum):
    VIEW = "view"  # the register of groups
    RECORD = "record"  # add and change groups; record consultations (while the round's evidence may change)
    RUN_SURVEY = "run_survey"  # open, extend and close a round's perception survey


PARTICIPATION_GRANTS: dict[str, frozenset[ParticipationCapability]] = {
    Membership.Role.EDITOR: frozenset({ParticipationCapability.VIEW, ParticipationCapability.RECORD}),
    Membership.Role.APPROVER: frozenset(ParticipationCapability),
    ProgrammeRole.REVIEWER: frozenset({ParticipationCapability.VIEW}),
    ProgrammeRole.ADMINISTRATOR: frozenset(ParticipationCapability),
}


def participation_capabilities(user, authority_id: int) -> frozenset[ParticipationCapability]:
    """What the user may do with the authority's register and surveys."""
    return granted_by(PARTICIPATION_GRANTS, user, authority_id)


def visible_authorities(user):
    """The authorities whose registers the user may read."""
    return authorities_granting(PARTICIPATION_GRANTS, ParticipationCapability.VIEW, user)


def _refusal(capability: ParticipationCapability, authority: Authority) -> str:
    """Say why ``capability`` was refused, in the user's language (built when refused, never at import)."""
    messages = {
        ParticipationCapability.RECORD: _("Only members of %(authority)s can change its stakeholder register."),
        ParticipationCapability.RUN_SURVEY: _("Only the approvers of %(authority)s can open or close its surveys."),
    }
    return messages.get(capability, _("You are not allowed to do this.")) % {"authority": authority}


def require(user, capability: ParticipationCapability, authority: Authority) -> None:
    """Refuse (a 404 if the user may not even read the register, else AccessDenied, a 403) unless ``capability``."""
    granted = participation_capabilities(user, authority.pk)
    if ParticipationCapability.VIEW not in granted:
        raise Http404
    if capability not in granted:
        raise AccessDenied(_refusal(capability, authority))


def can_record_consultations(user, round: Round) -> bool:
    """Whether the user may record, change or remove the round's consultations now (they are evidence)."""
    return can(user, Capability.EDIT_EVIDENCE, round) and ParticipationCapability.RECORD in participation_capabilities(
        user, round.authority_id
    )


def can_run_survey(user, round: Round) -> bool:
    """Whether the user may open, extend or close the round's perception survey."""
    return can(user, Capability.VIEW, round) and ParticipationCapability.RUN_SURVEY in participation_capabilities(
        user, round.authority_id
    )


def require_record(user, round: Round) -> None:
    """Refuse (AccessDenied) unless the user may change the round's consultations now."""
    if not can_record_consultations(user, round):
        raise AccessDenied(_("The consultations of this round cannot be changed now."))


def require_survey(user, round: Round) -> None:
    """Refuse (AccessDenied) unless the user may run the round's survey."""
    if not can_run_survey(user, round):
        raise AccessDenied(_refusal(ParticipationCapability.RUN_SURVEY, round.authority))
