"""The offline workbook: a round as an XLSX workbook to fill in offline, and its upload checked before anything is written.

``workbook_build`` writes one sheet per dimension the round keeps (question, level descriptors, the
current answer with a drop-down of the allowed responses, justification, evidence as read-only
information) and a hidden ``_meta`` sheet whose signature (an HMAC with the site's secret) covers the
round, its catalogue version and, per indicator, the revision and a digest of the answer as
downloaded: a workbook of another round or version, or whose structure was changed, is recognised.

``workbook_check`` is the dry run: it refuses a file that is too large, not an XLSX workbook, has
macros, is of another round or version or was tampered with (``WorkbookRefused``, nothing read
further, nothing written), lists per row every error (unknown code, bad level, N/A where not allowed,
a formula, an indicator that cannot change now) and per indicator every change and every conflict
(a row changed in the workbook whose answer was saved online since the download). Only a check
without errors or conflicts is kept, as a pending ``WorkbookImport``; ``workbook_apply`` then saves
each change through ``assessments.services.answer_save`` (with the workbook's revision, so that
history and conflicts work as in autosave), all or nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers.expat import ExpatError, ParserCreate

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from assessments import access, services
from assessments.access import AccessDenied, Capability
from assessments.models import Answer, Round, StatusEvent
from assessments.services import WorkflowError
from assessments.sheet import answer_sheet
from assessments.uploads import SuspiciousArchive, detect_type
from indicators.models import Dimension, Indicator
from indicators.rules import LEVELS, Level, Response

from .models import WorkbookImport

FORMAT = "coherence-workbook/1"
META = "_meta"
SALT = "collaboration.workbook"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A pending import is confirmed soon after its dry run, or not at all: the answers move on.
PENDING_MAX_AGE = datetime.timedelta(days=1)
# What is read of an uploaded workbook: a real one has a few dozen rows and a dozen columns.
MAX_ROWS = 2000
MAX_COLUMNS = 40
# Unpacked, a real workbook is tens to hundreds of KB; a few MB of zip can unpack to GBs, and openpyxl
# holds a whole row in memory (a row of a million cells took 610 MB). What an upload may hold unpacked:
MAX_UNPACKED_BYTES = 25 * 1024 * 1024  # all its parts together
MAX_MEMBER_BYTES = 15 * 1024 * 1024  # one part (the shared strings hold every text)
MAX_CELLS_PER_ROW = 500  # a real row has a dozen
# Sheets beyond the dimensions': the instructions and the hidden _meta.
EXTRA_SHEETS = 2
# The dry run lists this many problems at most, then says there are more.
MAX_ERRORS = 200
# Columns of a dimension's sheet (1-based), as written and read.
CODE, QUESTION, FIRST_DESCRIPTOR = 1, 2, 3
RESPONSE = FIRST_DESCRIPTOR + len(LEVELS)
JUSTIFICATION, EVIDENCE, REVISION, NOTE = RESPONSE + 1, RESPONSE + 2, RESPONSE + 3, RESPONSE + 4
SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def max_bytes() -> int:
    """The largest workbook accepted (the WORKBOOK_MAX_BYTES setting, 5 MB unless set)."""
    return settings.WORKBOOK_MAX_BYTES


class WorkbookRefused(WorkflowError):
    """An uploaded file that is not this round's workbook as downloaded: nothing in it is read further."""


# --- responses as the workbook shows them --------------------------------------------------------


def _not_applicable_label() -> str:
    return _("N/A")


def _dont_know_label() -> str:
    return _("Don't know")


def _cell_response(response: str, level: int | None) -> str | int | None:
    """The response cell's value for an answer: a level, "N/A", "Don't know" (in the active language) or empty."""
    if response == Response.LEVEL:
        return level
    if response == Response.NOT_APPLICABLE:
        return _not_applicable_label()
    if response == Response.DONT_KNOW:
        return _dont_know_label()
    return None


def _words() -> dict[str, str]:
    """Words a response cell may hold, in any of the site's languages (folded) → response."""
    words = {"na": Response.NOT_APPLICABLE, "n/a": Response.NOT_APPLICABLE, "dk": Response.DONT_KNOW}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            words[_not_applicable_label().casefold()] = Response.NOT_APPLICABLE
            words[str(Response.NOT_APPLICABLE.label).casefold()] = Response.NOT_APPLICABLE
            words[_dont_know_label().casefold()] = Response.DONT_KNOW
    return words


