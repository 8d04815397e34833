"""What a round follows up of its authority's improvement plan, and how far the linked indicators moved.

An action is made in one round (its origin) and links indicators of that round's catalogue version.
A later round finds the same indicators by *code*, since its catalogue version may differ. The
level an indicator reached is the validated one (``scoring.validated_answer``: the reviewer's level,
or the city's where the reviewer left it alone) once its round is validated, and the self-assessed
one before, flagged as such, so that nobody reads a city's own word as the programme's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When

from assessments.models import Round
from assessments.sheet import NO_LEVEL as NONE
from assessments.sheet import RoundLevel as Level
from assessments.sheet import round_levels

from .models import Action, ActionQuerySet

UP, DOWN, SAME = "up", "down", "same"

# An indicator's level in one round, and none: ``assessments.sheet``'s, which the review page shows too.
__all__ = ["NONE", "Level", "Movement", "actions_for_round", "followed_up", "movements", "round_levels"]


@dataclass(frozen=True)
class Movement:
    """How one indicator linked to an action moved between the action's origin round and a later round."""

    code: str
    target: int
    before: int | None  # the level in the action's origin round
    after: int | None  # the level in the round that follows the action up
    before_validated: bool = False
    after_validated: bool = False

    @property
    def moved(self) -> str | None:
        """``up``, ``down`` or ``same``; None when either level is unknown."""
        if self.before is None or self.after is None:
            return None
        if self.after > self.before:
            return UP
        return DOWN if self.after < self.before else SAME

    @property
    def reached(self) -> bool | None:
        """Whether the later level is at the target or above (None when it is unknown)."""
        return None if self.after is None else self.after >= self.target


def actions_for_round(round: Round) -> ActionQuerySet:
    """The actions the round follows up (made in it or an earlier round), open ones first, with their details."""
    open_first = Case(
        When(status__in=Action.OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Action.objects.for_round(round)
        .with_details()
        .alias(open_first=open_first)
        .order_by("open_first", "due_date", "id")
    )


def followed_up(actions: Iterable[Action], round: Round) -> list[Action]:
    """Of ``actions`` (their updates loaded), those the round's pages follow: open, or updated in the round."""
    return [a for a in actions if a.is_open or any(u.round_id == round.pk for u in a.updates.all())]


def movements(actions: Iterable[Action], round: Round) -> dict[int, list[Movement]]:
    """Per action, each linked indicator's level in the action's origin round and in ``round`` (two queries).

    The actions need their ``origin_round`` and ``links`` with indicators loaded
    (``Action.objects.with_details()``). Indicators are matched by code across catalogue versions.
    """
    actions = list(actions)
    rounds = {round.pk: round} | {a.origin_round_id: a.origin_round for a in actions}
    codes = {link.indicator.code for action in actions for link in action.links.all()}
    levels = round_levels(rounds.values(), codes) if actions else {}
    validated = Round.Status.VALIDATED
    return {
        action.pk: [
            Movement(
                code=link.indicator.code,
                target=link.target_level,
                before=levels.get((action.origin_round_id, link.indicator.code), NONE).level,
                after=levels.get((round.pk, link.indicator.code), NONE).level,
                before_validated=action.origin_round.status == validated,
                after_validated=round.status == validated,
            )
            for link in action.links.all()
        ]
        for action in actions
    }
