"""An authority's own data, as one ZIP archive written while it is sent (constant memory).

``export_stream`` yields the archive in chunks: a README in the requester's language, each table as
CSV and JSON, and the stored files copied from storage in chunks. Python's ``zipfile`` writes to a
sink that cannot seek (each member then carries a data descriptor), so nothing is held but the
chunk in hand. The tables of assessments are here; the apps above add theirs through
``slots.EXPORT`` (``<app>/export.py``). Every table streams its rows (``.iterator``) in a constant
number of queries, whatever the authority holds.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from indicators.models import CatalogueVersion, Level

from . import access, slots
from .access import ProgrammeRole
from .models import (
    Answer,
    AnswerRevision,
    Authority,
    Comment,
    Evidence,
    Membership,
    ReviewItem,
    Round,
    SnapshotDimension,
    StatusEvent,
)
from .slots import ExportFiles, ExportTable

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024  # bytes copied from storage at a time, and the size the stream's chunks grow to
ROWS_PER_FETCH = 500  # rows a table fetches from the database at a time


class ExportCapability(StrEnum):
    EXPORT = "export"  # download everything of the authority as one archive


# Who may download an authority's data: its approvers, and administrators. Not editors (the approver
# speaks for the authority), not reviewers (a draft is the authority's own until it is submitted).
EXPORT_GRANTS = {
    Membership.Role.APPROVER: {ExportCapability.EXPORT},
    ProgrammeRole.ADMINISTRATOR: {ExportCapability.EXPORT},
}


def can_export(user, authority: Authority) -> bool:
    """Whether the user may download everything of the authority."""
    return ExportCapability.EXPORT in access.granted_by(EXPORT_GRANTS, user, authority.pk)


# --- helpers the apps' contributions share --------------------------------------------------------


def safe_name(name: str, fallback: str = "file") -> str:
    """A user's file or folder name made safe as one part of a path in the archive."""
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "_", str(name)).strip(" .")
    return name[:150] or fallback


def stored_path(folder: str, pk: int, filename: str) -> str:
    """Where a stored file goes in the archive: its id first, so that two files of one name never collide."""
    return f"{folder}/{pk}-{safe_name(filename)}"


def person_of(relation: str) -> Coalesce:
    """The name of the person ``relation`` points to, else their username, as one column (a database expression)."""
    name = Trim(Concat(F(f"{relation}__first_name"), Value(" "), F(f"{relation}__last_name")))
    return Coalesce(NullIf(name, Value("")), F(f"{relation}__username"), Value(""), output_field=CharField())


def query_table(
    name: str,
    description: str,
    queryset: QuerySet,
    columns: Mapping[str, str | Any],
    *,
    labels: Mapping[str, Mapping] | None = None,
    row: Callable[[dict], dict] | None = None,
) -> ExportTable:
    """A table of ``queryset``: each column a field or an expression, streamed in one query per pass.

    ``labels``: column → {stored value: label} (a field's choices, said in the requester's language);
    ``row``: changes a row (a dict of column → value) before it is written.
    """
    fields, expressions = [], {}
    for column, source in columns.items():
        if isinstance(source, str):
            fields.append(source)
        else:
            expressions[f"export_{column}"] = source
            fields.append(f"export_{column}")
    labels = labels or {}

    def rows() -> Iterator[Sequence[Any]]:
        for values in queryset.annotate(**expressions).values_list(*fields).iterator(chunk_size=ROWS_PER_FETCH):
            found = dict(zip(columns, values, strict=True))
            for column, choices in labels.items():
                found[column] = str(choices.get(found[column], found[column] or ""))
            yield tuple((row(found) if row else found).values())

    return ExportTable(name, description, tuple(columns), rows)


def stored_files(folder: str, description: str, queryset: QuerySet, path: Callable[[Any], str]) -> ExportFiles:
    """The stored files of ``queryset``'s rows (their ``file`` field, if set), each under ``folder``/``path(row)``."""

    def files() -> Iterator[tuple[str, Any]]:
        for item in queryset.exclude(file="").iterator(chunk_size=ROWS_PER_FETCH):
            yield path(item), item.file

    return ExportFiles(folder, description, files)


# --- the archive ----------------------------------------------------------------------------------


class _Sink:
    """Where ``zipfile`` writes: chunks kept until the stream takes them. It cannot seek or tell."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        self.size = 0
        return data


def _cell(value: Any) -> Any:
    """A value as JSON holds it: dates as ISO 8601, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _csv_cell(value: Any) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_lines(table: ExportTable) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    yield ("\ufeff" + buffer.getvalue()).encode()  # a BOM: spreadsheets then read the file as UTF-8
    for row in table.rows():
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_cell(value) for value in row])
        yield buffer.getvalue().encode()


