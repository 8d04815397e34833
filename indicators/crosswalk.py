"""The crosswalk between two catalogue editions, as pure values and rules: no ORM, no settings.

Each indicator of an edition based on another says how it continues it (``CrosswalkKind``):
the same indicator reworded, one part of a split, a merge of several, or new; the earlier
edition lists the indicators it drops as retired. Between two editions that gives *links*:
groups of earlier indicators and the later indicators that continue them, each group closed (no
indicator of either side in two links). ``Crosswalk`` holds them, with the retired and the added
indicators; ``CatalogueVersion.objects.crosswalk(a, b)`` builds it from the database, and
``assessments/crosswalk.py`` scores two rounds on the indicators it maps ("comparable basis").

Editions further apart compose (v1 → v2 → v3): two links joined through the middle edition
become one, so an indicator split in v2 and one of whose parts is merged in v3 is compared as a
group of both sides. A link's kind follows from its sides: one to one is same, one to several
split, several to one merged, several to several ``REGROUPED`` (only ever through a chain).

``crosswalk_problems`` states the rules an edition's crosswalk follows; the import checks them on
a document and publishing on the database (``services.version_problems``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext

from .rules import CrosswalkKind

SAME, SPLIT, MERGED, NEW = (kind.value for kind in CrosswalkKind)
# Several earlier indicators to several later ones: what a chain of a merge and a split makes.
REGROUPED = "regrouped"
# An indicator of the earlier edition with no successor.
RETIRED = "retired"


def link_kind(old: int, new: int) -> str:
    """The kind of a link from ``old`` earlier indicators to ``new`` later ones."""
    if old == 1:
        return SAME if new == 1 else SPLIT
    return MERGED if new == 1 else REGROUPED


@dataclass(frozen=True)
class Link:
    """Earlier indicators and the later ones that continue them, compared as one."""

    old: tuple[str, ...]
    new: tuple[str, ...]

    @property
    def kind(self) -> str:
        return link_kind(len(self.old), len(self.new))

    def inverted(self) -> Link:
        return Link(old=self.new, new=self.old)


@dataclass(frozen=True)
class Crosswalk:
    """The links from one edition to another, and the indicators on either side that no link holds."""

    links: tuple[Link, ...]
    retired: tuple[str, ...] = ()  # earlier indicators with no successor
    added: tuple[str, ...] = ()  # later indicators with no predecessor

    @classmethod
    def identity(cls, codes: Iterable[str]) -> Crosswalk:
        """The crosswalk of an edition to itself: every indicator the same."""
        return cls(links=tuple(Link((code,), (code,)) for code in dict.fromkeys(codes)))

    @classmethod
    def from_predecessors(cls, old_codes: Iterable[str], predecessors: Mapping[str, Iterable[str]]) -> Crosswalk:
        """Build the crosswalk from what the later edition records.

        ``old_codes``: the earlier edition's indicators; ``predecessors``: each later indicator's
        code → the codes of the earlier indicators it continues (none for a new one). Earlier
        indicators no later one continues are retired; later ones that continue none are added.
        """
        edges = [(("a", old), ("c", new)) for new, olds in predecessors.items() for old in olds]
        return _links_of(
            [("a", code) for code in dict.fromkeys(old_codes)], [("c", code) for code in predecessors], edges
        )

    @property
    def mapping(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Each earlier indicator → the later ones it became, each with the link's kind; () when retired."""
        result: dict[str, tuple[tuple[str, str], ...]] = {code: () for code in self.retired}
        for link in self.links:
            for old in link.old:
                result[old] = tuple((new, link.kind) for new in link.new)
        return result

    @property
    def is_identity(self) -> bool:
        return not self.retired and not self.added and all(link.old == link.new for link in self.links)

    def inverted(self) -> Crosswalk:
        """The same crosswalk read from the later edition to the earlier one (a split reads as a merge)."""
        return Crosswalk(links=tuple(link.inverted() for link in self.links), retired=self.added, added=self.retired)

    def then(self, following: Crosswalk) -> Crosswalk:
        """Compose: this crosswalk (A → B), then ``following`` (B → C), gives A → C."""
        old_codes = [code for link in self.links for code in link.old] + list(self.retired)
        new_codes = [code for link in following.links for code in link.new] + list(following.added)
        # Join the two through the middle edition: A and C indicators linked to one B indicator meet.
        edges = [(("a", old), ("b", mid)) for link in self.links for old in link.old for mid in link.new]
        edges += [(("b", mid), ("c", new)) for link in following.links for mid in link.old for new in link.new]
        return _links_of([("a", c) for c in old_codes], [("c", c) for c in new_codes], edges)


