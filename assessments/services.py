"""Writes to rounds: answering, evidence, submission, review, return, validation, consent.

Every function here is one transaction: it either does all it says or nothing. Refusals raise
``WorkflowError`` (a ``ValidationError``) with a message for the user; a stale save raises
``AnswerConflict`` carrying the answer as it is now.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from indicators.crosswalk import SAME, SPLIT
from indicators.models import CatalogueVersion, Dimension, Indicator
from indicators.rules import HIGHEST_LEVEL, LEVELS, LOWEST_LEVEL

from . import access, events, moving, scoring
from .access import Capability
from .models import (
    Answer,
    AnswerRevision,
    Authority,
    Comment,
    Evidence,
    ReviewItem,
    Round,
    ScoreSnapshot,
    SnapshotDimension,
    StatusEvent,
    Thread,
    answer_label,
)
from .sheet import EVIDENCE, AnswerSheet, answer_needs, answer_sheet
from .uploads import check_logo, delete_files_on_commit, save_with_upload

LEVEL_RANGE = {"lowest": LOWEST_LEVEL, "highest": HIGHEST_LEVEL}


class WorkflowError(ValidationError):
    """An action the round's state or the user's role does not allow."""


class SubmissionRefused(WorkflowError):
    def __init__(self, problems: list[MissingItem]):
        n = len(problems)
        message = ngettext(
            "The round cannot be submitted yet: %(n)d item is missing.",
            "The round cannot be submitted yet: %(n)d items are missing.",
            n,
        )
        super().__init__(message % {"n": n})
        self.problems = problems


class AnswerConflict(Exception):
    """Someone saved the answer since the user loaded it; ``current`` is their version."""

    def __init__(self, current: Answer):
        super().__init__(f"answer {current.pk} is at revision {current.revision}")
        self.current = current


@dataclass(frozen=True)
class MissingItem:
    """Something that keeps a round from being submitted, tied to its indicator."""

    indicator: Indicator
    reason: str


# --- authorities -------------------------------------------------------------------------------


@transaction.atomic
def authority_logo_set(*, authority: Authority, actor, file: UploadedFile | None) -> Authority:
    """Give the authority a new logo (a PNG or JPEG, checked by content), or remove it (``file=None``).

    The file is stored under a generated name; the one it replaces is deleted once the change is committed.
    """
    authority = Authority.objects.select_for_update().get(pk=authority.pk)
    access.require(actor, Capability.EDIT_AUTHORITY, authority)
    old = authority.logo.name
    if file is None:
        if not old:
            return authority
        authority.logo = ""
    else:
        try:
            extension = check_logo(file)
        except ValidationError as refused:
            raise WorkflowError(refused.messages) from refused
        authority.logo.save(f"logo{extension}", file, save=False)
    try:
        authority.save(update_fields=["logo"])
    except Exception:
        if file is not None:  # keep no orphan file when the record is not written
            authority.logo.delete(save=False)
        raise
    if old:
        storage = authority.logo.storage
        transaction.on_commit(lambda: storage.delete(old))
    return authority


# --- rounds ------------------------------------------------------------------------------------


@transaction.atomic
def round_create(
    *,
    authority: Authority,
    period: str,
    actor,
    due_date=None,
    version=None,
    start_from: Round | None = None,
) -> Round:
    """Open a round for an authority, pinned to the current published catalogue version.

    ``start_from``, an earlier round of the same authority, lends the new round its answers,
    justifications and evidence, each carried over for a person to confirm or change (``_carry_over``).
    """
    access.require(actor, Capability.OPEN_ROUND, authority)
    version = version or CatalogueVersion.objects.current()
    if version is None or version.status != CatalogueVersion.Status.PUBLISHED:
        raise WorkflowError(_("No published catalogue version to assess against."))
    if start_from is not None:
        if start_from.authority_id != authority.pk or not access.can(actor, Capability.VIEW, start_from):
            raise WorkflowError(_("A round can start only from an earlier round of the same authority."))
        if not start_from.period < period:
            raise WorkflowError(
                _("The round to start from (%(earlier)s) must be of a period before %(period)s.")
                % {"earlier": start_from.period, "period": period}
            )
    taken = WorkflowError(
        _("%(authority)s already has a round for %(period)s.") % {"authority": authority, "period": period}
    )
    if Round.objects.filter(authority=authority, period=period).exists():
        raise taken
    try:
        with transaction.atomic():
            round = Round.objects.create(
                authority=authority, period=period, due_date=due_date, version=version, started_from=start_from
            )
    except IntegrityError as clash:  # a colleague opened the same period a moment ago
        raise taken from clash
    note = _("Started from the %(period)s round") % {"period": start_from.period} if start_from else ""
    StatusEvent.objects.create(round=round, to_status=round.status, actor=actor, note=note)
    if start_from is not None:
        _carry_over(start_from, round, actor)
    _tell(events.Kind.OPENED, round, actor, events.members([round])[round.pk])
    return round


@dataclass(frozen=True)
class RoundsOpened:
    opened: list[Round]
    skipped: list[Round]  # the rounds the authorities already had for the period


@transaction.atomic
def rounds_open(
    *, authorities, period: str, actor, due_date=None, version=None, note: str = "", message: str = ""
) -> RoundsOpened:
    """Open a round for each of many authorities at once (a campaign), in bulk; skip those that have one for the period.

    Only people whose programme role may open rounds for every authority (coordinators, administrators) may.
    The authorities' members are told, with ``message`` (a campaign's word to them) quoted.
    """
    if Capability.OPEN_ROUND not in access.programme_capabilities(actor):
        raise access.AccessDenied(_("Only programme coordinators can open rounds for many authorities."))
    period = period.strip()
    if not period:
        raise WorkflowError(_("Give the period of the rounds to open."))
    version = version or CatalogueVersion.objects.current()
    if version is None or version.status != CatalogueVersion.Status.PUBLISHED:
        raise WorkflowError(_("No published catalogue version to assess against."))
    ids = sorted({authority.pk for authority in authorities})
    skipped = list(Round.objects.filter(authority_id__in=ids, period=period).select_related("authority"))
    taken = {round.authority_id for round in skipped}
    try:
        with transaction.atomic():
            opened = Round.objects.bulk_create(
                Round(authority_id=pk, period=period, due_date=due_date, version=version)
                for pk in ids
                if pk not in taken
            )
    except IntegrityError as clash:  # someone opened one of these a moment ago
        raise WorkflowError(
            _("A round for %(period)s was opened meanwhile; try again.") % {"period": period}
        ) from clash
    StatusEvent.objects.bulk_create(
        StatusEvent(round=round, to_status=round.status, actor=actor, note=note) for round in opened
    )
    recipients = events.members(opened)
    data = {"message": message.strip()} if message.strip() else {}
    events.emit(events.Event(events.Kind.OPENED, round, actor, recipients[round.pk], data) for round in opened)
    return RoundsOpened(opened=opened, skipped=skipped)


@transaction.atomic
def round_set_due_date(*, round: Round, actor, due_date, note: str = "") -> Round:
    """Move a round's due date (programme coordinators and administrators); the history records it."""
    round = _lock(round)
    if Capability.OPEN_ROUND not in access.programme_capabilities(actor):
        raise access.AccessDenied(_("Only programme coordinators can move a round's due date."))
    if round.status == Round.Status.VALIDATED:
        raise WorkflowError(_("A validated round has no due date to move."))
    if due_date < timezone.localdate():
        raise WorkflowError(_("The due date cannot be in the past."))
    old = round.due_date
    if due_date == old:
        raise WorkflowError(_("The round is already due on %(date)s.") % {"date": due_date})
    round.due_date = due_date
    round.save(update_fields=["due_date"])
    text = _("Due date moved from %(old)s to %(new)s") % {"old": old or "—", "new": due_date}
    StatusEvent.objects.create(
        round=round,
        from_status=round.status,
        to_status=round.status,
        actor=actor,
        note=f"{text}. {note}".strip() if note else text,
    )
    return round