def _parse_response(value, words: dict[str, str]) -> tuple[str, int | None] | None:
    """(response, level) of a response cell (``words``: ``_words()``); None for a value that is none of the allowed ones."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Response.UNANSWERED, None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return (Response.LEVEL, int(value)) if value == int(value) and int(value) in LEVELS else None
    text = str(value).strip()
    if re.fullmatch(r"\d(\.0+)?", text):
        level = int(float(text))
        return (Response.LEVEL, level) if level in LEVELS else None
    response = words.get(text.replace("’", "'").casefold())
    return (response, None) if response else None


def _response_display(response: str, level: int | None) -> str:
    """An answer in words, for the dry run: "3 — Operational", "Not applicable", "Not answered yet"."""
    if response == Response.LEVEL and level is not None:
        return f"{level} — {Level(level).label}"
    return str(Response(response).label)


def _unchanged(values: list, downloaded: list | None, words: dict[str, str]) -> bool:
    """Whether a row holds the answer as it was downloaded (``downloaded``: its signed [revision, digest])."""
    parsed = _parse_response(values[RESPONSE - 1], words)
    if downloaded is None or parsed is None:
        return False
    return _digest(*parsed, _text(values[JUSTIFICATION - 1])) == downloaded[1]


def _text(value) -> str:
    """A justification cell as text, with the line ends a browser's form gives."""
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _digest(response: str, level: int | None, justification: str) -> str:
    """A short fingerprint of an answer as the workbook holds it: whether the row was changed since the download."""
    data = json.dumps([response, level, justification.replace("\r\n", "\n").strip()], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:20]


