"""Places on the assessment pages and in the API that apps above ``assessments/`` fill.

The round page shows a report panel, the form shows each indicator's improvement actions, the API
detail of a round lists its actions: all of it belongs to apps that ``assessments/`` must not
import (``tests/test_layers.py``). Each such app fills a slot from its ``AppConfig.ready()``::

    slots.ROUND_PAGE.register(round_page_panel, order=20)

and the assessment view asks the slot for what to show, knowing nothing of who filled it. Fillers
take the request and the round, and must keep their query count constant (a few queries for the
whole page, never one per indicator).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString, mark_safe


class Slot:
    """A place on a page that other apps fill; ``fill`` gathers their parts in ``order``."""

    def __init__(self, name: str, description: str):
        self.name = name
        self.description = description
        self._fillers: list[tuple[int, str, Callable]] = []

    def register(self, filler: Callable, *, order: int = 100) -> Callable:
        """Add ``filler`` (once: registering it again replaces it)."""
        key = f"{filler.__module__}.{filler.__qualname__}"
        self._fillers = [f for f in self._fillers if f[1] != key]
        self._fillers.append((order, key, filler))
        self._fillers.sort(key=lambda f: (f[0], f[1]))
        return filler

    def fillers(self) -> list[Callable]:
        return [filler for _order, _key, filler in self._fillers]

    def __repr__(self) -> str:
        return f"<Slot {self.name}: {len(self._fillers)} fillers>"


class PageSlot(Slot):
    """A section of a page: each filler returns HTML (or an empty string when it has nothing to show)."""

    def fill(self, request, round, **context: Any) -> list[SafeString]:
        parts = (filler(request, round, **context) for filler in self.fillers())
        return [mark_safe(part) for part in parts if part]


class IndicatorSlot(Slot):
    """A part of each indicator's block: each filler returns ``{indicator pk: HTML}`` for the indicators given."""

    def fill(self, request, round, indicators: Iterable, **context: Any) -> dict[int, list[SafeString]]:
        indicators = list(indicators)
        parts: dict[int, list[SafeString]] = {indicator.pk: [] for indicator in indicators}
        for filler in self.fillers():
            for pk, html in (filler(request, round, indicators, **context) or {}).items():
                if html and pk in parts:
                    parts[pk].append(mark_safe(html))
        return parts


class UserPageSlot(Slot):
    """A section of a page about the user rather than a round (the home page): fillers take the request only."""

    def fill(self, request) -> list[SafeString]:
        parts = (filler(request) for filler in self.fillers())
        return [mark_safe(part) for part in parts if part]


# The home page: sections after the user's own rounds (the rounds a counterpart is invited to answer …).
HOME = UserPageSlot("home", "Sections of the home page, after the user's rounds.")
# The round's overview page: sections below the scores (the report, the improvement plan …).
ROUND_PAGE = PageSlot("round_page", "Sections of the round's overview page.")
# One page of the form: a part under each indicator's card (its improvement actions …).
INDICATOR_CARD = IndicatorSlot("indicator_card", "Parts under each indicator's card on the form.")
# The review page: a part under each indicator's decision, outside the review form (no nested forms).
REVIEW_INDICATOR = IndicatorSlot("review_indicator", "Parts under each indicator on the review page.")
# The review page: sections after the review form.
REVIEW_PAGE = PageSlot("review_page", "Sections of the review page, after the review form.")

# The API's round detail: field name → a factory of a read-only serializer field whose source is
# the round ("*"), with its OpenAPI schema declared (``extend_schema_field``).
ROUND_DETAIL_FIELDS: dict[str, Callable[[], Any]] = {}


def add_round_detail_field(name: str, factory: Callable[[], Any]) -> None:
    """Add a field to ``GET /api/v1/assessments/<id>/`` (from an app above assessments)."""
    ROUND_DETAIL_FIELDS[name] = factory


# Demo data (``manage.py seed_demo``): once the authorities, people and rounds exist, each app above
# assessments adds its own. A filler takes the command's stdout and must be idempotent.
DEMO_DATA = Slot("demo_data", "Demo data of the apps above assessments, added by seed_demo.")