def _json_lines(table: ExportTable) -> Iterator[bytes]:
    yield b"["
    separator = b"\n"
    for row in table.rows():
        yield (
            separator + json.dumps(dict(zip(table.columns, map(_cell, row), strict=True)), ensure_ascii=False).encode()
        )
        separator = b",\n"
    yield b"\n]\n"


def _file_chunks(fieldfile) -> Iterator[bytes]:
    """A stored file's bytes in chunks, from a folder or a bucket (FileNotFoundError if storage lost it)."""
    handle = fieldfile.storage.open(fieldfile.name, "rb")
    try:
        body = getattr(handle, "obj", None)  # S3: stream the object's body; reading the file would buffer it whole
        if body is not None:
            stream = body.get()["Body"]
            try:
                yield from stream.iter_chunks(CHUNK)
            finally:
                stream.close()
            return
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


class _Archive:
    """A ZIP written member by member, each yielding the archive's bytes as they come; ``close`` gives the rest."""

    def __init__(self) -> None:
        self.sink = _Sink()
        self.zip = zipfile.ZipFile(self.sink, "w", compression=zipfile.ZIP_DEFLATED)
        self.stamp = timezone.localtime().timetuple()[:6]

    def member(self, name: str, pieces: Iterable[bytes], *, level: int = 6) -> Iterator[bytes]:
        """Write ``pieces`` as member ``name``, yielding the archive's bytes as they grow past a chunk.

        ``level``: the deflate level. Stored files are mostly compressed already (PDF, images, Office
        files) and barely shrink at any level, so they get the fastest, 1. Deflated rather than stored:
        a stored member with a data descriptor defeats some readers.
        """
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = level  # the member's own level (an alias of ``compress_level`` from Python 3.13)
        info.external_attr = 0o644 << 16
        with self.zip.open(info, "w") as out:
            for piece in pieces:
                out.write(piece)
                if self.sink.size >= CHUNK:
                    yield self.sink.take()
        if self.sink.size:
            yield self.sink.take()

    def close(self) -> bytes:
        self.zip.close()
        return self.sink.take()


# --- the tables of assessments --------------------------------------------------------------------


def _rounds(authority: Authority) -> ExportTable:
    table = query_table(
        "rounds",
        _("Rounds of assessment: period, status, catalogue, dates and scores."),
        Round.objects.filter(authority=authority).order_by("period", "pk"),
        {
            "round_id": "pk",
            "period": "period",
            "status": "status",
            "catalogue": "version__framework__name",
            "catalogue_version": "version__number",
            "due_date": "due_date",
            "created_at": "created_at",
            "submitted_at": "submitted_at",
            "validated_at": "validated_at",
            "submissions": "submission_count",
            "publication_consent": "publication_consent",
            "started_from_period": "started_from__period",
            "optional_dimensions_left_out": "pk",  # replaced below by the codes of those left out
            "self_assessed_score": "snapshot__self_headline",
            "validated_score": "snapshot__validated_headline",
            "validated_band": "snapshot__validated_band",
        },
        labels={"status": dict(Round.Status.choices)},
    )

    def rows() -> Iterator[Sequence[Any]]:
        codes: dict[int, list[str]] = {}
        through = Round.omitted_dimensions.through.objects.filter(round__authority=authority)
        for round_id, code in through.order_by("dimension__code").values_list("round_id", "dimension__code"):
            codes.setdefault(round_id, []).append(code)
        left_out = {round_id: " ".join(found) for round_id, found in codes.items()}
        index = table.columns.index("optional_dimensions_left_out")
        for row in table.rows():
            yield (*row[:index], left_out.get(row[0], ""), *row[index + 1 :])

    return ExportTable(table.name, table.description, table.columns, rows)


def _answers(authority: Authority, language: str) -> ExportTable:
    def in_words(row: dict) -> dict:
        row["question"] = row["question"] or row.pop("question_en")
        row.pop("question_en", None)
        row["level_label"] = str(Level(row["level"]).label) if row["level"] is not None else ""
        return row

    columns = {
        "round_id": "round_id",
        "period": "round__period",
        "dimension": "indicator__dimension__code",
        "indicator": "indicator__code",
        "question": f"indicator__question_{language}",
        "question_en": "indicator__question_en",  # the fallback, dropped (``in_words``)
        "response": "response",
        "level": "level",
        "level_label": "level",
        "justification": "justification",
        "carried_over_unconfirmed": "carried_over",
        "revision": "revision",
        "saved_by": person_of("updated_by"),
        "saved_at": "updated_at",
    }
    table = query_table(
        "answers",
        _("The answers: for each round and indicator, the response, level and justification, with the question."),
        Answer.objects.filter(round__authority=authority).order_by(
            "round__period", "indicator__dimension__order", "indicator__order", "pk"
        ),
        columns,
        labels={"response": dict(Answer.Response.choices)},
        row=in_words,
    )
    return ExportTable(table.name, table.description, tuple(c for c in columns if c != "question_en"), table.rows)