def _carry_over(source: Round, round: Round, actor) -> None:
    """Copy the answers of ``source`` into the new ``round``, each marked carried over until a person confirms it.

    Indicators are matched by code (the catalogue versions may differ); an answer to an indicator
    the new version lacks stays behind. Response, level, justification and evidence come over (links
    as links, files as new stored files; a file missing from storage is left out); statuses, the
    reviewer's levels and comments never do. Each carried answer gets a history entry that says so.
    """
    indicators = {i.code: i for i in Indicator.objects.filter(version_id=round.version_id)}
    sources = Answer.objects.filter(round=source).select_related("indicator").prefetch_related("evidence")
    pairs = []
    for old in sources:
        indicator = indicators.get(old.indicator.code)
        if indicator is None:
            continue
        response = old.response
        if response == Answer.Response.NOT_APPLICABLE and not indicator.na_allowed:
            response = Answer.Response.UNANSWERED  # the new catalogue asks for a level: the person chooses one
        if not (response or old.justification or old.evidence.all()):
            continue
        answer = Answer(
            round=round,
            indicator=indicator,
            response=response,
            level=old.level if response == Answer.Response.LEVEL else None,
            justification=old.justification,
            carried_over=True,
        )
        pairs.append((old, answer))
    Answer.objects.bulk_create(answer for _old, answer in pairs)

    storage = Evidence._meta.get_field("file").storage
    stored: list[str] = []  # files written for the new round: removed if it is not created after all
    try:
        copies: list[Evidence] = []
        revisions = []
        empty = Answer().state([])
        for old, answer in pairs:
            carried = []
            for item in old.evidence.all():
                copy = Evidence(answer=answer, description=item.description, url=item.url, added_by=actor)
                if item.file:
                    try:
                        with item.file.open("rb") as content:
                            copy.file.save(item.filename or item.file.name, content, save=False)
                    except OSError:  # gone from storage: carry the rest rather than fail the round
                        continue
                    stored.append(copy.file.name)
                    copy.filename = item.filename
                carried.append(copy)
            copies.extend(carried)
            new = {**answer.state([str(e) for e in carried]), "carried_from": source.period}
            revisions.append(AnswerRevision(answer=answer, changed_by=actor, old=empty, new=new))
        Evidence.objects.bulk_create(copies)
        AnswerRevision.objects.bulk_create(revisions)
    except Exception:
        for name in stored:
            storage.delete(name)
        raise


def _lock(round: Round) -> Round:
    # The authority comes along (unlocked): ``access.require`` names it, and would fetch it otherwise.
    return Round.objects.select_for_update(of=("self",)).select_related("authority").get(pk=round.pk)


def _change_status(round: Round, new: str, actor, note: str = "", **fields: Any) -> None:
    old = round.status
    round.status = new
    for name, value in fields.items():
        setattr(round, name, value)
    round.save(update_fields=["status", *fields])
    StatusEvent.objects.create(round=round, from_status=old, to_status=new, actor=actor, note=note)


