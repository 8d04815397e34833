"""What a round suggests for the plan: its gaps, and how peers and the catalogue describe the next level.

Reads only, each in a constant number of queries whatever the size of the catalogue or the number
of peers. ``gaps`` lists the indicators of a round below the authority's target, read as the round's
official levels (the city's while it is filled in or reviewed, the reviewer's once validated);
``peer_examples`` finds how other authorities at ``PEER_LEVEL`` or more describe their practice, from
their newest round validated and published with their consent only; ``catalogue_examples`` gives the
catalogue's own examples. The suggestions page (``suggestion_views``) shows them; nothing is
written here.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Subquery, When, Window
from django.db.models.functions import RowNumber, Trim
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from assessments import scoring
from assessments.models import Answer, Authority, ReviewItem, Round
from assessments.sheet import SELF, VALIDATED, answer_sheet
from indicators.models import Indicator, IndicatorExample
from indicators.rules import Level

from .access import PlanCapability, require
from .models import DEFAULT_TARGET_LEVEL, TITLE_MAX, Action, ActionIndicator, PlanTarget, SuggestionDismissal

# A peer's practice is worth showing from this level up: a rule of its own, not the default target
# (``models.DEFAULT_TARGET_LEVEL``), which an authority may change for itself.
PEER_LEVEL = Level.OPERATIONAL.value
PEER_LIMIT = 3
# A drafted action runs for this many months from today unless the person changes it.
DRAFT_MONTHS = 6


@dataclass(frozen=True)
class Gap:
    """An indicator of a round below the authority's target, with what the catalogue suggests."""

    indicator: Indicator
    response: str  # as the round's official answer reads it: a level, don't know, an N/A not accepted, or nothing
    level: int | None  # None unless the response is a level
    target: int
    suggestion: str  # the catalogue's, in the active language
    dismissed: bool  # someone chose not to take the suggestion up in this round
    actions: tuple[Action, ...]  # the plan's actions already linked to this indicator's code

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def answered(self) -> bool:
        return self.level is not None

    @property
    def level_label(self) -> str:
        return Level(self.level).label if self.level is not None else ""

    @property
    def target_label(self) -> str:
        return Level(self.target).label

    @property
    def na_rejected(self) -> bool:
        return self.response == scoring.NOT_APPLICABLE

    @property
    def dont_know(self) -> bool:
        return self.response == scoring.DONT_KNOW


@dataclass(frozen=True)
class PeerExample:
    """How another authority at ``PEER_LEVEL`` or more on an indicator describes its practice."""

    code: str
    authority: str
    period: str
    level: int
    text: str


def action_draft(indicator: Indicator, target: int, today: datetime.date) -> dict:
    """The catalogue's suggestion for ``indicator`` as an action to add: title, description, dates, target."""
    suggestion = indicator.suggestion.strip()
    first_sentence = re.split(r"(?<=[.!?])\s+", suggestion, maxsplit=1)[0]
    title = _("Move %(code)s to level %(level)d: %(step)s") % {
        "code": indicator.code,
        "level": target,
        "step": first_sentence,
    }
    return {
        "title": Truncator(title).chars(TITLE_MAX),
        "description": suggestion,
        "owner": "",
        "start_date": today,
        "due_date": _months_later(today, DRAFT_MONTHS),
        "target_level": target,
    }


