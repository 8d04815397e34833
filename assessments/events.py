"""What happens to rounds that people need to hear about, told to whichever apps above listen.

``assessments/`` decides what happened and who is concerned; it knows nothing of how they are told
(``notifications/`` listens: an in-app list and mail, in each person's language, by their choices).
Events are sent inside the transaction that causes them, so a listener writes its rows with the
change or not at all::

    events.emit([Event(Kind.SUBMITTED, round, actor, recipients=...)])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from .models import Membership, Round


class Kind(models.TextChoices):
    """Each kind of event; people choose mail per kind (``notifications.MailSetting``)."""

    OPENED = "opened", _("A round is opened")
    SUBMITTED = "submitted", _("A round is submitted for review")
    RETURNED = "returned", _("A round is returned with comments")
    VALIDATED = "validated", _("A round is validated")
    DUE_14 = "due_14", _("A round is due in 14 days")
    DUE_3 = "due_3", _("A round is due in 3 days")
    OVERDUE = "overdue", _("A round is overdue")
    MENTIONED = "mentioned", _("Someone mentions you in a comment")
    ASSIGNED = "assigned", _("A part of a round is assigned to you")


@dataclass(frozen=True)
class Event:
    """``kind`` happened to ``round``; ``recipients`` are user ids (the actor is never told of their own doing).

    ``data`` is what the message quotes, JSON-serialisable: ``note`` (the reviewer's note at
    validation), ``message`` (a campaign's message at opening), ``indicator`` and ``dimension``
    (codes), ``comment`` (an excerpt), ``due_date`` (ISO date; the round's, unless given).
    """

    kind: str
    round: Round
    actor: Any | None
    recipients: tuple[int, ...]
    data: dict = field(default_factory=dict)


# Sent with ``events``: a list of Event. Receivers run in the sender's transaction.
round_events = Signal()


def emit(events: Iterable[Event]) -> None:
    """Tell the listeners, leaving out each event's actor and events with nobody to tell."""
    kept = []
    for event in events:
        actor_id = getattr(event.actor, "pk", None)
        recipients = tuple(sorted({pk for pk in event.recipients if pk != actor_id}))
        if recipients:
            kept.append(Event(event.kind, event.round, event.actor, recipients, event.data))
    if kept:
        round_events.send(sender=Event, events=kept)


def members(rounds: Iterable[Round]) -> dict[int, tuple[int, ...]]:
    """Each round's id → the ids of its authority's active members (one query for any number of rounds)."""
    rounds = list(rounds)
    by_authority = defaultdict(list)
    for authority_id, user_id in Membership.objects.filter(
        authority_id__in={r.authority_id for r in rounds}, user__is_active=True
    ).values_list("authority_id", "user_id"):
        by_authority[authority_id].append(user_id)
    return {r.pk: tuple(by_authority[r.authority_id]) for r in rounds}


def reviewers() -> tuple[int, ...]:
    """The ids of the active people who review rounds."""
    perm = Q(groups__permissions__codename="review_round") | Q(user_permissions__codename="review_round")
    return tuple(get_user_model().objects.filter(perm, is_active=True).values_list("pk", flat=True).distinct())