def indicator_ensure_editable(round: Round, indicator: Indicator) -> None:
    """Refuse (WorkflowError) a change to the indicator's answer in the round as it is now (its status, its returns)."""
    if indicator.version_id != round.version_id:
        raise WorkflowError(_("This indicator is not part of the round's catalogue."))
    if not round.is_editable:
        raise WorkflowError(
            _("This round is %(status)s and can no longer be edited.") % {"status": round.get_status_display().lower()}
        )
    if (
        round.status == Round.Status.RETURNED
        and not ReviewItem.objects.filter(round=round, indicator=indicator, returned=True).exists()
    ):
        raise WorkflowError(_("Only the indicators the reviewer returned can be changed now."))


@transaction.atomic
def round_dimension_toggle(*, round: Round, dimension: Dimension, actor) -> Round:
    """Leave an optional dimension out of a draft round, or take it back in; the history records it."""
    round = _lock(round)
    access.require(actor, Capability.TOGGLE_DIMENSIONS, round)
    if dimension.version_id != round.version_id or not dimension.optional:
        raise WorkflowError(_("Only the optional dimensions of the round's catalogue can be left out."))
    if round.status != Round.Status.DRAFT:
        raise WorkflowError(_("Only a draft round's optional dimensions can be left out."))
    if round.omitted_dimensions.filter(pk=dimension.pk).exists():
        round.omitted_dimensions.remove(dimension)
        note = _("“%(dimension)s” assessed after all") % {"dimension": dimension.name}
    else:
        round.omitted_dimensions.add(dimension)
        note = _("“%(dimension)s” left out (optional)") % {"dimension": dimension.name}
    StatusEvent.objects.create(round=round, from_status=round.status, to_status=round.status, actor=actor, note=note)
    return round


# --- moving to a newer edition of the catalogue ------------------------------------------------