def _clean(text: str) -> str:
    """``text`` without the control characters a workbook cannot hold (Word's Shift+Enter pastes \\x0b)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _put(ws, row: int, column: int, value):
    """Write a cell: a text without the characters openpyxl refuses, and always as text, never as a formula."""
    if not isinstance(value, str):
        return ws.cell(row=row, column=column, value=value)
    cell = ws.cell(row=row, column=column, value=_clean(value))
    if cell.value.startswith("="):
        cell.data_type = "s"  # a text that looks like a formula stays text
    return cell


def _signature(round_id: int, version_id: int, rows: list) -> str:
    payload = json.dumps([FORMAT, round_id, version_id, rows], separators=(",", ":"), sort_keys=True)
    return salted_hmac(SALT, payload, algorithm="sha256").hexdigest()


def _sheet_title(code: str, name: str, taken: set[str]) -> str:
    title = SHEET_TITLE_FORBIDDEN.sub(" ", _clean(f"{code} {name}"))[:SHEET_TITLE_MAX].strip()
    if title.casefold() in taken or title == META:
        title = SHEET_TITLE_FORBIDDEN.sub(" ", _clean(code))[:SHEET_TITLE_MAX]
    taken.add(title.casefold())
    return title


# --- download ------------------------------------------------------------------------------------


def workbook_filename(round: Round) -> str:
    """The name the workbook is downloaded under: ``coherence-<authority>-<period>.xlsx``."""
    period = re.sub(r"[^\w.-]+", "-", round.period).strip("-") or "round"
    return f"coherence-{round.authority.slug}-{period}.xlsx"


def workbook_build(round: Round, user) -> bytes:
    """Write the round as an XLSX workbook to fill in offline, in the active language (the user's).

    Only ``user``'s right to see the round is assumed (the view checks it); the workbook says
    whether they may change the answers now.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet = answer_sheet(round, reviews=False).with_evidence()
    can_edit = access.can(user, Capability.EDIT_ANSWERS, round)
    book = Workbook()
    wrap = Alignment(wrap_text=True, vertical="top")
    editable = Protection(locked=False)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE5F0")
    input_fill = PatternFill("solid", fgColor="FFF8DC")

    intro = book.active
    intro.title = _("Instructions")[:SHEET_TITLE_MAX]
    lines = [
        (_("%(authority)s — round %(period)s") % {"authority": round.authority.name, "period": round.period}, True),
        (_("Catalogue: %(version)s") % {"version": round.version.label}, False),
        (_("Generated on %(date)s") % {"date": timezone.now().strftime("%Y-%m-%d %H:%M UTC")}, False),
        ("", False),
        (_("One sheet per dimension. Fill in only the yellow columns: the response and the justification."), False),
        (
            _(
                "Response: a level from %(lowest)d to %(highest)d, “%(na)s” where the indicator allows it, "
                "“%(dk)s”, or empty. The level descriptors say what each level means."
            )
            % {"lowest": LEVELS[0], "highest": LEVELS[-1], "na": _not_applicable_label(), "dk": _dont_know_label()},
            False,
        ),
        (_("Evidence is shown for information: add files and links online."), False),
        (
            _(
                "Then upload the workbook on the round's page: you will see every change and every problem "
                "before anything is saved. Do not add, remove or rename sheets, rows or codes, and do not "
                "use formulas."
            ),
            False,
        ),
    ]
    if not can_edit:
        lines.append((_("You cannot change this round's answers now: this workbook is for reading."), True))
    for row, (text, strong) in enumerate(lines, start=1):
        cell = _put(intro, row, 1, text)
        cell.alignment = wrap
        if strong:
            cell.font = bold
    intro.column_dimensions["A"].width = 120
    intro.protection.sheet = True

    headers = [_("Code"), _("Question")]
    headers += [f"{level} — {level.label}" for level in Level]
    headers += [_("Response"), _("Justification"), _("Evidence (add it online)"), _("Revision"), _("Note")]
    widths = [9, 50] + [30] * len(LEVELS) + [14, 50, 40, 8, 40]
    na_label, dk_label = _not_applicable_label(), _dont_know_label()
    levels = [str(level) for level in LEVELS]
    titles: set[str] = {intro.title.casefold()}
    signed_rows = []
    by_dimension: dict[int, list[Indicator]] = {}
    for indicator in sheet.indicators:
        by_dimension.setdefault(indicator.dimension_id, []).append(indicator)
    for dimension in sheet.dimensions:
        indicators = by_dimension.get(dimension.pk)
        if not indicators:  # left out of the round, or empty
            continue
        ws = book.create_sheet(_sheet_title(dimension.code, dimension.name, titles))
        for column, (title, width) in enumerate(zip(headers, widths, strict=True), start=1):
            cell = _put(ws, 1, column, title)
            cell.font, cell.fill, cell.alignment = bold, header_fill, wrap
            ws.column_dimensions[get_column_letter(column)].width = width
        ws.freeze_panes = "C2"
        with_na = DataValidation(type="list", formula1=_list_formula([*levels, na_label, dk_label]), allow_blank=True)
        without_na = DataValidation(type="list", formula1=_list_formula([*levels, dk_label]), allow_blank=True)
        for validation in (with_na, without_na):
            validation.error = _("Choose a level, N/A where allowed, Don't know, or leave it empty.")
            validation.errorTitle = _("Not an allowed response")
            validation.showErrorMessage = True
            ws.add_data_validation(validation)
        for row, indicator in enumerate(indicators, start=2):
            answer = sheet.answers.get(indicator.pk)
            response = answer.response if answer else Response.UNANSWERED
            level = answer.level if answer else None
            # The digest is of the text as written: an untouched row reads back the same.
            justification = _text(_clean(answer.justification)) if answer else ""
            revision = answer.revision if answer else 0
            evidence = "\n".join(_evidence_line(item) for item in answer.evidence.all()) if answer else ""
            values = [indicator.code, indicator.question, *indicator.descriptors]
            values += [_cell_response(response, level), justification, evidence, revision]
            values.append(_carried_over_note(round) if answer and answer.carried_over else None)
            for column, value in enumerate(values, start=1):
                _put(ws, row, column, value).alignment = wrap
            for column in (RESPONSE, JUSTIFICATION):
                ws.cell(row=row, column=column).protection = editable
                ws.cell(row=row, column=column).fill = input_fill
            (with_na if indicator.na_allowed else without_na).add(ws.cell(row=row, column=RESPONSE))
            signed_rows.append([indicator.code, revision, _digest(response, level, justification)])
        ws.column_dimensions[get_column_letter(REVISION)].hidden = True
        ws.protection.sheet = True
        ws.protection.formatColumns = False  # widths may change: only the content is locked

    signed_rows.sort()
    meta = book.create_sheet(META)
    entries = [
        ("format", FORMAT),
        ("round", round.pk),
        ("version", round.version_id),
        ("authority", round.authority.slug),
        ("period", round.period),
        ("generated_at", timezone.now().isoformat()),
        ("language", translation.get_language() or settings.LANGUAGE_CODE),
        ("rows", json.dumps(signed_rows, separators=(",", ":"))),
        ("signature", _signature(round.pk, round.version_id, signed_rows)),
    ]
    for row, (key, value) in enumerate(entries, start=1):
        _put(meta, row, 1, key)
        _put(meta, row, 2, value)
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True
    book.security = WorkbookProtection(lockStructure=True)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _carried_over_note(round: Round) -> str:
    """What the Note column says of an answer carried over from an earlier round and not confirmed yet."""
    if round.started_from is None:
        return _("Carried over from an earlier round, not confirmed: change it here, or confirm it online.")
    return _("Carried over from %(period)s, not confirmed: change it here, or confirm it online.") % {
        "period": round.started_from.period
    }


def _list_formula(items: list[str]) -> str:
    return '"' + ",".join(item.replace('"', '""').replace(",", " ") for item in items) + '"'


def _evidence_line(item) -> str:
    where = item.url or item.filename or _("file")
    return f"{item.description} — {where}"


# --- the dry run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A problem with one row (or one cell) of the workbook."""

    sheet: str
    row: int
    code: str
    message: str


@dataclass(frozen=True)
class Change:
    """What one indicator's row changes, or would change had the answer not been saved online since (``conflict``)."""

    code: str
    question: str
    sheet: str
    row: int
    base_revision: int
    response: str
    level: int | None
    justification: str
    old_response: str
    old_level: int | None
    old_justification: str
    conflict: bool = False
    theirs_by: str = ""

    @property
    def new_display(self) -> str:
        return _response_display(self.response, self.level)

    @property
    def old_display(self) -> str:
        return _response_display(self.old_response, self.old_level)

    @property
    def answer_changed(self) -> bool:
        return (self.response, self.level) != (self.old_response, self.old_level)

    @property
    def justification_changed(self) -> bool:
        return self.justification != self.old_justification

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "base_revision": self.base_revision,
            "response": self.response,
            "level": self.level,
            "justification": self.justification,
            "question": self.question,
            "sheet": self.sheet,
            "row": self.row,
            "old": {"response": self.old_response, "level": self.old_level, "justification": self.old_justification},
        }

    @classmethod
    def from_json(cls, data: dict) -> Change:
        old = data.get("old", {})
        return cls(
            code=data["code"],
            question=data.get("question", ""),
            sheet=data.get("sheet", ""),
            row=data.get("row", 0),
            base_revision=data["base_revision"],
            response=data["response"],
            level=data["level"],
            justification=data["justification"],
            old_response=old.get("response", ""),
            old_level=old.get("level"),
            old_justification=old.get("justification", ""),
        )


