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

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When

from assessments import scoring
from assessments.models import Answer, ReviewItem, Round

from .models import Action, ActionQuerySet

UP, DOWN, SAME = "up", "down", "same"


@dataclass(frozen=True)
class Level:
    """An indicator's level in one round: ``level`` None when it has none (unanswered, don't know, N/A)."""

    level: int | None
    validated: bool  # the round is validated: the programme's level, not only the city's


NONE = Level(None, False)  # no answer to the indicator in that round (or no such indicator)


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


def round_levels(rounds: Iterable[Round], codes: Iterable[str]) -> dict[tuple[int, str], Level]:
    """The level of each indicator code in each round, validated where the round is (two queries).

    Only what counts in the round: answers carried over and not yet confirmed, and indicators of the
    optional dimensions the round left out, have no level there.
    """
    rounds = {r.pk: r for r in rounds}
    codes = set(codes)
    if not rounds or not codes:
        return {}
    # An optional dimension the round left out is no part of it: nothing said of its indicators there counts.
    left_out = Round.omitted_dimensions.through.objects.filter(
        round_id=OuterRef("round_id"), dimension_id=OuterRef("indicator__dimension_id")
    )
    scope = Q(round_id__in=list(rounds), indicator__code__in=codes) & ~Exists(left_out)
    # An answer carried over from an earlier round and not yet confirmed is no level of this round.
    answers = Answer.objects.counted().filter(scope).values_list("round_id", "indicator__code", "response", "level")
    reviews = {
        (round_id, code): (validated_level, na_accepted)
        for round_id, code, validated_level, na_accepted in ReviewItem.objects.filter(scope).values_list(
            "round_id", "indicator__code", "validated_level", "na_accepted"
        )
    }
    levels: dict[tuple[int, str], Level] = {}
    for round_id, code, response, level in answers:
        validated = rounds[round_id].status == Round.Status.VALIDATED
        if validated:
            response, level, _na_accepted = scoring.validated_answer(
                response, level, *reviews.get((round_id, code), (None, None))
            )
        levels[round_id, code] = Level(level if response == scoring.LEVEL else None, validated)
    # A reviewer may set a level on an indicator the city never answered: it stands once validated.
    for (round_id, code), (validated_level, _na) in reviews.items():
        if (round_id, code) not in levels and rounds[round_id].status == Round.Status.VALIDATED:
            levels[round_id, code] = Level(validated_level, True)
    return levels


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
