"""The methodology's rules, stated once.

The answer scale (levels and their meanings), the responses an answer may be, the points a level
is worth, the score bands, how many applicable indicators a dimension needs for a score, and the
kinds of dimension. Plain values and choices, no queries and no settings:
``assessments/scoring.py`` computes with them, the models bound their fields with them, and the
methodology page and the report's methodology state them through ``methodology()``, in the active
language, so that no page repeats a number in prose.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from django.db.models import IntegerChoices, TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Level(IntegerChoices):
    """The answer scale every indicator shares."""

    NOT_IN_PLACE = 0, _("Not in place")
    INITIAL = 1, _("Initial")
    PARTIAL = 2, _("Partial")
    OPERATIONAL = 3, _("Operational")
    INSTITUTIONALISED = 4, _("Institutionalised")


LEVELS: tuple[int, ...] = tuple(Level.values)
LOWEST_LEVEL, HIGHEST_LEVEL = LEVELS[0], LEVELS[-1]

LEVEL_MEANINGS = {
    Level.NOT_IN_PLACE: _("Nothing exists or is being considered."),
    Level.INITIAL: _("Ad hoc or informal, or planned or drafted but not adopted."),
    Level.PARTIAL: _("Adopted or formal, but limited in scope, coverage or operation."),
    Level.OPERATIONAL: _("In place, working, covering the main groups or areas."),
    Level.INSTITUTIONALISED: _("Operational, resourced, reviewed regularly, sustained across administrations."),
}


class Response(TextChoices):
    """What an answer is: a level, not applicable, don't know, or nothing yet."""

    UNANSWERED = "", _("Not answered yet")
    LEVEL = "level", _("A level")
    NOT_APPLICABLE = "na", _("Not applicable")
    DONT_KNOW = "dk", _("Don't know")


# Points of an indicator: its level times this (0 to 100). Don't know, no answer and a rejected
# N/A score as the lowest level; an accepted N/A leaves the indicator out.
POINTS_PER_LEVEL = 25
MAX_POINTS = HIGHEST_LEVEL * POINTS_PER_LEVEL

# The level from which an indicator asks for evidence unless it names another (its
# ``evidence_from_level``); evidence coverage counts the answers at this level or more.
EVIDENCE_FROM_LEVEL = 2

# The level from which an answer needs a justification unless the indicator names another (its
# ``justification_from_level``): a claim of operational practice or more must say why.
JUSTIFICATION_FROM_LEVEL = 3


class Band(TextChoices):
    """The bands a score falls in, lowest first."""

    INITIAL = "initial", _("Initial")
    EMERGING = "emerging", _("Emerging")
    ESTABLISHED = "established", _("Established")
    ADVANCED = "advanced", _("Advanced")


# The lowest score of each band, on unrounded scores.
BAND_FLOORS: dict[Band, int] = {Band.INITIAL: 0, Band.EMERGING: 25, Band.ESTABLISHED: 50, Band.ADVANCED: 75}
# The same, highest first: (lower bound, band), as ``scoring.band`` reads them.
BANDS: tuple[tuple[float, str], ...] = tuple(
    (floor, band.value) for band, floor in sorted(BAND_FLOORS.items(), key=lambda pair: -pair[1])
)

# A dimension has a score only when at least this many of its indicators are applicable, and at
# least this share of them; otherwise it is "insufficient".
MINIMUM_APPLICABLE = 2
MINIMUM_APPLICABLE_SHARE = Fraction(1, 2)


def minimum_applicable(indicator_count: int) -> int:
    """How many applicable indicators a dimension of ``indicator_count`` needs for a score."""
    return max(MINIMUM_APPLICABLE, math.ceil(indicator_count * MINIMUM_APPLICABLE_SHARE))


class DimensionKind(TextChoices):
    """Core dimensions make the headline index (their plain mean); supplementary ones stand beside it."""

    CORE = "core", _("Core")
    SUPPLEMENTARY = "supplementary", _("Supplementary")


