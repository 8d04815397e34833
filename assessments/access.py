"""Who may do what to a round: one table of roles and capabilities, and the checks that read it.

A person holds roles. On one authority, through a membership (``Membership.Role``); across the
programme, as a reviewer (the ``assessments.review_round`` permission) or an administrator (a
superuser). ``GRANTS`` says what each role may do and in which of a round's statuses. Everything
asks it: ``capabilities`` and ``can`` for one round (views, templates), ``round_filter`` for the
QuerySet scopes (``Round.objects.visible_to``, ``editable_by`` …), ``access_round`` for the views
and ``require`` inside every service. A role the table does not name may do nothing.

A grant's statuses say when the role may act at all: a locked round is read-only to everyone (403),
and a reviewer does not see a draft (404). The order of the workflow (submit once, review a
submitted round, consent to a validated one) is the services' to keep: out of turn they refuse
with a ``WorkflowError`` (409).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Authority, Membership, Round, RoundQuerySet


class Capability(StrEnum):
    """Something a person may do to a round (or, for ``OPEN_ROUND`` and ``EDIT_AUTHORITY``, to an authority)."""

    VIEW = "view"  # the round, its answers, evidence, history and report preview
    DOWNLOAD = "download"  # its evidence files and PDF reports
    EDIT_ANSWERS = "edit_answers"
    EDIT_EVIDENCE = "edit_evidence"  # add and remove
    TOGGLE_DIMENSIONS = "toggle_dimensions"  # leave an optional dimension out, or take it back in
    SUBMIT = "submit"  # sign off for the authority
    CONSENT = "consent"  # give or withdraw consent to publish
    REVIEW = "review"  # review, return, validate
    COMMENT = "comment"  # write in the indicators' comment threads, resolve and reopen them
    OPEN_ROUND = "open_round"  # open a round for the authority (statuses do not apply)
    EDIT_AUTHORITY = "edit_authority"  # the authority's profile: its logo (statuses do not apply)
    MOVE_EDITION = "move_edition"  # move the round to a newer edition of its catalogue


class ProgrammeRole(StrEnum):
    """Roles held across every authority, not through a membership."""

    REVIEWER = "reviewer"  # the assessments.review_round permission
    COORDINATOR = "coordinator"  # the assessments.open_rounds permission: opens rounds for many authorities (campaigns)
    ADMINISTRATOR = "administrator"  # a superuser


EVERY = frozenset(Round.Status.values)
OPEN = frozenset({Round.Status.DRAFT, Round.Status.RETURNED})  # answers can change
DRAFT = frozenset({Round.Status.DRAFT})
SHARED = EVERY - DRAFT  # a draft stays with its authority until submitted
UNDER_WAY = EVERY - {Round.Status.VALIDATED}  # threads close with validation and stay as history

_MEMBER = {
    Capability.VIEW: EVERY,
    Capability.DOWNLOAD: EVERY,
    Capability.EDIT_ANSWERS: OPEN,
    Capability.EDIT_EVIDENCE: OPEN,
    Capability.TOGGLE_DIMENSIONS: DRAFT,
    Capability.COMMENT: UNDER_WAY,
}

# The one table: role → capability → the round statuses in which the role may use it.
GRANTS: dict[str, dict[Capability, frozenset[str]]] = {
    Membership.Role.EDITOR: {**_MEMBER},
    Membership.Role.APPROVER: {
        **_MEMBER,
        Capability.SUBMIT: EVERY,
        Capability.CONSENT: EVERY,
        Capability.OPEN_ROUND: EVERY,
        Capability.EDIT_AUTHORITY: EVERY,
        Capability.MOVE_EDITION: OPEN,
    },
    ProgrammeRole.REVIEWER: {
        Capability.VIEW: SHARED,
        Capability.DOWNLOAD: SHARED,
        Capability.REVIEW: SHARED,
        Capability.COMMENT: SHARED & UNDER_WAY,
    },
    ProgrammeRole.COORDINATOR: {
        Capability.OPEN_ROUND: EVERY,
    },
    ProgrammeRole.ADMINISTRATOR: {
        **_MEMBER,
        Capability.SUBMIT: EVERY,
        Capability.CONSENT: EVERY,
        Capability.REVIEW: EVERY,
        Capability.COMMENT: UNDER_WAY,
        Capability.OPEN_ROUND: EVERY,
        Capability.EDIT_AUTHORITY: EVERY,
        Capability.MOVE_EDITION: OPEN,
    },
}


class AccessDenied(PermissionDenied):
    """The user may see the object, but none of their roles allows the action now (a 403)."""


def _refusal(capability: Capability, authority: Authority) -> str:
    """Say why an action was refused, in the user's language."""
    messages = {
        Capability.EDIT_ANSWERS: _("You cannot change this round now."),
        Capability.EDIT_EVIDENCE: _("You cannot change this round now."),
        Capability.TOGGLE_DIMENSIONS: _("Only a draft round's optional dimensions can be left out."),
        Capability.SUBMIT: _("Only an approver of %(authority)s can submit."),
        Capability.CONSENT: _("Only an approver of %(authority)s can decide on publication."),
        Capability.REVIEW: _("Only programme reviewers can review rounds."),
        Capability.COMMENT: _("The comment threads of a validated round are closed."),
        Capability.OPEN_ROUND: _("Only an approver of %(authority)s can open a round."),
        Capability.EDIT_AUTHORITY: _("Only an approver of %(authority)s can change its logo."),
    }
    return messages.get(capability, _("You are not allowed to do this.")) % {"authority": authority}