class EvidenceSlot(Slot):
    """Evidence of a round's indicators kept outside the answers (a consultation that discussed one …).

    Each filler takes the round and returns the ids of the indicators it holds evidence for, in a
    constant number of queries. Scores count it as they count files and links (``has_evidence``).
    """

    def indicators_with_evidence(self, round) -> frozenset[int]:
        found: set[int] = set()
        for filler in self.fillers():
            found |= set(filler(round))
        return frozenset(found)


OTHER_EVIDENCE = EvidenceSlot("other_evidence", "Evidence of a round's indicators kept by other apps.")


class AnswerField:
    """A field of each answer in ``GET /api/v1/assessments/<id>/``, added by an app above assessments.

    ``field``: a factory of the read-only serializer field (its OpenAPI schema declared);
    ``values``: takes the round and its indicators, returns ``{indicator pk: value}`` in a constant
    number of queries (an indicator it leaves out gets ``default``).
    """

    def __init__(self, field: Callable[[], Any], values: Callable[[Any, list], dict], default: Any = None):
        self.field, self.values, self.default = field, values, default


ANSWER_FIELDS: dict[str, AnswerField] = {}


def add_answer_field(name: str, field: Callable[[], Any], values: Callable[[Any, list], dict], default=None) -> None:
    """Add a field to each answer of ``GET /api/v1/assessments/<id>/`` (from an app above assessments)."""
    ANSWER_FIELDS[name] = AnswerField(field, values, default)


class AuthorityPageSlot(Slot):
    """A section of a page about one authority rather than a round: fillers take the request and the authority."""

    def fill(self, request, authority) -> list[SafeString]:
        parts = (filler(request, authority) for filler in self.fillers())
        return [mark_safe(part) for part in parts if part]


# A parent authority's roll-up page (territories' ``region_rollup``): sections after the roll-up (its report …).
# The page has checked that the user may see the parent's roll-up (``territories.access.can_view_rollup``).
ROLLUP_PAGE = AuthorityPageSlot("rollup_page", "Sections of a parent authority's roll-up page.")


def per_request(request, key: tuple, load: Callable[[], Any]) -> Any:
    """What ``load()`` returns, loaded once per request: a page and its slots' fillers share what they read.

    ``key`` says what is loaded, its first item the app that loads it (``("plans", "followed", round.pk)``),
    so that two apps never read each other's.
    """
    memo = request.__dict__.setdefault("_slots_per_request", {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


# --- an authority's own data export (``assessments.export``) ---------------------------------------


@dataclass(frozen=True)
class ExportTable:
    """One table of an authority's export, written as ``<name>.csv`` and ``<name>.json``.

    ``rows`` is called once per format and must stream (``.iterator(chunk_size=…)``) in a constant
    number of queries; each row is a sequence in the order of ``columns``.
    """

    name: str  # the path in the archive without its extension: "plans/actions"
    description: str  # what a row is, in the requester's language (the README lists it)
    columns: tuple[str, ...]
    rows: Callable[[], Iterable[Sequence[Any]]]


@dataclass(frozen=True)
class ExportFiles:
    """Stored files of an authority's export, under ``folder``: ``files`` yields (path in the folder, FieldFile)."""

    folder: str
    description: str
    files: Callable[[], Iterable[tuple[str, Any]]]


class ExportSlot(Slot):
    """What apps above assessments add to an authority's own data export: tables and stored files.

    Each filler takes the authority and returns its parts (``ExportTable``, ``ExportFiles``); nothing is
    read until the export writes a part, and each part costs a constant number of queries.
    """

    def parts(self, authority) -> Iterator[ExportTable | ExportFiles]:
        for filler in self.fillers():
            yield from filler(authority)


# The authority's data export: plans, consultations, assignments, partnerships, reports … (``export.py`` of each app).
EXPORT = ExportSlot("export", "Tables and files the apps above assessments add to an authority's data export.")