@transaction.atomic
def round_move_to_edition(*, round: Round, version: CatalogueVersion, actor) -> Round:
    """Move a draft or returned round to a newer published edition of its catalogue (approvers, administrators).

    What becomes of each answer follows the crosswalk (``moving``; the preview says it first): the same
    indicator keeps its answer unchanged; each part of a split gets the earlier answer, and a merged
    indicator the earlier answers' only if they agree (``moving.proposal``: a level is never made up),
    each carried over for a person to confirm (``Answer.carried_over``: until then it counts as not
    answered and the round cannot be submitted); a new indicator starts unanswered; a retired
    indicator's answer leaves the round. The history's entry for the move lists what was carried,
    marked and dropped, and keeps each dropped answer in words.

    Nothing is stored twice. The answer row of a group's first answered earlier indicator goes to its
    first later one, with its evidence and its history (a merge gathers there the evidence and history
    of the other earlier answers); the other parts of a split get their own evidence rows for the same
    links and the same stored files (a shared file is deleted only with its last row: ``evidence_remove``).
    A retired answer's evidence goes with it, its files once committed (the preview warns and links them).

    Threads follow the indicators: those of a group's first earlier indicator move to its first later
    one; the others (the rest of a merge, a retired indicator) stay on their earlier indicator, resolved
    by the move if open, and readable in the history under their code. The reviewer's items move with
    the same indicators; the others go (a return's comment is kept in its thread). In a returned round,
    each later indicator without an answer that counts is returned to the city, to answer or confirm.
    Optional dimensions left out stay out, matched by code, while the later edition keeps them optional.
    """
    round = _lock(round)
    capabilities = access.capabilities(actor, round)
    if not round.is_editable:
        raise WorkflowError(
            _("Only a draft or returned round can move to another edition; this one is %(status)s.")
            % {"status": round.get_status_display().lower()}
        )
    if not moving.may_move(capabilities):
        raise access.AccessDenied(moving.move_refused(round))
    version = CatalogueVersion.objects.get(pk=version.pk)
    refusal = moving.edition_refusal(round, version)
    if refusal:
        raise WorkflowError(refusal)

    source = round.version
    crosswalk = CatalogueVersion.objects.crosswalk(source, version)
    later = {i.code: i for i in Indicator.objects.filter(version=version).select_related("dimension")}
    earlier_ids = dict(Indicator.objects.filter(version=source).values_list("code", "pk"))
    answers = {
        a.indicator.code: a
        for a in Answer.objects.select_for_update(of=("self",))
        .filter(round=round)
        .select_related("indicator")
        .prefetch_related("evidence")
    }
    before = {code: a.state() for code, a in answers.items()}
    now = timezone.now()
    moved: list[Answer] = []  # rows that only change indicator
    changed: list[tuple[Answer, dict, list[Evidence]]] = []  # rows given other values: the state before, evidence
    created: list[tuple[Answer, list[Evidence]]] = []  # parts of a split after the first, with the evidence to link
    gathered: dict[int, list[int]] = {}  # a merge's row → the other earlier rows, whose evidence and history it takes
    final: dict[int, Answer] = {}  # later indicator id → its answer after the move
    threads: dict[int, int] = {}  # earlier indicator id → later indicator id, for threads
    items: dict[int, int] = {}  # the same, for the reviewer's items (same indicators only)
    carried, marked = [], []
    for link in crosswalk.links:
        first = later[link.new[0]]
        threads[earlier_ids[link.old[0]]] = first.pk
        if link.kind == SAME:
            items[earlier_ids[link.old[0]]] = first.pk
        present = [answers[code] for code in link.old if code in answers]
        if not present:
            continue
        row, row_code = present[0], next(code for code in link.old if code in answers)
        row.indicator = first
        final[first.pk] = row
        if link.kind == SAME and not (row.response == Answer.Response.NOT_APPLICABLE and not first.na_allowed):
            moved.append(row)
            carried.append(first.code)
            continue
        evidence = [item for answer in present for item in answer.evidence.all()]
        if len(present) > 1:
            gathered[row.pk] = [answer.pk for answer in present[1:]]
        earlier = [moving.earlier_answer(answers.get(code), code) for code in link.old]
        for position, code in enumerate(link.new):
            indicator = later[code]
            proposed = moving.proposal(earlier, na_allowed=indicator.na_allowed)
            answer = row if position == 0 else Answer(round=round, indicator=indicator, revision=0)
            answer.response, answer.level = proposed.response, proposed.level
            answer.justification = proposed.justification
            answer.carried_over, answer.updated_by, answer.updated_at = True, actor, now
            answer.revision += 1
            final[indicator.pk] = answer
            if position == 0:
                changed.append((row, before[row_code], evidence))
            else:
                created.append((answer, evidence))
            marked.append(_move_marked(link, code, proposed))
    leaving = [answers[code] for code in crosswalk.retired if code in answers]

    # The rows: merged rows give their evidence and history to the merge's row, then go with the retired ones.
    for row_pk, others in gathered.items():
        Evidence.objects.filter(answer_id__in=others).update(answer_id=row_pk)
        AnswerRevision.objects.filter(answer_id__in=others).update(answer_id=row_pk)
    dropped = [pk for others in gathered.values() for pk in others] + [answer.pk for answer in leaving]
    leaving_files = [item for answer in leaving for item in answer.evidence.all()]
    Answer.objects.filter(pk__in=dropped).delete()
    Answer.objects.bulk_update(moved, ["indicator"])
    Answer.objects.bulk_update(
        [row for row, _old, _evidence in changed],
        ["indicator", "response", "level", "justification", "carried_over", "revision", "updated_by", "updated_at"],
    )
    Answer.objects.bulk_create(answer for answer, _evidence in created)
    copies = [
        Evidence(
            answer=answer,
            file=item.file.name if item.file else "",
            filename=item.filename,
            url=item.url,
            description=item.description,
            added_by_id=item.added_by_id,
        )
        for answer, evidence in created
        for item in evidence
    ]
    Evidence.objects.bulk_create(copies)
    empty = Answer().state([])
    AnswerRevision.objects.bulk_create(
        [
            AnswerRevision(answer=row, changed_by=actor, old=old, new=row.state([str(e) for e in evidence]))
            for row, old, evidence in changed
        ]
        + [
            AnswerRevision(answer=answer, changed_by=actor, old=empty, new=answer.state([str(e) for e in evidence]))
            for answer, evidence in created
        ]
    )
    _delete_unshared_files_on_commit(leaving_files)

    # Threads and the reviewer's items follow the indicators.
    if threads:
        Thread.objects.filter(round=round, indicator_id__in=threads).update(indicator_id=_mapped(threads))
    Thread.objects.open().filter(round=round).exclude(indicator__version=version).update(
        resolved_at=now, resolved_by=actor
    )
    reviewer = ReviewItem.objects.filter(round=round).order_by("-updated_at").values_list("reviewer", flat=True).first()
    if items:
        ReviewItem.objects.filter(round=round, indicator_id__in=items).update(indicator_id=_mapped(items))
    ReviewItem.objects.filter(round=round).exclude(indicator__version=version).delete()

    kept_out, back_in = moving.dimensions_left_out(round, version)
    round.omitted_dimensions.set(kept_out)
    if round.status == Round.Status.RETURNED:
        _return_to_city(round, later.values(), final, {d.pk for d in kept_out}, reviewer or actor.pk)
    round.version = version
    round.save(update_fields=["version"])
    note = _move_note(source, version, carried, marked, crosswalk, leaving, before, back_in)
    StatusEvent.objects.create(round=round, from_status=round.status, to_status=round.status, actor=actor, note=note)
    return round


def _mapped(pairs: dict[int, int]) -> Case:
    """Each earlier indicator id of ``pairs`` as its later one, in one UPDATE."""
    return Case(
        *(When(indicator_id=old, then=Value(new)) for old, new in pairs.items()),
        default=F("indicator_id"),
        output_field=IntegerField(),
    )


def _return_to_city(round: Round, indicators, final: dict[int, Answer], left_out: set[int], reviewer_id: int) -> None:
    """In a returned round, return to the city each indicator the move left without an answer that counts.

    Only returned indicators can be changed in a returned round: these need a person's answer or confirmation.
    """
    waiting = {
        indicator.pk
        for indicator in indicators
        if indicator.dimension_id not in left_out
        and ((answer := final.get(indicator.pk)) is None or not answer.counts or not answer.response)
    }
    existing = {item.indicator_id: item for item in ReviewItem.objects.filter(round=round, indicator_id__in=waiting)}
    ReviewItem.objects.filter(pk__in=[item.pk for item in existing.values()]).update(returned=True)
    ReviewItem.objects.bulk_create(
        ReviewItem(
            round=round,
            indicator_id=pk,
            reviewer_id=reviewer_id,
            returned=True,
            returned_state=final[pk].state() if pk in final else None,
            returned_cycle=round.submission_count or None,
        )
        for pk in sorted(waiting - set(existing))
    )


