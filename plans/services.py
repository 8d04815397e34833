"""Writes to improvement plans: actions, their status, progress updates, comments, targets, dismissals.

Every function here is one transaction: it does all it says or nothing. It locks the row it
changes, then asks ``access.require`` (a 404 for someone who may not see the plan, AccessDenied
otherwise). Bad input raises ``PlanError`` (a ``ValidationError``) with a message for the user; a
change made on a stale copy of an action raises ``ActionConflict``. Every change to an action is
kept as an ``ActionRevision`` (``Action.state()`` before and after).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Authority, Membership, Round
from assessments.uploads import check_link, check_upload, save_with_upload
from indicators.models import Indicator
from indicators.rules import HIGHEST_LEVEL, LEVELS, LOWEST_LEVEL

from . import access
from .access import PlanCapability
from .models import (
    TEXT_MAX,
    TITLE_MAX,
    Action,
    ActionComment,
    ActionIndicator,
    ActionRevision,
    ActionUpdate,
    Plan,
    PlanTarget,
    SuggestionDismissal,
)

LEVEL_RANGE = {"lowest": LOWEST_LEVEL, "highest": HIGHEST_LEVEL}
OWNER_MAX = Action._meta.get_field("owner").max_length
URL_MAX = ActionUpdate._meta.get_field("url").max_length
AMOUNT_MAX = Decimal("999999999999.99")  # max_digits=14, decimal_places=2
# The fields of an action ``action_change`` may set (besides ``targets``).
CHANGEABLE = (
    "title",
    "description",
    "owner",
    "owner_user",
    "start_date",
    "due_date",
    "budget",
    "budget_amount",
    "public",
    "status",
    "drop_reason",
)


class PlanError(ValidationError):
    """A refusal that says why: bad input, or a change the plan's state does not allow."""


class ActionConflict(PlanError):
    """Someone changed the action since the user loaded it; ``current`` is the action as it is now."""

    def __init__(self, current: Action):
        super().__init__(
            _("Someone else changed this action since you opened it. Nothing was saved: reload it and try again.")
        )
        self.current = current


# --- plans -------------------------------------------------------------------------------------


def plan_for(authority: Authority) -> Plan:
    """Return the authority's plan, making it on first use."""
    plan = Plan.objects.filter(authority=authority).first()
    if plan is not None:
        return plan
    try:
        with transaction.atomic():
            return Plan.objects.create(authority=authority)
    except IntegrityError:  # a colleague's first action made it a moment ago
        return Plan.objects.get(authority=authority)


def _lock_plan(authority: Authority) -> Plan:
    return Plan.objects.select_for_update().select_related("authority").get(pk=plan_for(authority).pk)


def _lock(action: Action) -> Action:
    return Action.objects.select_for_update(of=("self",)).select_related("plan__authority").get(pk=action.pk)


# --- checks ------------------------------------------------------------------------------------


def _text(value: str, *, empty: str | None, limit: int = TEXT_MAX) -> str:
    """The text stripped; refused when longer than ``limit``, or blank with ``empty`` as the reason."""
    value = (value or "").strip()
    if empty is not None and not value:
        raise PlanError(empty)
    if len(value) > limit:
        raise PlanError(
            _("A text is %(length)d characters long; the limit is %(limit)d.") % {"length": len(value), "limit": limit}
        )
    return value


def _level(level: Any) -> int:
    if isinstance(level, bool) or level not in LEVELS:
        raise PlanError(_("Choose a target level from %(lowest)d to %(highest)d.") % LEVEL_RANGE)
    return int(level)


def _targets(targets: dict[Indicator, int], origin_round: Round) -> dict[Indicator, int]:
    if not targets:
        raise PlanError(_("Link the action to at least one indicator."))
    for indicator in targets:
        if not isinstance(indicator, Indicator) or indicator.version_id != origin_round.version_id:
            raise PlanError(_("An unknown or foreign indicator: link only indicators of the round's catalogue."))
    return {indicator: _level(level) for indicator, level in targets.items()}


def _round_of(authority_id: int, round: Round | None) -> Round | None:
    if round is not None and round.authority_id != authority_id:
        raise PlanError(_("This round is not one of the authority's."))
    return round