@dataclass
class WorkbookCheck:
    """The dry run of an upload: its changes, conflicts and errors, and the import kept when there is none of the last two."""

    round: Round
    filename: str
    changes: list[Change] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    more_errors: bool = False  # more than MAX_ERRORS: only the first are listed
    carried_over: list[str] = field(default_factory=list)  # codes of answers carried over, still to confirm online
    workbook_import: WorkbookImport | None = None

    @property
    def conflicts(self) -> list[Change]:
        return [change for change in self.changes if change.conflict]

    @property
    def ok(self) -> bool:
        """Whether the upload can be confirmed: no error, no conflict, something to change."""
        return self.workbook_import is not None


def _unreadable() -> WorkbookRefused:
    return WorkbookRefused(
        _("This workbook cannot be read. Save it again as an .xlsx workbook and upload it. Nothing was saved.")
    )


def _refuse_file(upload, *, max_sheets: int) -> bytes:
    """The upload's bytes, unless it is too large (packed or not), not an XLSX workbook or has macros (WorkbookRefused).

    Everything here is decided before openpyxl reads the file: what it would cost to read is bounded first.
    """
    limit = max_bytes()
    if upload.size is None or upload.size > limit:
        raise WorkbookRefused(
            _("The file is %(size)s; a workbook may be at most %(limit)s. Nothing was saved.")
            % {"size": filesizeformat(upload.size or 0), "limit": filesizeformat(limit)}
        )
    name = Path(upload.name or "").name
    not_xlsx = WorkbookRefused(
        _("This is not an XLSX workbook. Upload the .xlsx file downloaded from this page. Nothing was saved.")
    )
    macros = WorkbookRefused(
        _("This workbook contains macros, which are refused. Save it as an .xlsx workbook and upload it again.")
    )
    if Path(name).suffix.lower() in (".xlsm", ".xltm", ".xlam"):
        raise macros
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise WorkbookRefused(
            _("The file is larger than %(limit)s. Nothing was saved.") % {"limit": filesizeformat(limit)}
        )
    stream = io.BytesIO(data)
    if not data.startswith(b"PK\x03\x04"):
        raise not_xlsx
    try:
        kind = detect_type(stream)
    except SuspiciousArchive as suspicious:
        raise not_xlsx from suspicious
    if kind != "xlsx":
        raise not_xlsx
    with zipfile.ZipFile(stream) as archive:
        members = archive.infolist()
        # zipfile never unpacks a part beyond the size it declares: the declared sizes bound the cost.
        if (
            sum(member.file_size for member in members) > MAX_UNPACKED_BYTES
            or max((member.file_size for member in members), default=0) > MAX_MEMBER_BYTES
        ):
            raise WorkbookRefused(
                _(
                    "This workbook is far larger once unpacked than a round's workbook. Download the round's "
                    "workbook and fill that one in. Nothing was saved."
                )
            )
        if any(member.filename.lower().endswith("vbaproject.bin") for member in members):
            raise macros
        try:
            types = archive.read("[Content_Types].xml").lower()
        except KeyError as missing:
            raise not_xlsx from missing
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as broken:
            raise _unreadable() from broken
        if b"vbaproject" in types or b"macroenabled" in types:
            raise macros
        scan = _XmlScan()
        for member in members:
            if _is_xml(archive, member):
                scan.read(archive, member)
    if scan.sheets > max_sheets:
        raise WorkbookRefused(
            _(
                "This workbook has %(count)d sheets; the round's workbook has at most %(max)d. Do not add sheets: "
                "download the round's workbook and fill that one in. Nothing was saved."
            )
            % {"count": scan.sheets, "max": max_sheets}
        )
    return data


