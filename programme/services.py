"""Writes of the programme app: open a campaign, move one authority's due date, close a campaign.

Each is one transaction; refusals raise ``assessments.services.WorkflowError`` (or ``AccessDenied``).
Opening a campaign for 1,000 authorities is a handful of bulk writes (``assessments.services.rounds_open``).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import access
from assessments.access import Capability
from assessments.models import Authority
from assessments.services import WorkflowError, round_set_due_date, rounds_open
from indicators.models import CatalogueVersion

from .models import Campaign, Extension, Participant


def can_run_campaigns(user) -> bool:
    """Programme coordinators (the assessments.open_rounds permission) and administrators."""
    return Capability.OPEN_ROUND in access.programme_capabilities(user)


def _require(actor) -> None:
    if not can_run_campaigns(actor):
        raise access.AccessDenied(_("Only programme coordinators can run campaigns."))


@transaction.atomic
def campaign_open(
    *,
    actor,
    name: str,
    period: str,
    version: CatalogueVersion,
    due_date: datetime.date,
    authorities,
    message: str = "",
) -> tuple[Campaign, list[Participant]]:
    """Open a round for each authority (bulk); an authority that has a round for the period is skipped, and said so.

    Returns the campaign and its participants (``opened`` False for the skipped ones).
    """
    _require(actor)
    authorities = list(authorities)
    if not authorities:
        raise WorkflowError(_("Choose at least one authority."))
    if due_date < timezone.localdate():
        raise WorkflowError(_("The due date cannot be in the past."))
    period = period.strip()
    campaign = Campaign.objects.create(
        name=name, period=period, version=version, due_date=due_date, message=message, created_by=actor
    )
    result = rounds_open(
        authorities=authorities,
        period=period,
        actor=actor,
        due_date=due_date,
        version=version,
        note=_("Opened by the campaign “%(name)s”") % {"name": name},
        message=message,
    )
    participants = Participant.objects.bulk_create(
        [Participant(campaign=campaign, authority_id=r.authority_id, round=r, opened=True) for r in result.opened]
        + [Participant(campaign=campaign, authority_id=r.authority_id, round=r, opened=False) for r in result.skipped]
    )
    return campaign, participants


@transaction.atomic
def campaign_extend(*, participant: Participant, actor, due_date: datetime.date, reason: str = "") -> Extension:
    """Move the due date of one authority's round in the campaign; the extension and the round's history keep it.

    Only a round the campaign opened: a skipped authority's round was opened by hand or by another campaign, whose
    due date is not this campaign's to move.
    """
    _require(actor)
    participant = Participant.objects.select_for_update().select_related("campaign", "round").get(pk=participant.pk)
    if not participant.campaign.is_open:
        raise WorkflowError(_("This campaign is closed."))
    if not participant.opened:
        raise WorkflowError(
            _(
                "This authority was skipped: its round for the period was opened before the campaign (by hand "
                "or by another campaign), so this campaign cannot move its due date."
            )
        )
    old = participant.round.due_date  # round_set_due_date refuses a past or unchanged date and a validated round
    round_set_due_date(round=participant.round, actor=actor, due_date=due_date, note=reason)
    return Extension.objects.create(participant=participant, old_date=old, new_date=due_date, reason=reason, by=actor)


@transaction.atomic
def campaign_close(*, campaign: Campaign, actor) -> Campaign:
    """Close a campaign: its board stays readable; nothing more can be extended. Its rounds go on as they are."""
    _require(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not campaign.is_open:
        raise WorkflowError(_("This campaign is already closed."))
    campaign.closed_at, campaign.closed_by = timezone.now(), actor
    campaign.save(update_fields=["closed_at", "closed_by"])
    return campaign


def authorities_matching(*, kinds=(), countries=(), regions=(), slugs=()):
    """The authorities a campaign form's filters choose (any of each given list; all when nothing is given)."""
    authorities = Authority.objects.all()
    if kinds:
        authorities = authorities.filter(kind__in=kinds)
    if countries:
        authorities = authorities.filter(country__in=countries)
    if regions:
        authorities = authorities.filter(region__in=regions)
    if slugs:
        authorities = authorities.filter(slug__in=slugs)
    return authorities.order_by("name")