# --- roles ---------------------------------------------------------------------------------------


# The programme roles that come with a permission (``User.has_perm``).
PERMISSION_ROLES = {
    "assessments.review_round": ProgrammeRole.REVIEWER,
    "assessments.open_rounds": ProgrammeRole.COORDINATOR,
}


@dataclass(frozen=True)
class KnownRoles:
    """Every role of one user, loaded at once by ``remember_roles``: programme roles, and each membership's role."""

    programme: frozenset[str]
    members: Mapping[int, str]  # authority id → role


def remember_roles(user) -> None:
    """Load all of the user's roles in one query and keep them on this user object, for one request.

    ``programme_roles``, ``roles_on`` and ``round_filter`` then read them instead of asking the database (and
    Django's permission cache) each time. It must not outlive the request: ``request.user`` is a new object for each
    request, and nothing a view changes is a role. ``RolesMiddleware`` has it called for a request's user when first
    needed (``roles_on_demand``).
    """
    if not user.is_authenticated or isinstance(getattr(user, "_known_roles", None), KnownRoles):
        return
    programme = {ProgrammeRole.ADMINISTRATOR} if user.is_superuser else set()
    if user.is_active and user.is_superuser:
        programme |= set(PERMISSION_ROLES.values())  # has_perm says yes to an active superuser, for everything
    # ModelBackend.has_perm reads the user's own permissions and their groups' (none for an inactive user).
    with_permissions = user.is_active and not user.is_superuser
    with connection.cursor() as cursor:
        cursor.execute(_roles_sql(with_permissions), [user.pk] * (3 if with_permissions else 1))
        rows = cursor.fetchall()
    members = {}
    for authority_id, role in rows:
        if authority_id is None:
            programme.add(PERMISSION_ROLES[f"assessments.{role}"])
        else:
            members[authority_id] = role
    user._known_roles = KnownRoles(programme=frozenset(programme), members=members)