def _checked(values: dict[str, Any], authority: Authority, *, check_owner_user: bool = True) -> dict[str, Any]:
    """Check an action's fields as they will be saved; return them cleaned."""
    values = dict(values)
    values["title"] = _text(values["title"], empty=_("Give the action a title."), limit=TITLE_MAX)
    values["description"] = _text(values["description"], empty=None)
    values["owner"] = _text(
        values["owner"], empty=_("Say which department or office leads the action."), limit=OWNER_MAX
    )
    start, due = values["start_date"], values["due_date"]
    if not isinstance(start, datetime.date) or not isinstance(due, datetime.date):
        raise PlanError(_("Give a start date and a due date."))
    if due < start:
        raise PlanError(_("The due date cannot be before the start date."))
    if values["budget"] not in Action.Budget.values:
        raise PlanError(_("Unknown budget status."))
    amount = values["budget_amount"]
    if amount is not None:
        try:
            amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        except InvalidOperation as error:
            raise PlanError(_("The amount is not a number.")) from error
        if not Decimal(0) <= amount <= AMOUNT_MAX:
            raise PlanError(_("The amount must be zero or more, and below a trillion."))
    values["budget_amount"] = amount
    values["public"] = bool(values["public"])
    if values["status"] not in Action.Status.values:
        raise PlanError(_("Unknown status."))
    if values["status"] == Action.Status.DROPPED:
        values["drop_reason"] = _text(values["drop_reason"], empty=_("Say why the action is dropped."))
    else:
        values["drop_reason"] = ""  # a reason stays only as long as the action is dropped
    owner_user = values["owner_user"]
    if (
        check_owner_user
        and owner_user is not None
        and not Membership.objects.filter(user_id=getattr(owner_user, "pk", owner_user), authority=authority).exists()
    ):
        raise PlanError(_("The person responsible must be a member of %(authority)s.") % {"authority": authority.name})
    return values


def _link(url: str) -> str:
    """An http(s) link, its scheme in lower case (as the database requires)."""
    try:
        return check_link(url, URL_MAX)
    except ValidationError as refused:
        raise PlanError(refused.messages) from refused


def _record(action: Action, actor, old: dict | None) -> None:
    ActionRevision.objects.create(action=action, changed_by=actor, old=old, new=_fresh(action).state())


def _fresh(action: Action) -> Action:
    """The action with its links as saved (``state()`` reads a prefetched copy if there is one)."""
    getattr(action, "_prefetched_objects_cache", {}).pop("links", None)
    return action


# --- actions -----------------------------------------------------------------------------------


@transaction.atomic
def action_create(
    *,
    authority: Authority,
    origin_round: Round,
    actor,
    title: str,
    owner: str,
    start_date: datetime.date,
    due_date: datetime.date,
    targets: dict[Indicator, int],
    description: str = "",
    owner_user=None,
    budget: str = Action.Budget.NONE,
    budget_amount: Decimal | None = None,
    public: bool = False,
    status: str = Action.Status.PLANNED,
    drop_reason: str = "",
) -> Action:
    """Add an action to the authority's plan, linking indicators of ``origin_round``'s catalogue with target levels."""
    plan = _lock_plan(authority)
    access.require(actor, PlanCapability.EDIT, authority)
    if origin_round.authority_id != authority.pk:
        raise PlanError(_("This round is not one of the authority's."))
    targets = _targets(targets, origin_round)
    values = _checked(
        {
            "title": title,
            "description": description,
            "owner": owner,
            "owner_user": owner_user,
            "start_date": start_date,
            "due_date": due_date,
            "budget": budget,
            "budget_amount": budget_amount,
            "public": public,
            "status": status,
            "drop_reason": drop_reason,
        },
        authority,
    )
    action = Action.objects.create(plan=plan, origin_round=origin_round, created_by=actor, **values)
    ActionIndicator.objects.bulk_create(
        ActionIndicator(action=action, indicator=indicator, target_level=level) for indicator, level in targets.items()
    )
    _record(action, actor, None)
    return action


@transaction.atomic
def action_change(*, action: Action, actor, base_revision: int, **fields: Any) -> Action:
    """Change an action's fields (and, with ``targets``, its linked indicators), unless it changed since ``base_revision``.

    Nothing is written when the revision is stale (``ActionConflict``) or nothing differs.
    """
    unknown = set(fields) - {*CHANGEABLE, "targets"}
    if unknown:
        raise TypeError(f"action_change() got unexpected fields: {', '.join(sorted(unknown))}")
    action = _lock(action)
    authority = action.plan.authority
    access.require(actor, PlanCapability.EDIT, authority)
    if action.revision != base_revision:
        raise ActionConflict(action)
    targets = fields.pop("targets", None)
    if targets is not None:
        targets = _targets(targets, action.origin_round)
    owner_user = fields.get("owner_user", action.owner_user_id)
    values = _checked(
        {name: fields.get(name, getattr(action, name)) for name in CHANGEABLE},
        authority,
        # Someone who has left the authority stays responsible until the action is given to another.
        check_owner_user=getattr(owner_user, "pk", owner_user) != action.owner_user_id,
    )
    old = action.state()
    for name, value in values.items():
        setattr(action, name, value)
    if targets is not None:
        current = {link.indicator_id: link for link in action.links.all()}
        wanted = {indicator.pk: level for indicator, level in targets.items()}
        action.links.exclude(indicator_id__in=wanted).delete()
        for indicator_id, level in wanted.items():
            link = current.get(indicator_id)
            if link is None:
                ActionIndicator.objects.create(action=action, indicator_id=indicator_id, target_level=level)
            elif link.target_level != level:
                link.target_level = level
                link.save(update_fields=["target_level"])
    if _fresh(action).state() == old:
        return action
    action.revision += 1
    action.save(update_fields=[*CHANGEABLE, "revision", "updated_at"])
    _record(action, actor, old)
    return action