def _is_xml(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether a part is XML, by name or, whatever its name (a sheet can be any part), by its first bytes."""
    if member.filename.lower().endswith((".xml", ".rels")):
        return True
    try:
        with archive.open(member) as part:
            head = part.read(64)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError) as broken:
        raise _unreadable() from broken
    return head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<")


class _XmlScan:
    """Read the XML parts of an upload as a stream, keeping nothing: refuse DTDs (entities), XML that
    does not parse, and rows too wide for openpyxl to hold; count the sheets the workbook declares."""

    MAX_DEPTH = 64  # OOXML nests a dozen levels; expat keeps every open element

    def __init__(self) -> None:
        self.declared = 0  # <sheet> elements of the workbook part
        self.worksheets = 0  # worksheet parts
        self._stack: list[str] = []
        self._cells = 0

    @property
    def sheets(self) -> int:
        return max(self.declared, self.worksheets)

    def read(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
        parser = ParserCreate(namespace_separator="}")
        parser.StartDoctypeDeclHandler = self._refuse_doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        self._stack, self._cells = [], 0
        try:
            with archive.open(member) as part:
                while chunk := part.read(64 * 1024):
                    parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except (
            ExpatError,
            zipfile.BadZipFile,
            ValueError,
            OSError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ) as broken:
            raise _unreadable() from broken

    def _refuse_doctype(self, *args) -> None:
        raise ValueError("a DTD in a workbook")  # no workbook has one; entity bombs need one

    def _start(self, name: str, attributes) -> None:
        if len(self._stack) >= self.MAX_DEPTH:
            raise ValueError("XML nested deeper than any workbook")
        local = name.rpartition("}")[2]
        parent = self._stack[-1] if self._stack else None
        if local == "row":
            self._cells = 0
        elif local == "c" and parent == "row":
            self._cells += 1
            if self._cells > MAX_CELLS_PER_ROW:
                raise WorkbookRefused(
                    _(
                        "This workbook has a row of more than %(max)d cells. Download the round's workbook and "
                        "fill that one in. Nothing was saved."
                    )
                    % {"max": MAX_CELLS_PER_ROW}
                )
        elif local == "sheet" and parent == "sheets":
            self.declared += 1
        elif local == "worksheet" and parent is None:
            self.worksheets += 1
        self._stack.append(local)

    def _end(self, name: str) -> None:
        self._stack.pop()


def _read_meta(book) -> dict[str, str]:
    if META not in book.sheetnames:
        raise WorkbookRefused(
            _(
                "This workbook was not downloaded from this site, or its hidden sheet was removed. "
                "Download the round's workbook and fill that one in. Nothing was saved."
            )
        )
    meta = {}
    for row in book[META].iter_rows(min_row=1, max_row=50, max_col=2, values_only=True):
        if row and row[0] is not None:
            meta[str(row[0])] = "" if len(row) < 2 or row[1] is None else str(row[1])
    return meta


def _check_meta(meta: dict[str, str], round: Round) -> dict[str, list]:
    """code → [revision, digest] as signed at the download; WorkbookRefused for another round, version or a tampered sheet."""
    tampered = WorkbookRefused(
        _(
            "This workbook was changed where it must not be (its hidden sheet, codes or revisions), so it "
            "cannot be trusted. Download the workbook again and copy your answers into it. Nothing was saved."
        )
    )
    try:
        round_id, version_id = int(meta["round"]), int(meta["version"])
        rows = json.loads(meta["rows"])
        signature = meta["signature"]
    except (KeyError, ValueError, TypeError) as broken:
        raise tampered from broken
    if meta.get("format") != FORMAT or not isinstance(rows, list):
        raise tampered
    if not constant_time_compare(signature, _signature(round_id, version_id, rows)):
        raise tampered
    if version_id != round.version_id:
        raise WorkbookRefused(
            _(
                "This workbook was made for another version of the catalogue than this round's. Download "
                "this round's workbook and fill that one in. Nothing was saved."
            )
        )
    if round_id != round.pk:
        raise WorkbookRefused(
            _(
                "This workbook belongs to another round (%(authority)s %(period)s in the file). Download this "
                "round's workbook and fill that one in. Nothing was saved."
            )
            % {"authority": meta.get("authority", "?"), "period": meta.get("period", "?")}
        )
    return {code: [revision, digest] for code, revision, digest in rows}


def workbook_check(round: Round, user, uploaded_file) -> WorkbookCheck:
    """Dry-run an uploaded workbook against the round: what it would change, and every problem.

    A file that cannot be this round's workbook as downloaded is refused whole (``WorkbookRefused``).
    Otherwise the check lists every change, conflict and error; without errors and conflicts (and
    with something to change), it is kept as a pending ``WorkbookImport`` for ``workbook_apply``.
    """
    access.require(user, Capability.EDIT_ANSWERS, round)
    dimensions = Dimension.objects.filter(version_id=round.version_id).count()
    data = _refuse_file(uploaded_file, max_sheets=dimensions + EXTRA_SHEETS)
    from openpyxl import load_workbook

    # openpyxl raises many kinds for a file that is not a workbook, and in read-only mode it parses
    # each sheet only when it is read: a damaged sheet fails in the middle of reading it.
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as unreadable:
        raise _unreadable() from unreadable
    try:
        meta = _read_meta(book)
        rows = _read_rows(book)
    except WorkbookRefused:
        raise
    except Exception as unreadable:
        raise _unreadable() from unreadable
    finally:
        book.close()
    signed = _check_meta(meta, round)

    check = WorkbookCheck(round=round, filename=Path(uploaded_file.name or "workbook.xlsx").name[:255])
    indicators = {i.code: i for i in Indicator.objects.filter(version_id=round.version_id).select_related("dimension")}
    answers = {a.indicator_id: a for a in Answer.objects.filter(round=round).select_related("updated_by")}
    omitted = set(round.omitted_dimensions.values_list("pk", flat=True))
    words = _words()
    seen: set[str] = set()
    for row in rows:
        sheet_title, row_number, values = row.sheet, row.number, row.values
        code = _text(values[CODE - 1])

        def error(message: str, code=code, sheet_title=sheet_title, row_number=row_number) -> None:
            check.errors.append(RowError(sheet_title, row_number, code, message))

        if row.formulas:
            # A text starting with "=" may have been saved online; left as downloaded, it is no formula of the user's.
            if not row.typed_formula and _unchanged(values, signed.get(code), words):
                continue
            check.errors.append(_formula_error(sheet_title, row_number, code, row.formulas))
            continue

        indicator = indicators.get(code)
        if code not in signed or indicator is None:
            error(_("Unknown code: this indicator is not part of the round."))
            continue
        if code in seen:
            error(_("This indicator appears twice in the workbook."))
            continue
        seen.add(code)
        base_revision, downloaded = signed[code]
        if _text(values[REVISION - 1]) not in ("", str(base_revision)):
            error(_("The hidden revision of this row was changed: download the workbook again."))
            continue
        parsed = _parse_response(values[RESPONSE - 1], words)
        if parsed is None:
            error(
                _(
                    "“%(value)s” is not an allowed response: a level from %(lowest)d to %(highest)d, "
                    "“%(na)s”, “%(dk)s” or empty."
                )
                % {
                    "value": values[RESPONSE - 1],
                    "lowest": LEVELS[0],
                    "highest": LEVELS[-1],
                    "na": _not_applicable_label(),
                    "dk": _dont_know_label(),
                }
            )
            continue
        response, level = parsed
        if response == Response.NOT_APPLICABLE and not indicator.na_allowed:
            error(_("This indicator cannot be answered as not applicable."))
            continue
        justification = _text(values[JUSTIFICATION - 1])
        if _digest(response, level, justification) == downloaded:
            continue  # not changed in the workbook: a colleague's later save online stands
        if len(justification) > services.JUSTIFICATION_MAX_LENGTH:
            error(
                _("The justification has %(length)d characters; it may have at most %(max)d.")
                % {"length": len(justification), "max": services.JUSTIFICATION_MAX_LENGTH}
            )
            continue
        if indicator.dimension_id in omitted:
            error(_("This indicator's dimension was left out of the round since the download."))
            continue
        answer = answers.get(indicator.pk)
        current = (answer.response, answer.level, answer.justification) if answer else (Response.UNANSWERED, None, "")
        if (response, level, justification) == current:
            continue  # the same as online already
        try:
            # The rule the form and autosave follow (in a returned round, only the returned indicators).
            services.indicator_ensure_editable(round, indicator)
        except WorkflowError as refused:
            error(" ".join(refused.messages))
            continue
        revision = answer.revision if answer else 0
        check.changes.append(
            Change(
                code=code,
                question=indicator.question,
                sheet=sheet_title,
                row=row_number,
                base_revision=base_revision,
                response=response,
                level=level,
                justification=justification,
                old_response=current[0],
                old_level=current[1],
                old_justification=current[2],
                conflict=revision != base_revision,
                theirs_by=str(answer.updated_by or "") if answer else "",
            )
        )
    if len(check.errors) > MAX_ERRORS:
        check.errors, check.more_errors = check.errors[:MAX_ERRORS], True
    changed = {change.code for change in check.changes}
    by_id = {indicator.pk: indicator for indicator in indicators.values()}
    check.carried_over = sorted(
        by_id[answer.indicator_id].code
        for answer in answers.values()
        if answer.carried_over
        and answer.indicator_id in by_id
        and by_id[answer.indicator_id].dimension_id not in omitted
        and by_id[answer.indicator_id].code not in changed
    )
    if not check.errors and not check.conflicts and check.changes:
        with transaction.atomic():
            WorkbookImport.objects.filter(round=round, uploaded_by=user, status=WorkbookImport.Status.PENDING).update(
                status=WorkbookImport.Status.DISCARDED
            )
            check.workbook_import = WorkbookImport.objects.create(
                round=round,
                uploaded_by=user,
                filename=check.filename,
                changes=[change.as_json() for change in check.changes],
            )
    return check


@dataclass(frozen=True)
class _Row:
    """An indicator row as read: its values, and the cells that hold a formula or a text starting with "="."""

    sheet: str
    number: int
    values: list
    formulas: tuple[str, ...] = ()
    typed_formula: bool = False  # a real formula (not only a text that starts with "=")


def _formula_error(sheet: str, number: int, code: str, cells) -> RowError:
    return RowError(
        sheet,
        number,
        code,
        _("A formula (in %(cells)s) is not accepted: type the value itself.") % {"cells": ", ".join(cells)},
    )


def _read_rows(book) -> list[_Row]:
    """The indicator rows of every dimension sheet, with the formulas of their response and justification.

    Only those two cells are read as the user's input: elsewhere a text starting with "=" (a question,
    a colleague's evidence) is only what was downloaded, and no formula there is ever evaluated.
    """
    rows = []
    instructions = book.worksheets[0].title if book.worksheets else None
    for ws in book.worksheets:
        if ws.title in (META, instructions):
            continue
        for number, cells in enumerate(ws.iter_rows(min_row=2, max_row=MAX_ROWS, max_col=MAX_COLUMNS), start=2):
            values = [getattr(cell, "value", None) for cell in cells]
            values += [None] * (MAX_COLUMNS - len(values))
            code = _text(values[CODE - 1])
            if not code:
                continue
            inputs = [cells[column - 1] for column in (RESPONSE, JUSTIFICATION) if column <= len(cells)]
            typed = [cell for cell in inputs if getattr(cell, "data_type", None) == "f"]
            texts = [
                cell
                for cell in inputs
                if getattr(cell, "data_type", None) != "f"
                and isinstance(getattr(cell, "value", None), str)
                and cell.value.startswith("=")
            ]
            formulas = tuple(cell.coordinate for cell in typed + texts)
            rows.append(_Row(ws.title, number, values, formulas, bool(typed)))
    return rows


# --- confirm or discard --------------------------------------------------------------------------


def _locked_import(workbook_import: WorkbookImport, actor) -> tuple[WorkbookImport, Round]:
    # The round first, then the import, as every service locks: two orders could deadlock.
    round = Round.objects.select_for_update().select_related("authority").get(pk=workbook_import.round_id)
    workbook_import = WorkbookImport.objects.select_for_update().get(pk=workbook_import.pk, round=round)
    if workbook_import.uploaded_by_id != actor.pk:
        raise AccessDenied(_("Only the person who uploaded this workbook can confirm or discard it."))
    if workbook_import.status != WorkbookImport.Status.PENDING:
        raise WorkflowError(
            _("This upload was already %(status)s.") % {"status": workbook_import.get_status_display().lower()}
        )
    return workbook_import, round


@transaction.atomic
def workbook_apply(*, workbook_import: WorkbookImport, actor) -> WorkbookImport:
    """Save every change of a checked upload through ``answer_save``, all or nothing, and mark it applied.

    Refused (nothing written) for anyone but its uploader, once older than PENDING_MAX_AGE, when the
    round's status changed since the upload, or when any answer was saved online since the download.
    """
    workbook_import, round = _locked_import(workbook_import, actor)
    access.require(actor, Capability.EDIT_ANSWERS, round)
    if timezone.now() - workbook_import.uploaded_at > PENDING_MAX_AGE:
        raise WorkflowError(_("This upload is more than a day old: upload the workbook again to check it anew."))
    if (
        StatusEvent.objects.filter(round=round, at__gt=workbook_import.uploaded_at)
        .exclude(from_status=F("to_status"))
        .exists()
    ):
        raise WorkflowError(
            _("The round's status changed since the upload: upload the workbook again to check it anew.")
        )
    changes = [Change.from_json(data) for data in workbook_import.changes]
    indicators = {
        i.code: i
        for i in Indicator.objects.filter(
            version_id=round.version_id, code__in=[c.code for c in changes]
        ).select_related("dimension")
    }
    for change in changes:
        indicator = indicators.get(change.code)
        if indicator is None:
            raise WorkflowError(_("%(code)s is not part of the round's catalogue.") % {"code": change.code})
        try:
            services.answer_save(
                round=round,
                indicator=indicator,
                actor=actor,
                response=change.response,
                level=change.level,
                justification=change.justification,
                base_revision=change.base_revision,
            )
        except services.AnswerConflict as conflict:
            raise WorkflowError(
                _(
                    "%(code)s was saved online by %(person)s since the workbook was downloaded. Nothing was "
                    "written: download the workbook again, or change %(code)s online."
                )
                % {"code": change.code, "person": conflict.current.updated_by or "?"}
            ) from conflict
        except WorkflowError as refused:
            raise WorkflowError(
                _("%(code)s: %(reason)s Nothing was written.")
                % {"code": change.code, "reason": " ".join(refused.messages)}
            ) from refused
    workbook_import.status = WorkbookImport.Status.APPLIED
    workbook_import.applied_at = timezone.now()
    workbook_import.save(update_fields=["status", "applied_at"])
    return workbook_import


@transaction.atomic
def workbook_discard(*, workbook_import: WorkbookImport, actor) -> WorkbookImport:
    """Drop a checked upload without writing anything (its uploader only)."""
    workbook_import, _round = _locked_import(workbook_import, actor)
    workbook_import.status = WorkbookImport.Status.DISCARDED
    workbook_import.save(update_fields=["status"])
    return workbook_import