def _move_marked(link, code: str, proposed: moving.Proposal) -> str:
    """How the history names one later indicator marked for a person to check."""
    old = ", ".join(link.old)
    if link.kind == SAME:
        return _("%(code)s (not applicable is no longer allowed: to answer)") % {"code": code}
    if link.kind == SPLIT:
        return _("%(code)s (split from %(old)s)") % {"code": code, "old": old}
    if proposed.agreed:
        return _("%(code)s (merged from %(old)s, which agreed)") % {"code": code, "old": old}
    return _("%(code)s (merged from %(old)s: no answer proposed, the earlier answers differ)") % {
        "code": code,
        "old": old,
    }


def _move_note(source, target, carried, marked, crosswalk, leaving, before, back_in) -> str:
    """The history's entry for a move: the editions, and what was carried, marked, left unanswered and dropped."""
    parts = [
        _("Moved from edition %(old)d to edition %(new)d of the catalogue.")
        % {"old": source.number, "new": target.number}
    ]
    if carried:
        parts.append(_("Carried over unchanged: %(codes)s.") % {"codes": ", ".join(carried)})
    if marked:
        parts.append(_("Carried over to check: %(items)s.") % {"items": "; ".join(marked)})
    if crosswalk.added:
        parts.append(_("New, unanswered: %(codes)s.") % {"codes": ", ".join(crosswalk.added)})
    if crosswalk.retired:
        parts.append(_("Retired: %(codes)s.") % {"codes": ", ".join(crosswalk.retired)})
    for answer in leaving:
        state = before[answer.indicator.code]
        parts.append(
            _(
                "The answer to %(code)s left the round: %(answer)s; justification: “%(justification)s”; evidence: %(evidence)s."
            )
            % {
                "code": answer.indicator.code,
                "answer": answer_label(state),
                "justification": state["justification"] or "—",
                "evidence": ", ".join(_evidence_words(item) for item in answer.evidence.all()) or "—",
            }
        )
    if back_in:
        parts.append(_("No longer optional, assessed again: %(codes)s.") % {"codes": ", ".join(back_in)})
    return " ".join(parts)


def _evidence_words(item: Evidence) -> str:
    return f"{item.description} ({item.url or item.filename})"


def _delete_unshared_files_on_commit(evidence) -> None:
    """Delete the stored files of ``evidence`` (rows already deleted) that no other evidence row names, once committed.

    A file can be shared: the parts of a split indicator link the same stored file (``round_move_to_edition``).
    """
    files = {item.file.name: item.file for item in evidence if item.file}
    if not files:
        return
    shared = set(Evidence.objects.filter(file__in=files).values_list("file", flat=True))
    delete_files_on_commit(*(fieldfile for name, fieldfile in files.items() if name not in shared))


# --- answers and evidence ----------------------------------------------------------------------


# The longest justification an answer keeps, however it is saved (the form, autosave, the workbook).
JUSTIFICATION_MAX_LENGTH = 10_000
# What a save of an answer changes.
SAVED_FIELDS = ("response", "level", "justification", "carried_over", "revision", "updated_by", "save_id", "updated_at")


@transaction.atomic
def answer_save(
    *,
    round: Round,
    indicator: Indicator,
    actor,
    response: str,
    level: int | None,
    justification: str,
    base_revision: int,
    save_id: uuid.UUID | None = None,
) -> Answer:
    """Save one answer, unless someone saved it since ``base_revision`` (then AnswerConflict).

    Saving an answer carried over from an earlier round confirms it: from then on it counts.

    ``save_id`` names one save made by the browser; sent again (a retry after a lost response),
    it is acknowledged with the answer as that save left it, and changes nothing.
    """
    round = _lock(round)
    access.require(actor, Capability.EDIT_ANSWERS, round)
    # The answer, locked, is read once: a save sent again is recognised by its save id on it. Whether it has
    # evidence and its last history entry come along: the history's state reads its evidence only when there is
    # some, and the entry is merged into or not without asking again.
    answer = _answers_to_save().filter(round=round, indicator=indicator).first()
    if save_id is not None and answer is not None and answer.save_id == save_id:
        return answer
    indicator_ensure_editable(round, indicator)
    if response != Answer.Response.LEVEL:
        level = None
    if response == Answer.Response.LEVEL and level not in LEVELS:
        raise WorkflowError(_("Choose a level from %(lowest)d to %(highest)d.") % LEVEL_RANGE)
    if response == Answer.Response.NOT_APPLICABLE and not indicator.na_allowed:
        raise WorkflowError(_("This indicator cannot be answered as not applicable."))
    if response not in Answer.Response.values:
        raise WorkflowError(_("Unknown response."))
    if len(justification) > JUSTIFICATION_MAX_LENGTH:
        raise WorkflowError(
            _("The justification has %(length)d characters; it may have at most %(max)d.")
            % {"length": len(justification), "max": JUSTIFICATION_MAX_LENGTH}
        )

    if answer is None:
        answer, created = Answer.objects.select_for_update().get_or_create(round=round, indicator=indicator)
        answer.has_evidence = not created  # one saved meanwhile (a race) may have evidence and a history
        if created:
            answer.last_revision_id = None
    if answer.revision != base_revision:
        raise AnswerConflict(answer)
    old = answer.state(None if answer.has_evidence else [])
    answer.response, answer.level, answer.justification = response, level, justification
    # A person's save of an answer carried over from an earlier round confirms it, changed or not.
    answer.carried_over = False
    new = answer.state(old["evidence"])
    if new == old:
        return answer
    answer.revision += 1
    answer.updated_by = actor
    answer.save_id = save_id
    answer.save(update_fields=SAVED_FIELDS)
    _record_revision(answer, actor, old, new, last=_loaded_last_revision(answer))
    return answer