def _reviews(authority: Authority) -> ExportTable:
    return query_table(
        "reviews",
        _("The reviewers' decisions on each answer, and the returns."),
        ReviewItem.objects.filter(round__authority=authority).order_by(
            "round__period", "indicator__dimension__order", "indicator__order", "pk"
        ),
        {
            "round_id": "round_id",
            "period": "round__period",
            "indicator": "indicator__code",
            "validated_level": "validated_level",
            "na_accepted": "na_accepted",
            "comment": "comment",
            "returned": "returned",
            "returned_comment": "returned_comment",
            "returned_in_review": "returned_cycle",
            "reviewer": person_of("reviewer"),
            "updated_at": "updated_at",
        },
    )


def _scores(authority: Authority) -> ExportTable:
    return query_table(
        "scores",
        _("Validated rounds' scores per dimension, as frozen at validation (self-assessed and validated)."),
        SnapshotDimension.objects.filter(snapshot__round__authority=authority).order_by(
            "snapshot__round__period", "score_set", "dimension"
        ),
        {
            "round_id": "snapshot__round_id",
            "period": "snapshot__round__period",
            "score_set": "score_set",
            "dimension": "dimension",
            "core": "core",
            "score": "score",
            "band": "band",
            "completeness": "completeness",
            "evidence_coverage": "evidence_coverage",
        },
        labels={"score_set": dict(SnapshotDimension.ScoreSet.choices)},
    )


def _comments(authority: Authority) -> ExportTable:
    return query_table(
        "comments",
        _("The comments written in each indicator's threads."),
        Comment.objects.filter(thread__round__authority=authority).order_by(
            "thread__round__period", "thread_id", "at", "pk"
        ),
        {
            "round_id": "thread__round_id",
            "period": "thread__round__period",
            "indicator": "thread__indicator__code",
            "thread_id": "thread_id",
            "thread_started_at": "thread__started_at",
            "thread_resolved_at": "thread__resolved_at",
            "comment_id": "pk",
            "kind": "kind",
            "review_cycle": "cycle",
            "author": person_of("author"),
            "written_at": "at",
            "comment": "body",
        },
        labels={"kind": dict(Comment.Kind.choices)},
    )


def _status_events(authority: Authority) -> ExportTable:
    statuses = dict(Round.Status.choices)
    return query_table(
        "history/round_events",
        _("History: each change of a round's status, who made it and when."),
        StatusEvent.objects.filter(round__authority=authority).order_by("round__period", "at", "pk"),
        {
            "round_id": "round_id",
            "period": "round__period",
            "at": "at",
            "from_status": "from_status",
            "to_status": "to_status",
            "by": person_of("actor"),
            "note": "note",
        },
        labels={"from_status": statuses, "to_status": statuses},
    )


def _answer_revisions(authority: Authority) -> ExportTable:
    return query_table(
        "history/answer_revisions",
        _("History: every change to an answer, with the answer before and after (as JSON)."),
        AnswerRevision.objects.filter(answer__round__authority=authority).order_by(
            "answer__round__period", "changed_at", "pk"
        ),
        {
            "round_id": "answer__round_id",
            "period": "answer__round__period",
            "indicator": "answer__indicator__code",
            "changed_at": "changed_at",
            "changed_by": person_of("changed_by"),
            "before": "old",
            "after": "new",
        },
    )


EVIDENCE = "evidence"


def _evidence_path(period: str, code: str, pk: int, filename: str) -> str:
    """Where an evidence file goes inside ``evidence/``: the round's period, the indicator's code, its id and name."""
    return stored_path(f"{safe_name(period, 'period')}/{safe_name(code, 'indicator')}", pk, filename)


def _evidence_file(row: dict) -> dict:
    name = row["file_in_archive"]
    where = _evidence_path(row["period"], row["indicator"], row["evidence_id"], row["file_name"] or name)
    row["file_in_archive"] = f"{EVIDENCE}/{where}" if name else ""
    return row