def _links_of(old_nodes: list, new_nodes: list, edges: list[tuple]) -> Crosswalk:
    """Group the nodes joined by ``edges`` into links (connected groups), in the order the nodes come."""
    parent: dict = {}

    def root(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        parent[root(a)] = root(b)
    groups: dict = {}
    for side, nodes in (("old", old_nodes), ("new", new_nodes)):
        for node in nodes:
            groups.setdefault(root(node), {"old": [], "new": []})[side].append(node[1])
    links, retired, added = [], [], []
    for group in groups.values():
        if group["old"] and group["new"]:
            links.append(Link(tuple(group["old"]), tuple(group["new"])))
        else:
            retired.extend(group["old"])
            added.extend(group["new"])
    return Crosswalk(links=tuple(links), retired=tuple(retired), added=tuple(added))


# --- the rules an edition's crosswalk follows ---------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """What one indicator of an edition records of its crosswalk: its kind and predecessors' codes."""

    code: str
    kind: str
    predecessors: tuple[str, ...] = ()


def predecessor_count_problem(kind: str, count: int) -> str | None:
    """Why ``count`` predecessors do not fit a ``kind`` (None when they do)."""
    if kind in (SAME, SPLIT) and count != 1:
        return gettext("“same” and “split” continue exactly one indicator of the earlier edition")
    if kind == MERGED and count < 2:
        return gettext("“merged” continues two or more indicators of the earlier edition")
    if kind == NEW and count:
        return gettext("a new indicator continues no indicator of the earlier edition")
    return None


def crosswalk_problems(
    entries: Iterable[Entry], old_codes: Iterable[str] | None, retired: Iterable[str] = (), *, complete: bool = True
) -> list[str]:
    """Every reason the crosswalk of an edition is not sound (empty when it is).

    ``old_codes``: the indicators of the edition it is based on (None: a first edition, which has
    no crosswalk). With ``complete``, every one of them must be accounted for: continued (same,
    split or merged) or retired; a draft may be incomplete, a published edition may not.
    """
    entries, retired = list(entries), list(dict.fromkeys(retired))
    problems: list[str] = []
    if old_codes is None:
        for entry in entries:
            if entry.kind or entry.predecessors:
                problems.append(
                    gettext("%(code)s has a crosswalk, but its version is based on no earlier edition.")
                    % {"code": entry.code}
                )
        if retired:
            problems.append(gettext("A version based on no earlier edition retires no indicator."))
        return problems
    old = list(dict.fromkeys(old_codes))
    known = set(old)
    successors: dict[str, list[Entry]] = {}
    for entry in entries:
        if not entry.kind:
            problems.append(
                gettext("%(code)s needs a crosswalk kind: same, split, merged or new.") % {"code": entry.code}
            )
            continue
        if entry.kind not in CrosswalkKind.values:
            problems.append(
                gettext("%(code)s: unknown crosswalk kind “%(kind)s”.") % {"code": entry.code, "kind": entry.kind}
            )
            continue
        reason = predecessor_count_problem(entry.kind, len(entry.predecessors))
        if reason:
            problems.append(f"{entry.code}: {reason}.")
        for code in entry.predecessors:
            if code in known:
                successors.setdefault(code, []).append(entry)
            else:
                problems.append(
                    gettext("%(code)s continues %(old)s, which is not an indicator of the edition it is based on.")
                    % {"code": entry.code, "old": code}
                )
    for code in retired:
        if code not in known:
            problems.append(
                gettext("Retired %(code)s is not an indicator of the edition this one is based on.") % {"code": code}
            )
        elif code in successors:
            problems.append(
                gettext("%(code)s is both retired and continued by %(new)s.")
                % {"code": code, "new": ", ".join(e.code for e in successors[code])}
            )
    for code, entries_of in successors.items():
        kinds = {e.kind for e in entries_of}
        names = ", ".join(e.code for e in entries_of)
        if len(kinds) > 1:
            problems.append(
                gettext("%(code)s is continued in more than one way (%(new)s): it is the same, split or merged.")
                % {"code": code, "new": names}
            )
        elif kinds == {SAME} and len(entries_of) > 1:
            problems.append(
                gettext("%(code)s is the “same” as more than one indicator (%(new)s); mark them “split”.")
                % {"code": code, "new": names}
            )
        elif kinds == {SPLIT} and len(entries_of) < 2:
            problems.append(
                gettext("%(code)s is split into only one indicator (%(new)s); mark it “same”.")
                % {"code": code, "new": names}
            )
        elif kinds == {MERGED} and len(entries_of) > 1:
            problems.append(
                gettext("%(code)s is merged into more than one indicator (%(new)s).") % {"code": code, "new": names}
            )
    if complete:
        unaccounted = [code for code in old if code not in successors and code not in retired]
        if unaccounted:
            problems.append(
                gettext(
                    "Not accounted for: %(codes)s. Each indicator of the edition this one is based on must be "
                    "continued (same, split or merged) or retired."
                )
                % {"codes": ", ".join(unaccounted)}
            )
    return problems