# Autosave saves while someone types; one person's edits of one answer within this many
# seconds make one entry in the history, from the state before the first to after the last.
REVISION_MERGE_SECONDS = 120


# What the locked answer brings of its last history entry (``last_revision_<name>``).
LAST = ("id", "changed_by_id", "changed_at", "new")
NOT_LOADED = object()


def _last_revision(answer):
    """The answer's history, last entry first (``answer``: an answer or an ``OuterRef`` to one)."""
    return AnswerRevision.objects.filter(answer=answer).order_by("-changed_at", "-id")


@cache
def _answers_to_save():
    """Answers locked, each with whether it has evidence and its last history entry (``last_revision_<name>``).

    Built once per process (never evaluated itself: each save filters a copy), sparing each save the building.
    """
    return Answer.objects.select_for_update().annotate(
        has_evidence=Exists(Evidence.objects.filter(answer_id=OuterRef("pk"))),
        **{f"last_revision_{name}": Subquery(_last_revision(OuterRef("pk")).values(name)[:1]) for name in LAST},
    )


def _loaded_last_revision(answer: Answer):
    """The last history entry as loaded with the locked answer: None if it has none, NOT_LOADED if not loaded."""
    if not hasattr(answer, "last_revision_id"):
        return NOT_LOADED
    if answer.last_revision_id is None:
        return None
    return AnswerRevision(answer=answer, **{name: getattr(answer, f"last_revision_{name}") for name in LAST})


def _record_revision(answer: Answer, actor, old: dict, new: dict, last=NOT_LOADED) -> None:
    if last is NOT_LOADED:
        last = _last_revision(answer).first()
    if (
        last is not None
        and last.changed_by_id == actor.pk
        and last.new == old
        and (timezone.now() - last.changed_at).total_seconds() < REVISION_MERGE_SECONDS
    ):
        last.new = new
        last.save(update_fields=["new"])
        return
    AnswerRevision.objects.create(answer=answer, changed_by=actor, old=old, new=new)


@transaction.atomic
def evidence_add(
    *,
    round: Round,
    indicator: Indicator,
    actor,
    description: str,
    file: UploadedFile | None = None,
    url: str = "",
) -> Evidence:
    """Attach a file or a link to an answer (creating the answer if it has none yet)."""
    round = _lock(round)
    access.require(actor, Capability.EDIT_EVIDENCE, round)
    indicator_ensure_editable(round, indicator)
    if bool(file) == bool(url):
        raise WorkflowError(_("Give either a file or a link."))
    answer, _created = Answer.objects.get_or_create(round=round, indicator=indicator)
    old = answer.state()
    evidence = Evidence(answer=answer, description=description, url=url, added_by=actor)
    save_with_upload(evidence, "file", file, then=lambda: _record_revision(answer, actor, old, answer.state()))
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, actor) -> None:
    """Remove a piece of evidence (its file goes once the removal is committed, unless another piece shares it)."""
    answer = evidence.answer
    round = _lock(answer.round)
    access.require(actor, Capability.EDIT_EVIDENCE, round)
    indicator_ensure_editable(round, answer.indicator)
    old = answer.state()
    evidence.delete()
    _record_revision(answer, actor, old, answer.state())
    _delete_unshared_files_on_commit([evidence])


# --- submission --------------------------------------------------------------------------------


def round_indicators(round: Round):
    """The round's indicators in catalogue order, without dimensions the city left out."""
    return (
        Indicator.objects.filter(version_id=round.version_id)
        .exclude(dimension__in=round.omitted_dimensions.all())
        .select_related("dimension")
        .in_catalogue_order()
    )


def _not_confirmed(round: Round) -> str:
    if round.started_from is None:
        return _("carried over from an earlier round, not confirmed yet")
    return _("carried over from %(period)s, not confirmed yet") % {"period": round.started_from.period}


def round_problems(round: Round, sheet: AnswerSheet | None = None) -> list[MissingItem]:
    """List what keeps the round from being submitted, in catalogue order (from ``sheet`` if the caller has it)."""
    sheet = sheet or answer_sheet(round, reviews=False)  # what the city answered is all that counts here
    problems = []
    for indicator in sheet.indicators:
        answer = sheet.answers.get(indicator.pk)
        if answer is not None and not answer.counts:
            problems.append(MissingItem(indicator, _not_confirmed(round)))
        elif answer is None or answer.response == Answer.Response.UNANSWERED:
            problems.append(MissingItem(indicator, _("not answered")))
        elif answer.response == Answer.Response.NOT_APPLICABLE and not answer.justification.strip():
            problems.append(MissingItem(indicator, _("N/A needs a justification")))
        elif needs := answer_needs(indicator, answer, sheet.has_evidence(indicator)):
            # The first thing missing, as the form's hints say it (``answer_needs``: the one rule).
            if needs[0] == EVIDENCE:
                problems.append(MissingItem(indicator, _("level %(level)d needs evidence") % {"level": answer.level}))
            else:
                problems.append(
                    MissingItem(indicator, _("level %(level)d needs a justification") % {"level": answer.level})
                )
    return problems