@cache
def _roles_sql(with_permissions: bool) -> str:
    """``remember_roles``'s one query: the user's memberships (authority, role) and, ``with_permissions``, the codes of
    ``PERMISSION_ROLES`` held directly or through a group (authority NULL). Parameters: the user's id, once per part.

    Written once per process in SQL, from the models' tables: built through the ORM on every request, the
    union cost more time than the database took to answer it.
    """
    User = get_user_model()
    member, own, grouped, in_group = (
        Membership._meta,
        User.user_permissions.through._meta,
        Group.permissions.through._meta,
        User.groups.through._meta,
    )
    sql = (
        f'SELECT "{member.get_field("authority").column}", "{member.get_field("role").column}" '
        f'FROM "{member.db_table}" WHERE "{member.get_field("user").column}" = %s'
    )
    if not with_permissions:
        return sql
    # Our own constants, not input: written into the SQL.
    held = " OR ".join(
        f"(t.\"app_label\" = '{app}' AND p.\"codename\" = '{codename}')"
        for app, codename in (permission.split(".") for permission in PERMISSION_ROLES)
    )
    return (
        f"{sql} UNION ALL "
        f'SELECT NULL, p."codename" FROM "{Permission._meta.db_table}" p '
        f'JOIN "{ContentType._meta.db_table}" t ON t."id" = p."content_type_id" '
        f"WHERE ({held}) AND ("
        f'EXISTS (SELECT 1 FROM "{own.db_table}" o WHERE o."{own.get_field("permission").column}" = p."id" '
        f'AND o."{own.get_field("user").column}" = %s) OR '
        f'EXISTS (SELECT 1 FROM "{grouped.db_table}" g JOIN "{in_group.db_table}" m '
        f'ON m."{in_group.get_field("group").column}" = g."{grouped.get_field("group").column}" '
        f'WHERE g."{grouped.get_field("permission").column}" = p."id" AND m."{in_group.get_field("user").column}" = %s))'
    )


def menu_roles(user) -> dict[str, bool]:
    """What the header's menu offers the user (``context_processors.menu``), from their roles loaded at once.

    ``reviewer``: the review queue and the reviewers' dashboard; ``member``: a membership of some authority. Who may see
    some plan or stakeholder register (``plans.access``, ``participation.access``) is a reviewer or a member.
    """
    if not user.is_authenticated:
        return {"reviewer": False, "member": False}
    remember_roles(user)
    known = _known(user)
    return {"reviewer": ProgrammeRole.REVIEWER in known.programme, "member": bool(known.members)}


def roles_on_demand(user) -> None:
    """Have ``user``'s roles loaded at once (``remember_roles``) the first time a check asks for one of them.

    For a request's user (``RolesMiddleware``): a request that asks nothing of roles (the catalogue's API …) asks
    the database nothing for them; one that asks (an access check, a scope, the menu) asks once.
    """
    user._roles_on_demand = True


def _known(user) -> KnownRoles | None:
    known = getattr(user, "_known_roles", None)
    if isinstance(known, KnownRoles):
        return known
    if getattr(user, "_roles_on_demand", False) is True and user.is_authenticated:
        remember_roles(user)
        return user._known_roles
    return None


def programme_roles(user) -> set[str]:
    """The roles the user holds across every authority."""
    if not user.is_authenticated:
        return set()
    if (known := _known(user)) is not None:
        return set(known.programme)
    roles = set()
    if user.is_superuser:
        roles.add(ProgrammeRole.ADMINISTRATOR)
    for permission, role in PERMISSION_ROLES.items():
        if user.has_perm(permission):
            roles.add(role)
    return roles


def roles_on(user, authority_id: int) -> set[str]:
    """The roles the user holds on one authority: their membership's and their programme roles."""
    if not user.is_authenticated:
        return set()
    if (known := _known(user)) is not None:
        member = known.members.get(authority_id)
        return set(known.programme) | ({member} if member else set())
    members = Membership.objects.filter(user=user, authority_id=authority_id).values_list("role", flat=True)
    return programme_roles(user) | set(members)


def _granted(roles: set[str], capability: Capability, status: str | None = None) -> bool:
    """Whether one of ``roles`` grants ``capability`` (in ``status``, if given)."""
    grants = (GRANTS.get(role, {}).get(capability) for role in roles)
    return any(statuses is not None and (status is None or status in statuses) for statuses in grants)


# --- one round -----------------------------------------------------------------------------------


def capabilities(user, round: Round) -> frozenset[Capability]:
    """What the user may do to the round now, in its present status."""
    roles = roles_on(user, round.authority_id)
    return frozenset(capability for capability in Capability if _granted(roles, capability, round.status))


def request_capabilities(request, round: Round) -> frozenset[Capability]:
    """``capabilities`` of the request's user on the round, asked once per request: the page and its slots share it."""
    from . import slots  # slots imports nothing of assessments; kept local to keep this module's imports to models

    # Keyed by the status too: a round that changed status within the request is asked again.
    return slots.per_request(
        request, ("assessments", "capabilities", round.pk, round.status), lambda: capabilities(request.user, round)
    )