def _months_later(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 August → 28 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def official_score_set(round: Round) -> str:
    """The levels a round's gaps are measured with: the reviewer's once validated, the city's before."""
    return VALIDATED if round.status == Round.Status.VALIDATED else SELF


def gaps(round: Round, user) -> list[Gap]:
    """The round's indicators below the authority's target, in catalogue order (404 unless ``user`` may read the plan).

    Optional dimensions the city left out are not listed, nor an accepted N/A; an unanswered or
    "don't know" indicator is a gap with no level, as is an N/A the reviewer did not accept.
    Six queries after the access check: the answer sheet's three, targets, dismissals and the linked actions.
    """
    require(user, PlanCapability.VIEW, round.authority)
    sheet = answer_sheet(round)
    score_set = official_score_set(round)
    targets = dict(
        PlanTarget.objects.filter(plan__authority_id=round.authority_id).values_list("indicator_code", "level")
    )
    below = []
    for indicator in sheet.indicators:
        item = sheet.item(indicator, score_set)
        if not item.applicable:
            continue
        level = item.level if item.response == scoring.LEVEL else None
        target = targets.get(indicator.code, DEFAULT_TARGET_LEVEL)
        if level is not None and level >= target:
            continue
        below.append((indicator, item.response, level, target))
    if not below:
        return []
    dismissed = set(SuggestionDismissal.objects.filter(round_id=round.pk).values_list("indicator_id", flat=True))
    actions = _actions_by_code(round.authority_id, [indicator.code for indicator, *_ in below])
    return [
        Gap(
            indicator=indicator,
            response=response,
            level=level,
            target=target,
            suggestion=indicator.suggestion,
            dismissed=indicator.pk in dismissed,
            actions=tuple(actions.get(indicator.code, ())),
        )
        for indicator, response, level, target in below
    ]


def _actions_by_code(authority_id: int, codes: list[str]) -> dict[str, list[Action]]:
    """The authority's actions linked to each of ``codes`` (in any catalogue version), soonest due first."""
    links = (
        ActionIndicator.objects.filter(action__plan__authority_id=authority_id, indicator__code__in=codes)
        .select_related("action")
        .annotate(code=F("indicator__code"))
        .order_by("action__due_date", "action_id")
    )
    by_code: dict[str, list[Action]] = defaultdict(list)
    for link in links:
        if link.action not in by_code[link.code]:
            by_code[link.code].append(link.action)
    return by_code


def peer_examples(
    indicators: Iterable[Indicator], *, exclude_authority: Authority, limit: int = PEER_LIMIT
) -> dict[str, list[PeerExample]]:
    """How other authorities at ``PEER_LEVEL`` or more describe their practice now, by indicator code (one query).

    Only justifications of rounds validated and published with the authority's consent
    (``Round.objects.published``), matched by code across catalogue versions. Each authority speaks
    through its newest such round that assessed the indicator, and only if it stands at ``PEER_LEVEL``
    or more there, at the validated level (the reviewer's, or the city's where the reviewer kept it:
    ``scoring.validated_answer``): an authority that has since fallen below is not an example, whatever
    it once wrote. Newest periods first, at most ``limit`` per code.
    """
    codes = sorted({indicator.code for indicator in indicators})
    found: dict[str, list[PeerExample]] = {code: [] for code in codes}
    if not codes or limit < 1:
        return found
    left_out = Round.omitted_dimensions.through.objects.filter(
        round_id=OuterRef("round_id"), dimension_id=OuterRef("indicator__dimension_id")
    )
    # Each authority's newest published answer per code, whatever its level: the level is judged after,
    # so that an older round at a better level never stands in for the present one.
    newest = (
        Answer.objects.filter(round__in=Round.objects.published(), indicator__code__in=codes)
        .exclude(round__authority_id=exclude_authority.pk)
        .exclude(Exists(left_out))
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("indicator__code"), F("round__authority_id")],
                order_by=[F("round__period").desc(), F("pk").desc()],
            ),
        )
        .filter(newest=1)
    )
    examples = (
        Answer.objects.filter(pk__in=newest.values("pk"))
        .annotate(text=Trim("justification"), code=F("indicator__code"), **_validated_level())
        .filter(validated_level__gte=PEER_LEVEL)
        .exclude(text="")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("indicator__code")],
                order_by=[F("round__period").desc(), F("round__authority__name"), F("pk")],
            ),
        )
        .filter(rank__lte=limit)
        .select_related("round__authority")
        .order_by("code", "rank")
    )
    for answer in examples:
        found[answer.code].append(
            PeerExample(
                code=answer.code,
                authority=answer.round.authority.name,
                period=answer.round.period,
                level=answer.validated_level,
                text=answer.justification.strip(),
            )
        )
    return found


def _validated_level() -> dict:
    """Annotations of an answer's validated level: ``scoring.validated_answer`` in SQL.

    The reviewer's level where they set one (validation records the city's level when the reviewer
    kept it), else the city's own level; none for don't know, N/A or no answer.
    """
    reviewed = ReviewItem.objects.filter(round_id=OuterRef("round_id"), indicator_id=OuterRef("indicator_id"))
    return {
        "reviewed_level": Subquery(reviewed.values("validated_level")[:1]),
        "validated_level": Case(
            When(reviewed_level__isnull=False, then=F("reviewed_level")),
            When(response=scoring.LEVEL, then=F("level")),
            output_field=IntegerField(),
        ),
    }


def catalogue_examples(indicators: Iterable[Indicator]) -> dict[str, list[IndicatorExample]]:
    """The catalogue's own examples of each indicator, by code, in catalogue order (one query)."""
    by_pk = {indicator.pk: indicator.code for indicator in indicators}
    found: dict[str, list[IndicatorExample]] = {code: [] for code in by_pk.values()}
    for example in IndicatorExample.objects.filter(indicator_id__in=by_pk).order_by("order", "id"):
        found[by_pk[example.indicator_id]].append(example)
    return found