def _evidence(authority: Authority) -> list[ExportTable | ExportFiles]:
    evidence = Evidence.objects.filter(answer__round__authority=authority).order_by(
        "answer__round__period", "answer__indicator__code", "pk"
    )
    files = evidence.annotate(period=F("answer__round__period"), code=F("answer__indicator__code"))
    return [
        query_table(
            "evidence",
            _("Evidence: each file or link, the answer it supports, and where the file is."),
            evidence,
            {
                "evidence_id": "pk",
                "round_id": "answer__round_id",
                "period": "answer__round__period",
                "indicator": "answer__indicator__code",
                "description": "description",
                "file_in_archive": "file",
                "file_name": "filename",
                "link": "url",
                "added_by": person_of("added_by"),
                "added_at": "added_at",
            },
            row=_evidence_file,
        ),
        stored_files(
            EVIDENCE,
            _("The evidence files themselves, by period and indicator (evidence.csv says which is which)."),
            files.only("pk", "file", "filename"),
            lambda item: _evidence_path(item.period, item.code, item.pk, item.filename or item.file.name),
        ),
    ]


def _parts(authority: Authority, language: str) -> Iterator[ExportTable | ExportFiles]:
    yield _rounds(authority)
    yield _answers(authority, language)
    yield _reviews(authority)
    yield _scores(authority)
    yield _comments(authority)
    yield _status_events(authority)
    yield _answer_revisions(authority)
    yield from _evidence(authority)
    yield from slots.EXPORT.parts(authority)


# --- the README -----------------------------------------------------------------------------------


def _readme(authority: Authority, parts: Sequence[ExportTable | ExportFiles], when: datetime) -> str:
    versions = (
        CatalogueVersion.objects.filter(rounds__authority=authority)
        .distinct()
        .order_by("framework__name", "number")
        .values_list("framework__name", "number", "label")
    )
    lines = [
        _("Data of %(authority)s") % {"authority": authority.name},
        "",
        _("Exported on %(date)s (UTC) from Coherence.") % {"date": when.strftime("%Y-%m-%d %H:%M")},
        "",
        _("Catalogue versions of its rounds:"),
        *(f"- {name} {number}: {label}" for name, number, label in versions),
    ]
    if not versions:
        lines.append(_("- none (no round yet)"))
    lines += [
        "",
        _(
            "Each table is there twice, with the same rows: as CSV (UTF-8, comma-separated, a header row) and as "
            "JSON (a list of objects whose keys are the CSV's column names). Dates and times are ISO 8601, in UTC."
        ),
        _("Files are named with their id first, so that two files of one name never replace each other."),
        _("If missing_files.txt is present, it lists files that storage no longer held when the archive was made."),
        "",
        _("What each file is:"),
        "README.txt: " + _("this file."),
    ]
    for part in parts:
        if isinstance(part, ExportTable):
            lines.append(f"{part.name}.csv, {part.name}.json: {part.description}")
        else:
            lines.append(f"{part.folder}/: {part.description}")
    return "\r\n".join(lines) + "\r\n"


# --- the stream -----------------------------------------------------------------------------------


def export_filename(authority: Authority, when: datetime) -> str:
    return f"coherence-{authority.slug}-{when:%Y-%m-%d}.zip"


def export_stream(authority: Authority, language: str | None = None) -> Iterator[bytes]:
    """Yield the ZIP archive of everything of the authority, in chunks, in the requester's language."""
    language = (language or translation.get_language() or "").split("-")[0]
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        yield from _write(authority, language)


def _write(authority: Authority, language: str) -> Iterator[bytes]:
    when = timezone.now()
    archive = _Archive()
    parts = list(_parts(authority, language))
    yield from archive.member("README.txt", [_readme(authority, parts, when).encode()])
    missing: list[str] = []
    for part in parts:
        if isinstance(part, ExportTable):
            yield from archive.member(f"{part.name}.csv", _csv_lines(part))
            yield from archive.member(f"{part.name}.json", _json_lines(part))
            continue
        for path, fieldfile in part.files():
            name = f"{part.folder}/{path}"
            chunks = _file_chunks(fieldfile)
            try:
                first = next(chunks, b"")  # opens the file: a lost one is left out before its member starts
            except FileNotFoundError:
                logger.warning("export of %s: stored file %s is missing", authority.slug, fieldfile.name)
                missing.append(name)
                continue
            yield from archive.member(name, _prepend(first, chunks), level=1)
    if missing:
        yield from archive.member("missing_files.txt", ["\r\n".join(missing).encode(), b"\r\n"])
    yield archive.close()


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
