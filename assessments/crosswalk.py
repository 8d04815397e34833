"""Two rounds scored on their comparable basis, as pure functions of plain values: no ORM, no settings.

The methodology compares rounds within one catalogue edition, or across editions only on the
indicators the catalogue maps from one to the next. Given both rounds' answers (the
``scoring.DimensionInput`` lists ``scoring.score_round`` takes) and the ``Crosswalk`` from the
first round's edition to the second's (``CatalogueVersion.objects.crosswalk``), this scores both
rounds with ``scoring.score_round`` on that basis:

- each link of the crosswalk is compared as one indicator on each side (a *unit*): the same
  indicator is itself; the parts of a split are taken together on the later side, the indicators
  of a merge together on the earlier side; a unit's points are the weighted mean of its applicable
  indicators' points (an accepted N/A left out, as everywhere), its weight the mean of their
  weights, and it is not applicable when none of them is;
- indicators of one edition only (retired, new) are left out, and so is a link whose indicators
  do not sit in one dimension of the same code on both sides (moved), or that one of the rounds
  does not hold (an optional dimension one city left out);
- dimensions are those of both rounds, core when core in both; a dimension nothing is compared
  in is left out. The headline index is the plain mean of the core dimensions so compared.

Rounds on one edition (the identity crosswalk) compare every indicator, and their scores are
exactly their ordinary scores. The basis does not depend on which round comes first: swapping
the rounds and inverting the crosswalk compares the same indicators and swaps the scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from indicators.crosswalk import Crosswalk

from .scoring import (
    ANSWERED,
    DONT_KNOW,
    EVIDENCE_COVERAGE_FROM_LEVEL,
    LEVEL,
    NOT_APPLICABLE,
    UNANSWERED,
    DimensionInput,
    IndicatorInput,
    RoundScore,
    score_round,
)

FIRST, SECOND = "first", "second"


class LeftOutReason(TextChoices):
    """Why an indicator of a round is not on the comparable basis."""

    RETIRED = "retired", _("Retired: the later edition no longer has it")
    NEW = "new", _("New: the earlier edition did not have it")
    MOVED = "moved", _("Moved to another dimension, so no dimension compares it")
    ABSENT = "absent", _("The other round does not include it")


@dataclass(frozen=True)
class Compared:
    """One comparison on the basis: indicators of the first round's edition against the second's."""

    dimension: str
    kind: str  # same, split, merged, or regrouped (only across a chain of editions)
    first: tuple[str, ...]
    second: tuple[str, ...]


@dataclass(frozen=True)
class LeftOut:
    code: str
    round: str  # FIRST or SECOND: which round's edition has it
    reason: str  # a LeftOutReason value


@dataclass(frozen=True)
class ComparableScores:
    """Both rounds' scores on their comparable basis, what it compares and what it leaves out."""

    first: RoundScore
    second: RoundScore
    compared: tuple[Compared, ...]
    left_out: tuple[LeftOut, ...]
    same_edition: bool  # the identity crosswalk: every indicator compared, the ordinary scores

    def left_out_of(self, round: str) -> tuple[LeftOut, ...]:
        return tuple(item for item in self.left_out if item.round == round)


def unit(parts: Sequence[IndicatorInput]) -> IndicatorInput:
    """Several indicators of one round taken as one: weighted mean points, mean weight; one stays itself.

    Its level may be fractional (the weighted mean of its applicable parts' scoring levels). It is
    answered when any applicable part is, "don't know" when the applicable parts are only that or
    blank, unanswered when none has a response, and has evidence when every applicable part at the
    evidence level has some.
    """
    if len(parts) == 1:
        return parts[0]
    code = "+".join(part.code for part in parts)
    weight = float(sum(Fraction(str(part.weight)) for part in parts) / len(parts))
    applicable = [part for part in parts if part.applicable]
    if not applicable:
        return IndicatorInput(code=code, response=NOT_APPLICABLE, weight=weight, na_accepted=True)
    weights = [Fraction(str(part.weight)) for part in applicable]
    level = sum(w * part.effective_level for w, part in zip(weights, applicable, strict=True)) / sum(weights)
    if any(part.response in ANSWERED for part in applicable):
        response = LEVEL
    elif any(part.response == DONT_KNOW for part in applicable):
        response = DONT_KNOW
    else:
        response = UNANSWERED
    return IndicatorInput(
        code=code,
        response=response,
        level=level if response == LEVEL else None,
        weight=weight,
        has_evidence=all(
            part.has_evidence for part in applicable if part.effective_level >= EVIDENCE_COVERAGE_FROM_LEVEL
        ),
    )


def comparable_scores(
    first: Sequence[DimensionInput], second: Sequence[DimensionInput], crosswalk: Crosswalk
) -> ComparableScores:
    """Score both rounds on the indicators ``crosswalk`` (first's edition → second's) maps between them."""
    sides = (first, second)
    places = [
        {item.code: (dimension.code, n) for dimension in side for n, item in enumerate(dimension.indicators)}
        for side in sides
    ]
    items = [{item.code: item for dimension in side for item in dimension.indicators} for side in sides]
    units: list[dict[str, list[tuple[int, IndicatorInput]]]] = [{}, {}]
    compared, left_out = [], []
    for link in crosswalk.links:
        present = [[code for code in codes if code in places[s]] for s, codes in enumerate((link.old, link.new))]
        if not (present[0] and present[1]):
            left_out += [LeftOut(code, (FIRST, SECOND)[s], LeftOutReason.ABSENT) for s in (0, 1) for code in present[s]]
            continue
        dimensions = [{places[s][code][0] for code in present[s]} for s in (0, 1)]
        if len(dimensions[0]) != 1 or dimensions[0] != dimensions[1]:
            left_out += [LeftOut(code, (FIRST, SECOND)[s], LeftOutReason.MOVED) for s in (0, 1) for code in present[s]]
            continue
        [dimension] = dimensions[0]
        for s in (0, 1):
            position = min(places[s][code][1] for code in present[s])
            units[s].setdefault(dimension, []).append((position, unit([items[s][code] for code in present[s]])))
        compared.append(Compared(dimension, link.kind, tuple(present[0]), tuple(present[1])))
    mapped: list[set[str]] = [set(), set()]
    for link in crosswalk.links:
        mapped[0].update(link.old)
        mapped[1].update(link.new)
    # Indicators of one edition only (and any the crosswalk does not know): no link compares them.
    for s, reason in ((0, LeftOutReason.RETIRED), (1, LeftOutReason.NEW)):
        left_out += [LeftOut(code, (FIRST, SECOND)[s], reason) for code in places[s] if code not in mapped[s]]
    cores = [{d.code: d.core for d in side} for side in sides]
    shared = [code for code in cores[0] if code in cores[1]]
    scores = []
    for s, side in enumerate(sides):
        dimensions = []
        for dimension in side:
            held = units[s].get(dimension.code, [])
            empty_in_both = not dimension.indicators and not any(
                d.indicators for d in sides[1 - s] if d.code == dimension.code
            )
            if dimension.code in shared and (held or empty_in_both):
                core = cores[0][dimension.code] and cores[1][dimension.code]
                dimensions.append(DimensionInput(dimension.code, core, tuple(u for _n, u in sorted(held, key=_first))))
        scores.append(score_round(dimensions))
    return ComparableScores(
        first=scores[0],
        second=scores[1],
        compared=tuple(compared),
        left_out=tuple(left_out),
        same_edition=crosswalk.is_identity,
    )


def _first(pair: tuple[int, IndicatorInput]) -> int:
    return pair[0]