def can(user, capability: Capability, round: Round) -> bool:
    """Whether the user may do ``capability`` to the round now."""
    return capability in capabilities(user, round)


def access_round(
    user, pk: int, capability: Capability = Capability.VIEW, *, rounds: RoundQuerySet | None = None
) -> Round:
    """Fetch round ``pk`` for a view: Http404 unless the user may see it, AccessDenied unless they may do ``capability`` now.

    Whether the user may see it is asked of the round fetched, from the user's roles (``can``, the same table as
    ``RoundQuerySet.visible_to``), not as a filter of the query: one round's check costs no query of its own to build.
    """
    round = (Round.objects.all() if rounds is None else rounds).filter(pk=pk).first()
    if round is None or not can(user, Capability.VIEW, round):
        raise Http404
    if capability != Capability.VIEW:
        require(user, capability, round)
    return round


def require(user, capability: Capability, target: Round | Authority) -> None:
    """Refuse (AccessDenied) unless the user may do ``capability`` to the round now, or to the authority's rounds.

    Every service acting for a user calls it first, on the round it has just locked (whose status
    is the one that counts). The workflow's order (submit once, review a submitted round …) is
    then the service's to check: it says precisely what is out of turn.
    """
    if isinstance(target, Authority):
        authority, allowed = target, _granted(roles_on(user, target.pk), capability)
    else:
        authority, allowed = target.authority, can(user, capability, target)
    if not allowed:
        raise AccessDenied(_refusal(capability, authority))


# --- many rounds, many authorities ---------------------------------------------------------------


def programme_capabilities(user) -> frozenset[Capability]:
    """What the user may do on every authority's rounds (in some status), by their programme roles."""
    roles = programme_roles(user)
    return frozenset(capability for capability in Capability if _granted(roles, capability))


def round_filter(user, capability: Capability) -> Q | None:
    """The rounds on which one of the user's roles grants ``capability`` now, as a filter (None: no round)."""
    if not user.is_authenticated:
        return None
    conditions = [
        Q(status__in=GRANTS[role][capability])
        for role in sorted(programme_roles(user))
        if capability in GRANTS.get(role, {})
    ]
    member_roles: dict[frozenset[str], list[str]] = {}
    for role in Membership.Role.values:
        if capability in GRANTS.get(role, {}):
            member_roles.setdefault(GRANTS[role][capability], []).append(role)
    for statuses, roles in member_roles.items():
        if (known := _known(user)) is not None:
            mine = [authority_id for authority_id, role in known.members.items() if role in roles]
        else:
            mine = Membership.objects.filter(user=user, role__in=roles).values("authority_id")
        conditions.append(Q(status__in=statuses, authority_id__in=mine))
    return reduce(or_, conditions) if conditions else None


def authorities_where(user, capability: Capability):
    """The authorities on which one of the user's roles grants ``capability`` (for ``OPEN_ROUND``, ``EDIT_AUTHORITY``)."""
    return authorities_granting(GRANTS, capability, user)


# --- the tables of the apps above (a plan, a register of stakeholders) ---------------------------
# Such a table maps each role to the capabilities it grants on an authority's things (whatever the
# status of its rounds): ``{Membership.Role.EDITOR: {...}, ProgrammeRole.REVIEWER: {...}}``.


def granted_by(table: Mapping[str, Collection[StrEnum]], user, authority_id: int) -> frozenset:
    """What the user's roles on the authority are granted by ``table`` (role → capabilities)."""
    return frozenset(capability for role in roles_on(user, authority_id) for capability in table.get(role, ()))


def authorities_granting(table: Mapping[str, Collection[StrEnum]], capability: StrEnum, user):
    """The authorities on which one of the user's roles is granted ``capability`` by ``table`` (role → capabilities)."""
    if any(capability in table.get(role, ()) for role in programme_roles(user)):
        return Authority.objects.all()
    if not user.is_authenticated:
        return Authority.objects.none()
    roles = [role for role in Membership.Role.values if capability in table.get(role, ())]
    return Authority.objects.filter(memberships__user=user, memberships__role__in=roles)