@transaction.atomic
def round_submit(*, round: Round, actor) -> Round:
    """Sign off and lock the round (approvers only); refused with every missing item."""
    round = _lock(round)
    access.require(actor, Capability.SUBMIT, round)
    if not round.is_editable:
        raise WorkflowError(_("This round has already been submitted."))
    problems = round_problems(round)
    if problems:
        raise SubmissionRefused(problems)
    if round.status == Round.Status.RETURNED:
        # The resubmission answers the return: its comments stay with the review that returned
        # them (returned_comment), and are no longer the reviewer's word on the answers.
        ReviewItem.objects.filter(round=round, returned=True).update(comment="", updated_at=timezone.now())
    _change_status(
        round,
        Round.Status.SUBMITTED,
        actor,
        submitted_at=timezone.now(),
        submission_count=round.submission_count + 1,
    )
    _tell(events.Kind.SUBMITTED, round, actor, events.reviewers() + events.members([round])[round.pk])
    return round


# --- review ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The reviewer's decision on one indicator."""

    validated_level: int | None = None
    na_accepted: bool | None = None
    comment: str = ""
    send_back: bool = False

    @property
    def comment_given(self) -> bool:
        """Whether the decision says something to the city: a returned indicator needs it."""
        return bool(self.comment.strip())


def return_comment_missing(codes: list[str]) -> str:
    """Why a return is refused: the returned indicators ``codes`` have no comment saying what to change."""
    return ngettext(
        "%(codes)s: a returned indicator needs a comment saying what to change.",
        "%(codes)s: each returned indicator needs a comment saying what to change.",
        len(codes),
    ) % {"codes": ", ".join(sorted(codes))}


class ReviewAction:
    SAVE = "save"
    RETURN = "return"
    VALIDATE = "validate"
    ALL = (SAVE, RETURN, VALIDATE)


def _codes(indicators) -> str:
    return ", ".join(sorted(indicator.code for indicator in indicators))


@transaction.atomic
def round_review(*, round: Round, actor, decisions: dict[int, Decision], action: str, note: str = "") -> Round:
    """Record the reviewer's decisions (indicator id → Decision), then save, return or validate.

    A return writes each returned indicator's comment into its thread (continuing the open one);
    a validation keeps the reviewer's ``note`` in the history.
    """
    round = _lock(round)
    access.require(actor, Capability.REVIEW, round)
    if round.status != Round.Status.SUBMITTED:
        raise WorkflowError(_("Only a submitted round can be reviewed."))
    if action not in ReviewAction.ALL:
        raise WorkflowError(_("Unknown review action."))
    indicators = {i.pk: i for i in round_indicators(round)}
    if not set(decisions) <= set(indicators):
        raise WorkflowError(_("Only indicators of this round can be reviewed."))
    if any(d.validated_level is not None and d.validated_level not in LEVELS for d in decisions.values()):
        raise WorkflowError(_("Choose a level from %(lowest)d to %(highest)d.") % LEVEL_RANGE)
    answers = {a.indicator_id: a for a in Answer.objects.filter(round=round).prefetch_related("evidence")}
    items = {item.indicator_id: item for item in ReviewItem.objects.filter(round=round)}

    to_return = {pk for pk, d in decisions.items() if d.send_back}
    if action == ReviewAction.RETURN:
        if not to_return:
            raise WorkflowError(_("Tick at least one indicator to return."))
        silent = [indicators[pk] for pk in to_return if not decisions[pk].comment_given]
        if silent:
            raise WorkflowError(return_comment_missing([indicator.code for indicator in silent]))

    for pk, indicator in indicators.items():
        decision = decisions.get(pk)
        answer = answers.get(pk)
        item = items.get(pk) or ReviewItem(round=round, indicator=indicator, reviewer=actor)
        if decision is not None:
            item.validated_level = decision.validated_level
            item.na_accepted = decision.na_accepted
            item.comment = decision.comment.strip()
            item.reviewer = actor
        if action == ReviewAction.RETURN:
            item.returned = pk in to_return
            if item.returned:
                item.returned_state = answer.state() if answer else None
                item.returned_comment = item.comment
                item.returned_cycle = round.submission_count
        elif action == ReviewAction.VALIDATE:
            # What the reviewer left alone is validated as the city gave it (scoring's one rule).
            if answer:
                response, level, na_accepted = scoring.validated_answer(
                    answer.response, answer.level, item.validated_level, item.na_accepted
                )
                if response == Answer.Response.LEVEL:
                    item.validated_level = level
                if answer.response == Answer.Response.NOT_APPLICABLE:
                    item.na_accepted = na_accepted
            item.returned = False
        if item.pk or decision is not None or action == ReviewAction.VALIDATE:
            item.save()

    if action == ReviewAction.RETURN:
        for pk in to_return:
            _comment(round, indicators[pk], actor, decisions[pk].comment.strip(), kind=Comment.Kind.RETURN)
        _change_status(round, Round.Status.RETURNED, actor, note=_codes(indicators[pk] for pk in to_return))
        _tell(events.Kind.RETURNED, round, actor, events.members([round])[round.pk])
    elif action == ReviewAction.VALIDATE:
        _change_status(round, Round.Status.VALIDATED, actor, note=note.strip(), validated_at=timezone.now())
        snapshot_take(round=round)
        _tell(events.Kind.VALIDATED, round, actor, events.members([round])[round.pk], note=note.strip())
    return round


