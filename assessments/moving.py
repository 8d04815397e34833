"""Moving an open round to a newer edition of its catalogue: what would happen, read before anything is written.

The crosswalk between the round's edition and the newer one (``CatalogueVersion.objects.crosswalk``)
says what becomes of each answer; ``move_plan`` reads it with the round's answers and says it in
codes (the preview page), and ``services.round_move_to_edition`` does it. The rules:

- **same**: the answer moves to the later indicator unchanged (response, level, justification,
  evidence, whether it waits for confirmation), except an N/A the later indicator no longer
  allows, which is cleared and left for a person to answer (``proposal``);
- **split**: each part gets the earlier answer, carried over for a person to confirm;
- **merged** (and, through a chain of editions, several to several): the later indicator gets an
  answer carried over for a person to confirm, with the earlier level only if the earlier answers
  agree (``proposal``); never a level of its own making;
- **new**: unanswered;
- **retired**: the answer leaves the round; the history's entry for the move keeps it in words.

Only a published edition that continues the round's own (its descendant through ``based_on``) and
is newer can be moved to.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from indicators.crosswalk import SAME, Crosswalk
from indicators.models import CatalogueVersion, Dimension, Indicator

from .access import Capability
from .models import Answer, Evidence, Round, answer_label


def may_move(capabilities: Collection[str]) -> bool:
    """Whether these capabilities on a round allow moving it (``access.GRANTS``: approvers of the authority and
    administrators, in a draft or returned round)."""
    return Capability.MOVE_EDITION in capabilities


def move_refused(round: Round) -> str:
    """Why a person may not move the round (their role or the round's status)."""
    return _("Only an approver of %(authority)s can move a draft or returned round to a newer edition.") % {
        "authority": round.authority
    }


def newer_editions(version: CatalogueVersion) -> list[CatalogueVersion]:
    """The published editions that continue ``version`` (descend from it through ``based_on``), newest first: one query."""
    versions = list(CatalogueVersion.objects.filter(framework_id=version.framework_id).order_by("-number"))
    parents = {v.pk: v.based_on_id for v in versions}
    return [
        v for v in versions if v.status == CatalogueVersion.Status.PUBLISHED and _continues(v.pk, version.pk, parents)
    ]


def _continues(pk: int, ancestor: int, parents: dict[int, int | None]) -> bool:
    """Whether edition ``pk`` descends from ``ancestor`` (and is not it)."""
    seen = set()
    current = parents.get(pk)
    while current is not None and current not in seen:
        if current == ancestor:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def edition_refusal(round: Round, version: CatalogueVersion) -> str | None:
    """Why the round cannot move to ``version`` (None when it can): the same, unpublished, older, or another line."""
    current = round.version
    if version.pk == current.pk:
        return _("The round is already on edition %(number)d.") % {"number": version.number}
    if version.status != CatalogueVersion.Status.PUBLISHED:
        return _("Only a published edition can be moved to; edition %(number)d is not.") % {"number": version.number}
    if version.framework_id != current.framework_id or version.number < current.number:
        return _("Edition %(number)d is not newer than the round's edition %(current)d.") % {
            "number": version.number,
            "current": current.number,
        }
    if version not in newer_editions(current):
        return _("Edition %(number)d does not continue the round's edition %(current)d.") % {
            "number": version.number,
            "current": current.number,
        }
    return None


# --- what a later indicator is given --------------------------------------------------------------


@dataclass(frozen=True)
class Earlier:
    """An earlier indicator's answer, as much of it as a later indicator may be given."""

    code: str
    response: str = ""
    level: int | None = None
    justification: str = ""

    @property
    def label(self) -> str:
        return answer_label({"response": self.response, "level": self.level})


@dataclass(frozen=True)
class Proposal:
    """What a later indicator of a split or merge is given, carried over for a person to confirm."""

    response: str
    level: int | None
    justification: str
    agreed: bool  # False: the earlier answers differ (or N/A is no longer allowed), and no answer is proposed


def proposal(earlier: Sequence[Earlier], *, na_allowed: bool) -> Proposal:
    """The answer a later indicator continuing ``earlier`` (one per earlier indicator, in order) is proposed.

    One earlier indicator (same, split): its answer. Several (merged): their answer only if they all
    gave the same one (the same response and level; an indicator with no answer agrees with none); their
    justifications are kept, each under its code when they differ. Otherwise no answer is proposed: the
    justification names each earlier answer, for the person to choose. A level is never made up. An N/A
    the later indicator does not allow is never proposed either.
    """
    if len(earlier) == 1:
        only = earlier[0]
        response, level, justification, agreed = only.response, only.level, only.justification, True
    else:
        given = {(e.response, e.level) for e in earlier}
        texts = [e for e in earlier if e.justification.strip()]
        if len({e.justification for e in texts}) == 1 and len(texts) == len(earlier):
            kept = texts[0].justification
        else:
            kept = "\n\n".join(f"{e.code}: {e.justification.strip()}" for e in texts)
        if len(given) == 1 and earlier[0].response:
            response, level, justification, agreed = earlier[0].response, earlier[0].level, kept, True
        elif not any(e.response for e in earlier):
            response, level, justification, agreed = Answer.Response.UNANSWERED, None, kept, False
        else:
            note = _("The earlier answers differ (%(answers)s): choose the answer of the merged indicator.") % {
                "answers": "; ".join(f"{e.code}: {e.label}" for e in earlier)
            }
            response, level, justification, agreed = (
                Answer.Response.UNANSWERED,
                None,
                f"{note}\n\n{kept}".strip(),
                False,
            )
    if response == Answer.Response.NOT_APPLICABLE and not na_allowed:
        note = _("Not applicable is no longer an answer this indicator allows: choose a level.")
        response, level, justification, agreed = (
            Answer.Response.UNANSWERED,
            None,
            f"{note}\n\n{justification}".strip(),
            False,
        )
    if response != Answer.Response.LEVEL:
        level = None
    return Proposal(response=response, level=level, justification=justification, agreed=agreed)


# --- the preview -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToCheck:
    """A later indicator given an answer carried over for a person to confirm, and where the answer came from."""

    code: str
    kind: str  # split, merged, regrouped (through a chain of editions), or same (an N/A no longer allowed)
    old: tuple[str, ...]
    agreed: bool


@dataclass(frozen=True)
class Leaving:
    """An answer to a retired indicator: it leaves the round, kept in words in the history."""

    code: str
    label: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class MovePlan:
    """What moving the round to ``target`` would do, in codes."""

    round: Round
    target: CatalogueVersion
    crosswalk: Crosswalk
    carried: tuple[str, ...]  # same indicators whose answer moves unchanged
    to_check: tuple[ToCheck, ...]
    unanswered: tuple[str, ...]  # later indicators that start unanswered, new ones among them
    new: tuple[str, ...]  # later indicators that continue none
    retired: tuple[str, ...]  # earlier indicators with no successor
    leaving: tuple[Leaving, ...]  # of them, the answers that leave the round
    kept_out: tuple[str, ...]  # optional dimensions left out that stay left out (codes)
    back_in: tuple[str, ...]  # dimensions left out that the later edition no longer lets a city leave out

    @property
    def is_empty(self) -> bool:
        return not (self.carried or self.to_check or self.leaving)


def move_plan(round: Round, target: CatalogueVersion) -> MovePlan:
    """Say what moving ``round`` to ``target`` would do, reading only: at most eight queries, whatever the catalogue's size."""
    crosswalk = CatalogueVersion.objects.crosswalk(round.version, target)
    answers = {a.indicator.code: a for a in Answer.objects.filter(round=round).select_related("indicator")}
    later = {i.code: i for i in Indicator.objects.filter(version=target).only("code", "na_allowed")}
    carried, to_check, unanswered = [], [], []
    for link in crosswalk.links:
        present = [answers[code] for code in link.old if code in answers]
        if not present:
            unanswered.extend(link.new)
            continue
        if link.kind == SAME:
            answer, code = present[0], link.new[0]
            if answer.response == Answer.Response.NOT_APPLICABLE and not later[code].na_allowed:
                to_check.append(ToCheck(code, SAME, link.old, agreed=False))
            else:
                carried.append(code)
            continue
        earlier = [earlier_answer(answers.get(code), code) for code in link.old]
        for code in link.new:
            agreed = proposal(earlier, na_allowed=later[code].na_allowed).agreed
            to_check.append(ToCheck(code, link.kind, link.old, agreed))
    unanswered.extend(crosswalk.added)
    leaving_answers = [answers[code] for code in crosswalk.retired if code in answers]
    evidence: dict[int, list[Evidence]] = {}
    if leaving_answers:
        for item in Evidence.objects.filter(answer__in=leaving_answers):
            evidence.setdefault(item.answer_id, []).append(item)
    leaving = tuple(
        Leaving(a.indicator.code, answer_label(a.state([])), tuple(evidence.get(a.pk, ()))) for a in leaving_answers
    )
    kept_out, back_in = dimensions_left_out(round, target)
    return MovePlan(
        round=round,
        target=target,
        crosswalk=crosswalk,
        carried=tuple(carried),
        to_check=tuple(to_check),
        unanswered=tuple(unanswered),
        new=crosswalk.added,
        retired=crosswalk.retired,
        leaving=leaving,
        kept_out=tuple(d.code for d in kept_out),
        back_in=back_in,
    )


def earlier_answer(answer: Answer | None, code: str) -> Earlier:
    """An earlier indicator's answer (or its absence) as ``proposal`` reads it."""
    if answer is None:
        return Earlier(code)
    return Earlier(code, answer.response, answer.level, answer.justification)


def dimensions_left_out(round: Round, target: CatalogueVersion) -> tuple[list[Dimension], tuple[str, ...]]:
    """The round's left-out dimensions in ``target``, matched by code: those still optional, and the codes of the rest."""
    codes = list(round.omitted_dimensions.values_list("code", flat=True))
    if not codes:
        return [], ()
    optional = list(Dimension.objects.filter(version=target, code__in=codes, optional=True).order_by("order", "code"))
    still = {d.code for d in optional}
    return optional, tuple(code for code in codes if code not in still)