@transaction.atomic
def action_set_status(*, action: Action, actor, status: str, reason: str = "") -> Action:
    """Move an action to ``status``; dropping needs a reason, and leaving "dropped" forgets it."""
    action = _lock(action)
    access.require(actor, PlanCapability.EDIT, action.plan.authority)
    if status not in Action.Status.values:
        raise PlanError(_("Unknown status."))
    reason = _text(reason, empty=_("Say why the action is dropped.")) if status == Action.Status.DROPPED else ""
    if (action.status, action.drop_reason) == (status, reason):
        return action
    old = action.state()
    action.status, action.drop_reason = status, reason
    action.revision += 1
    action.save(update_fields=["status", "drop_reason", "revision", "updated_at"])
    _record(action, actor, old)
    return action


# --- progress and comments ---------------------------------------------------------------------


@transaction.atomic
def update_add(
    *,
    action: Action,
    actor,
    text: str,
    date: datetime.date | None = None,
    round: Round | None = None,
    file: UploadedFile | None = None,
    url: str = "",
) -> ActionUpdate:
    """Report progress on an action: a dated text, with a file or a link as evidence (not both)."""
    action = _lock(action)
    access.require(actor, PlanCapability.EDIT, action.plan.authority)
    text = _text(text, empty=_("Say what progress was made."))
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise PlanError(_("A progress update cannot be dated in the future."))
    round = _round_of(action.plan.authority_id, round)
    url = _link(url)
    if file and url:
        raise PlanError(_("Give either a file or a link (not both)."))
    if file:
        try:
            check_upload(file)  # the rules of answer evidence: size, type by content, no zip bombs
        except ValidationError as refused:
            raise PlanError(refused.messages) from refused
    update = ActionUpdate(action=action, round=round, date=date, text=text, url=url, author=actor)
    save_with_upload(update, "file", file)
    return update


@transaction.atomic
def comment_add(*, action: Action, actor, text: str, round: Round | None = None) -> ActionComment:
    """Comment on an action (programme reviewers)."""
    action = _lock(action)
    access.require(actor, PlanCapability.COMMENT, action.plan.authority)
    text = _text(text, empty=_("Write a comment."))
    round = _round_of(action.plan.authority_id, round)
    return ActionComment.objects.create(action=action, round=round, text=text, author=actor)


# --- targets and suggestions -------------------------------------------------------------------


@transaction.atomic
def target_set(*, authority: Authority, indicator_code: str, level: int, actor) -> PlanTarget:
    """Set the level the authority aims at on an indicator (by code, across catalogue versions)."""
    plan = _lock_plan(authority)
    access.require(actor, PlanCapability.EDIT, authority)
    level = _level(level)
    if not Indicator.objects.filter(code=indicator_code).exists():
        raise PlanError(_("There is no indicator %(code)s in the catalogue.") % {"code": indicator_code})
    target, _created = PlanTarget.objects.update_or_create(
        plan=plan, indicator_code=indicator_code, defaults={"level": level}
    )
    return target


@transaction.atomic
def suggestion_dismiss(*, round: Round, indicator: Indicator, actor) -> SuggestionDismissal:
    """Record that the authority chose not to take up the suggestion for an indicator in a round (once)."""
    plan = _lock_plan(round.authority)
    access.require(actor, PlanCapability.EDIT, round.authority)
    if indicator.version_id != round.version_id:
        raise PlanError(_("An unknown or foreign indicator: link only indicators of the round's catalogue."))
    dismissal, _created = SuggestionDismissal.objects.get_or_create(
        round=round, indicator=indicator, defaults={"plan": plan, "dismissed_by": actor}
    )
    return dismissal
