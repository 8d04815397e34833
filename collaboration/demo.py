"""Demo assignments for seed_demo (``assessments.slots.DEMO_DATA``): every open round has work shared out."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model

from assessments.models import Round
from indicators.models import Dimension, Indicator

from .models import Assignment
from .services import assignment_set


def seed(stdout) -> None:
    """The approver of each open round gives horizontal coherence to the editor and one participation indicator
    to themself, due a month before the round (idempotent: a round with assignments is left as it is)."""
    User = get_user_model()
    added = 0
    rounds = Round.objects.filter(status__in=[Round.Status.DRAFT, Round.Status.RETURNED]).select_related("authority")
    for round in rounds.exclude(assignments__isnull=False):
        editor = User.objects.filter(username=f"{round.authority.slug}-editor").first()
        approver = User.objects.filter(username=f"{round.authority.slug}-approver").first()
        if editor is None or approver is None:
            continue
        due = round.due_date - timedelta(days=30) if round.due_date else None
        dimension = Dimension.objects.filter(version_id=round.version_id, code="HC").first()
        indicator = (
            Indicator.objects.filter(version_id=round.version_id, dimension__code="SP").order_by("order").first()
        )
        if dimension is not None:
            assignment_set(round=round, actor=approver, assignee=editor, dimension=dimension, due_date=due)
            added += 1
        if indicator is not None:
            assignment_set(round=round, actor=approver, assignee=approver, indicator=indicator, due_date=due)
            added += 1
    if added:
        stdout.write(f"Assignments: {added} ({Assignment.objects.count()} in all).")
