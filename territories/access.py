"""Who sees what across levels and territories: the counterpart, the parent authority, the partner.

The roles of ``assessments.access`` still decide everything about a city's own round; this module
adds three bounded views of it, each with its own condition, and nothing else:

- the **counterpart** of a round (``Counterpart.user``) reaches that round's counterpart pages only
  (any other round is a 404), answers while they have not submitted, and sees the city's answers
  to the mirrored indicators only once both sides have submitted (``comparison_open``);
- the members of a **parent** authority see a municipality's round read-only, and count it in the
  roll-up, only while the municipality consents for that round to that parent (``RollupConsent``);
- the members of two **partner** authorities see each other's DC answers and scores only once both
  approvers have confirmed the partnership.

Invitations, consents and partnerships are the approvers' (and programme staff's) to make.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from assessments.access import AccessDenied, Capability, ProgrammeRole, can, programme_roles
from assessments.models import Authority, Membership, Round

from .models import Counterpart, Partnership, RollupConsent

STAFF = {ProgrammeRole.REVIEWER, ProgrammeRole.ADMINISTRATOR}


def _member_roles(user, authority_id: int) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user, authority_id=authority_id).values_list("role", flat=True))


def is_staff(user) -> bool:
    """Programme reviewers and administrators."""
    return bool(programme_roles(user) & STAFF)


def is_approver(user, authority_id: int) -> bool:
    """An approver of the authority, or an administrator."""
    return ProgrammeRole.ADMINISTRATOR in programme_roles(user) or Membership.Role.APPROVER in _member_roles(
        user, authority_id
    )


def is_member(user, authority_id: int) -> bool:
    return bool(_member_roles(user, authority_id))


# --- the counterpart -----------------------------------------------------------------------------


def counterpart_of(user, round_id: int) -> Counterpart | None:
    """The user's counterpart role on the round, if they hold it."""
    if not user.is_authenticated:
        return None
    return Counterpart.objects.filter(user=user, round_id=round_id).select_related("round__authority").first()


def can_invite_counterpart(user, round: Round) -> bool:
    """Programme staff who may see the round, or the authority's approvers, before the round is validated."""
    if round.status == Round.Status.VALIDATED:
        return False
    return (is_staff(user) and can(user, Capability.VIEW, round)) or is_approver(user, round.authority_id)


def comparison_open(counterpart: Counterpart, round: Round) -> bool:
    """Both sides have submitted: the city's round (submitted or validated, not draft or returned) and the counterpart.

    A returned round is open to changes again: the city's answers are hidden until it is resubmitted.
    """
    return counterpart.submitted and round.status in (Round.Status.SUBMITTED, Round.Status.VALIDATED)


def follows_comparison(user, counterpart: Counterpart, round: Round) -> bool:
    """The counterpart, and whoever may see the round (its members, reviewers): they see the comparison once open."""
    return counterpart.user_id == user.pk or can(user, Capability.VIEW, round)


def can_see_comparison(user, counterpart: Counterpart, round: Round) -> bool:
    """Once both have submitted: the counterpart, and whoever may see the round (its members, reviewers)."""
    return comparison_open(counterpart, round) and follows_comparison(user, counterpart, round)


def require_counterpart(user, round_id: int) -> Counterpart:
    """The user's counterpart role on round ``round_id``; a 404 if they hold none (another round is not theirs)."""
    counterpart = counterpart_of(user, round_id)
    if counterpart is None:
        raise Http404
    return counterpart


# --- the parent authority ------------------------------------------------------------------------


def parent_may_view(user, round: Round) -> bool:
    """Whether the user is a member of the round's parent authority and the municipality consents for this round.

    A consent is to one parent (``RollupConsent.parent``): it does not follow the municipality to another.
    """
    parent_id = round.authority.parent_id
    return (
        parent_id is not None
        and is_member(user, parent_id)
        and RollupConsent.objects.filter(round_id=round.pk, parent_id=parent_id).exists()
    )


def can_view_rollup(user, parent: Authority) -> bool:
    """The parent's members and programme staff see the parent's roll-up (of consenting municipalities only)."""
    return is_staff(user) or is_member(user, parent.pk)


# --- partner territories -------------------------------------------------------------------------


def partnerships_of(user):
    """The partnerships the user may see: staff all, members those of their authorities (confirmed or not)."""
    if is_staff(user):
        return Partnership.objects.all()
    if not user.is_authenticated:
        return Partnership.objects.none()
    mine = Membership.objects.filter(user=user).values("authority_id")
    return Partnership.objects.filter(Q(first_id__in=mine) | Q(second_id__in=mine))


def partner_view_open(user, partnership: Partnership) -> bool:
    """Whether the user sees the partners' DC answers side by side: confirmed by both, and a member or staff."""
    return partnership.confirmed and (
        is_staff(user) or is_member(user, partnership.first_id) or is_member(user, partnership.second_id)
    )


def require_partner_side(user, partnership: Partnership) -> int:
    """The id of the user's side of the partnership (approvers only); AccessDenied otherwise."""
    for authority_id in (partnership.first_id, partnership.second_id):
        if Membership.Role.APPROVER in _member_roles(user, authority_id):
            return authority_id
    raise AccessDenied(_("Only an approver of one of the two partners can do this."))