@transaction.atomic
def snapshot_take(*, round: Round) -> ScoreSnapshot:
    """Freeze both score sets of a validated round, with the catalogue version, weights and scoring rules used."""
    if round.status != Round.Status.VALIDATED:
        raise WorkflowError(_("Scores are frozen only when a round is validated."))
    if ScoreSnapshot.objects.filter(round=round).exists():
        raise WorkflowError(_("This round's scores are already frozen."))
    scores = round.scores()
    weights = dict(Indicator.objects.filter(version_id=round.version_id).values_list("code", "weight"))
    validated = scores["validated"]
    snapshot = ScoreSnapshot.objects.create(
        round=round,
        version_id=round.version_id,
        rules_version=scoring.RULES_VERSION,
        weights={code: str(weight) for code, weight in weights.items()},
        data={name: asdict(score) for name, score in scores.items()},
        self_headline=scores["self"].headline,
        validated_headline=validated.headline,
        validated_band=validated.band or "",
        completeness=validated.completeness,
        evidence_coverage=validated.evidence_coverage,
    )
    SnapshotDimension.objects.bulk_create(
        SnapshotDimension(
            snapshot=snapshot,
            score_set=name,
            dimension=d.code,
            core=d.core,
            score=d.score,
            band=d.band or "",
            completeness=d.completeness,
            evidence_coverage=d.evidence_coverage,
        )
        for name, score in scores.items()
        for d in score.dimensions
    )
    return snapshot


@transaction.atomic
def round_set_consent(*, round: Round, actor, consent: bool) -> Round:
    """Give or withdraw the authority's consent to publish a validated round (approvers only)."""
    round = _lock(round)
    access.require(actor, Capability.CONSENT, round)
    if round.status != Round.Status.VALIDATED:
        raise WorkflowError(_("Only a validated round can be published."))
    round.publication_consent = consent
    round.save(update_fields=["publication_consent"])
    StatusEvent.objects.create(
        round=round,
        from_status=round.status,
        to_status=round.status,
        actor=actor,
        note=_("Consent to publish given") if consent else _("Consent to publish withdrawn"),
    )
    return round


# --- comment threads ---------------------------------------------------------------------------

MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")
MAX_MENTIONS = 20  # each name mentioned costs a look at that person's roles: a comment cannot ask for hundreds


def _mentioned(round: Round, body: str, author) -> list:
    """The people ``@username`` names in ``body`` who may see the round (anyone else: nothing happens)."""
    names = list(dict.fromkeys(name.rstrip(".") for name in MENTION.findall(body)))[:MAX_MENTIONS]
    if not names:
        return []
    people = get_user_model().objects.filter(username__in=names, is_active=True).exclude(pk=author.pk)
    return [person for person in people if access.can(person, Capability.VIEW, round)]


def _comment(round: Round, indicator: Indicator, actor, body: str, *, kind: str = Comment.Kind.COMMENT) -> Comment:
    thread = Thread.objects.select_for_update().open().filter(round=round, indicator=indicator).first()
    if thread is None:
        thread = Thread.objects.create(round=round, indicator=indicator)
    comment = Comment.objects.create(thread=thread, author=actor, body=body, kind=kind, cycle=round.submission_count)
    mentioned = _mentioned(round, body, actor)
    if mentioned:
        comment.mentions.set(mentioned)
        excerpt = body if len(body) <= 300 else body[:299] + "…"
        _tell(
            events.Kind.MENTIONED,
            round,
            actor,
            [person.pk for person in mentioned],
            indicator=indicator.code,
            dimension=indicator.dimension.code,
            comment=excerpt,
        )
    return comment


@transaction.atomic
def comment_add(*, round: Round, indicator: Indicator, actor, body: str) -> Comment:
    """Write in the indicator's thread: continue the open one, or start one. ``@username`` mentions members."""
    round = _lock(round)
    access.require(actor, Capability.COMMENT, round)
    if indicator.version_id != round.version_id:
        raise WorkflowError(_("This indicator is not part of the round's catalogue."))
    body = body.strip()
    if not body:
        raise WorkflowError(_("Write a comment first."))
    return _comment(round, indicator, actor, body)


@transaction.atomic
def thread_resolve(*, thread: Thread, actor) -> Thread:
    """Mark a thread resolved: it leaves the round's list of open threads; the next comment starts a new one."""
    round = _lock(thread.round)
    access.require(actor, Capability.COMMENT, round)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if not thread.is_open:
        raise WorkflowError(_("This thread is already resolved."))
    thread.resolved_at, thread.resolved_by = timezone.now(), actor
    thread.save(update_fields=["resolved_at", "resolved_by"])
    return thread


@transaction.atomic
def thread_reopen(*, thread: Thread, actor) -> Thread:
    """Open a resolved thread again, unless the indicator has another open thread by now."""
    round = _lock(thread.round)
    access.require(actor, Capability.COMMENT, round)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.is_open:
        return thread
    if Thread.objects.open().filter(round=round, indicator_id=thread.indicator_id).exists():
        raise WorkflowError(_("This indicator already has an open thread; continue that one."))
    thread.resolved_at, thread.resolved_by = None, None
    thread.save(update_fields=["resolved_at", "resolved_by"])
    return thread


# --- telling people ---------------------------------------------------------------------------


def _tell(kind: str, round: Round, actor, recipients, **data) -> None:
    """Tell the people concerned (``events``: the apps above write notifications and mail with this change)."""
    events.emit([events.Event(kind, round, actor, tuple(recipients), data)])