# --- the rules in words, for the methodology page and the report ---------------------------------


class DimensionLike(Protocol):
    code: str
    name: str
    kind: str
    optional: bool


@dataclass(frozen=True)
class ScaleRow:
    level: int
    label: str | Promise
    meaning: str | Promise
    evidence: str | Promise


@dataclass(frozen=True)
class BandRange:
    label: str | Promise
    lower: int
    upper: int | None  # None: the top band


@dataclass(frozen=True)
class Methodology:
    """The rules, with the numbers and names filled in, as the methodology texts state them."""

    scale: tuple[ScaleRow, ...]
    lowest_level: int
    highest_level: int
    points_per_level: int
    min_points: int
    max_points: int
    evidence_from_level: int
    minimum_applicable: int
    minimum_share_percent: int
    bands: tuple[BandRange, ...]
    core: tuple[str, ...]  # "HC Horizontal coherence", in catalogue order
    supplementary: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def core_names(self) -> str:
        return ", ".join(self.core)

    @property
    def supplementary_names(self) -> str:
        return ", ".join(self.supplementary)

    @property
    def optional_names(self) -> str:
        return ", ".join(self.optional)


def _evidence_asked(level: int) -> str:
    if level == LOWEST_LEVEL:
        return gettext("None")
    if level < EVIDENCE_FROM_LEVEL:
        return gettext("Optional")
    return gettext("Required (from the level each indicator names, usually %(level)d)") % {"level": EVIDENCE_FROM_LEVEL}


def methodology(dimensions: Iterable[DimensionLike]) -> Methodology:
    """The rules' numbers and names in the active language, for ``dimensions`` (in catalogue order)."""
    dimensions = list(dimensions)
    floors = sorted(BAND_FLOORS.items(), key=lambda pair: pair[1])
    named = [(f"{d.code} {d.name}", d) for d in dimensions]
    return Methodology(
        scale=tuple(
            ScaleRow(level.value, level.label, LEVEL_MEANINGS[level], _evidence_asked(level.value)) for level in Level
        ),
        lowest_level=LOWEST_LEVEL,
        highest_level=HIGHEST_LEVEL,
        points_per_level=POINTS_PER_LEVEL,
        min_points=LOWEST_LEVEL * POINTS_PER_LEVEL,
        max_points=HIGHEST_LEVEL * POINTS_PER_LEVEL,
        evidence_from_level=EVIDENCE_FROM_LEVEL,
        minimum_applicable=MINIMUM_APPLICABLE,
        minimum_share_percent=int(MINIMUM_APPLICABLE_SHARE * 100),
        bands=tuple(
            BandRange(band.label, floor, floors[n + 1][1] if n + 1 < len(floors) else None)
            for n, (band, floor) in enumerate(floors)
        ),
        core=tuple(name for name, d in named if d.kind == DimensionKind.CORE),
        supplementary=tuple(name for name, d in named if d.kind != DimensionKind.CORE),
        optional=tuple(name for name, d in named if d.optional),
    )


# The indicators a national or regional counterpart answers beside the city: every indicator of these
# dimensions (vertical coherence is about the levels talking to each other), and any the catalogue
# marks ``Indicator.mirrored``.
MIRRORED_DIMENSIONS: tuple[str, ...] = ("VC",)


class CrosswalkKind(TextChoices):
    """How an indicator of an edition continues the edition it is based on (its crosswalk).

    An indicator of a first edition has none: there is nothing before it to compare with.
    """

    SAME = "same", _("Same (reworded at most)")
    SPLIT = "split", _("Split (one earlier indicator became several)")
    MERGED = "merged", _("Merged (several earlier indicators became this one)")
    NEW = "new", _("New (no earlier indicator)")


# The kinds that continue exactly one earlier indicator (``Indicator.derived_from``); a merge
# continues several (``Indicator.merged_from``); a new indicator continues none.
SINGLE_PREDECESSOR_KINDS: tuple[str, ...] = (CrosswalkKind.SAME.value, CrosswalkKind.SPLIT.value)
