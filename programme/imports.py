"""Import authorities and people from a CSV or XLSX file: a dry run (``import_check``), then ``import_apply``.

The check reads the whole file, checks every row and lists every problem with its row number; it writes nothing
but an ``ImportBatch`` (pending) when there is no error. Applying the batch is one transaction: authorities, people
(no password: they set one from their invitation), memberships, language preferences, then the invitations.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from assessments import access
from assessments.models import Authority, Membership, Preference
from assessments.services import WorkflowError
from assessments.uploads import SuspiciousArchive, detect_type
from coherence_site.spreadsheets import FORMULA_STARTS

from . import invitations
from .models import ImportBatch
from .services import can_run_campaigns

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
BATCH_LIFETIME = datetime.timedelta(days=1)
NAME_MAX = 150  # first_name and username of Django's user
# The uncompressed size an .xlsx of MAX_BYTES may have: its XML parts compress about ten times, so twenty times
# MAX_BYTES is room enough for any real sheet of MAX_ROWS rows, and far under what a zip bomb would expand to.
MAX_EXPANDED_BYTES = 20 * MAX_BYTES

# Column → the header names accepted for it (compared in lower case, spaces trimmed).
COLUMNS = {
    "authority": ("authority",),
    "country": ("country",),
    "kind": ("kind",),
    "email": ("e-mail", "email"),
    "name": ("name",),
    "role": ("role",),
    "language": ("language",),
}
HEADERS = ["authority", "country", "kind", "e-mail", "name", "role", "language"]
EXAMPLE_ROWS = [
    ["Cuenca", "Ecuador", "municipality", "ana.perez@cuenca.example", "Ana Pérez", "approver", "es"],
    ["Cuenca", "Ecuador", "municipality", "luis.mora@cuenca.example", "Luis Mora", "editor", "es"],
    ["Lyon", "France", "municipality", "claire.martin@lyon.example", "Claire Martin", "approver", "fr"],
]


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, size, encoding, formulas, too many rows, missing columns)."""


@dataclass
class ImportRow:
    number: int  # the row of the file (the header is row 1)
    authority: str = ""
    country: str = ""
    kind: str = ""
    email: str = ""
    name: str = ""
    role: str = ""
    language: str = ""
    errors: list[str] = field(default_factory=list)
    new_authority: bool = False
    already_there: bool = False  # the person already belongs to the authority with this role: nothing to do
    slug: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict:
        return {
            "authority": self.authority,
            "slug": self.slug,
            "country": self.country,
            "kind": self.kind,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "language": self.language,
        }


@dataclass
class ImportCheck:
    filename: str
    rows: list[ImportRow] = field(default_factory=list)
    file_error: str = ""
    batch: ImportBatch | None = None

    @property
    def error_count(self) -> int:
        return sum(len(row.errors) for row in self.rows) + (1 if self.file_error else 0)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def authorities_to_create(self) -> int:
        return len({row.authority.lower() for row in self.rows if row.new_authority})

    @property
    def people_to_create(self) -> int:
        return sum(1 for row in self.rows if not row.already_there)


@dataclass
class ImportResult:
    authorities: int
    people: int
    invitations: int


# --- reading the file ----------------------------------------------------------------------------------------


def _read(file) -> bytes:
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImportFileError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(MAX_BYTES)}
        )
    file.seek(0)
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(limit)s.") % {"limit": filesizeformat(MAX_BYTES)})
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    return data


def _wrong_type() -> ImportFileError:
    return ImportFileError(
        _("This file is not a CSV or XLSX spreadsheet. Save it as CSV (UTF-8) or as an Excel workbook (.xlsx).")
    )


def _xlsx_records(data: bytes):
    """Yield each row of the first sheet as a list of texts; refuse macros and formulas."""
    from openpyxl import load_workbook

    stream = io.BytesIO(data)
    try:
        kind = detect_type(stream)
    except SuspiciousArchive as suspicious:
        raise ImportFileError(
            _("This file is refused: its compressed content would expand far beyond any real spreadsheet.")
        ) from suspicious
    if kind != "xlsx":
        raise _wrong_type()
    with zipfile.ZipFile(stream) as archive:
        if sum(member.file_size for member in archive.infolist()) > MAX_EXPANDED_BYTES:
            raise ImportFileError(
                _("This file is refused: its compressed content would expand far beyond any real spreadsheet.")
            )
        if any(name.lower().endswith("vbaproject.bin") for name in archive.namelist()):
            raise ImportFileError(_("This workbook contains macros; save it as a plain .xlsx workbook without them."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as broken:  # openpyxl raises many kinds of errors on a damaged file
        raise ImportFileError(
            _("This workbook cannot be read; save it again from your spreadsheet application.")
        ) from (broken)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows():
            values = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith("=")
                ):
                    raise ImportFileError(
                        _("Cell %(cell)s holds a formula; formulas are refused: type the values themselves.")
                        % {"cell": getattr(cell, "coordinate", "?")}
                    )
                values.append("" if cell.value is None else str(cell.value))
            yield values
    finally:
        workbook.close()


def _csv_records(data: bytes):
    if b"\x00" in data:
        raise _wrong_type()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as undecodable:
        raise ImportFileError(_("This file is not UTF-8 text. Save it as “CSV UTF-8”.")) from undecodable
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _records(data: bytes):
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_records(data)
    if detect_type(io.BytesIO(data)) is not None:  # PDF, images
        raise _wrong_type()
    return _csv_records(data)


def _parse(file) -> list[ImportRow]:
    """The rows of the file, values trimmed; raise ImportFileError for what makes the whole file unreadable."""
    try:
        return _parse_records(enumerate(_records(_read(file)), start=1))
    except csv.Error as broken:
        raise ImportFileError(
            _("This file cannot be read as CSV (%(reason)s). Save it again as “CSV UTF-8”.") % {"reason": broken}
        ) from broken


def _parse_records(records) -> list[ImportRow]:
    header = None
    for _number, values in records:
        if any(v.strip() for v in values):
            header = [v.strip().lower() for v in values]
            break
    if header is None:
        raise ImportFileError(_("The file is empty."))
    positions = {}
    for column, names in COLUMNS.items():
        for index, title in enumerate(header):
            if title in names:
                positions[column] = index
                break
    missing = [COLUMNS[column][0] for column in COLUMNS if column not in positions]
    if missing:
        raise ImportFileError(
            _("Missing columns: %(missing)s. The first row must name the columns %(expected)s.")
            % {"missing": ", ".join(missing), "expected": ", ".join(HEADERS)}
        )
    rows = []
    for number, values in records:
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(limit)s rows; split it into files of at most %(limit)s rows.")
                % {"limit": number_format(MAX_ROWS, force_grouping=True)}
            )
        row = ImportRow(number=number)
        for column, index in positions.items():
            setattr(row, column, values[index].strip() if index < len(values) else "")
        rows.append(row)
    return rows


# --- checking the rows ---------------------------------------------------------------------------------------


def _choice(value: str, choices) -> str | None:
    """The stored value of a choice given by its value or its English label, in any case; None if unknown."""
    wanted = value.lower()
    for stored, label in choices:
        if wanted in (str(stored).lower(), str(label).lower()):
            return stored
    return None


def _english_labels(choices) -> list[str]:
    return [str(value) for value, _label in choices]


def _unsafe_text(value: str) -> bool:
    """Whether a name could run as a formula once exported to a spreadsheet, or holds a control character."""
    return value.startswith(FORMULA_STARTS) or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)


def _check_values(row: ImportRow) -> None:
    labels = {
        "authority": _("authority"),
        "country": _("country"),
        "kind": _("kind"),
        "email": _("e-mail"),
        "name": _("name"),
        "role": _("role"),
        "language": _("language"),
    }
    for column, label in labels.items():
        if not getattr(row, column):
            row.errors.append(_("Missing value: %(column)s.") % {"column": label})
    if row.email:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(_("“%(value)s” is not a valid e-mail address.") % {"value": row.email})
        row.email = row.email.lower()
    if row.kind:
        kind = _choice(row.kind, Authority.Kind.choices)
        if kind is None:
            row.errors.append(
                _("Unknown kind “%(value)s”: use one of %(choices)s.")
                % {"value": row.kind, "choices": ", ".join(_english_labels(Authority.Kind.choices))}
            )
        else:
            row.kind = kind
    if row.role:
        role = _choice(row.role, Membership.Role.choices)
        if role is None:
            row.errors.append(
                _("Unknown role “%(value)s”: use one of %(choices)s.")
                % {"value": row.role, "choices": ", ".join(_english_labels(Membership.Role.choices))}
            )
        else:
            row.role = role
    if row.language:
        language = _choice(row.language, settings.LANGUAGES)
        if language is None:
            row.errors.append(
                _("Unknown language “%(value)s”: use one of %(choices)s.")
                % {"value": row.language, "choices": ", ".join(code for code, _name in settings.LANGUAGES)}
            )
        else:
            row.language = language
    for column, label in (("authority", labels["authority"]), ("name", labels["name"])):
        if _unsafe_text(getattr(row, column)):
            row.errors.append(
                _(
                    "The value of “%(column)s” may not start with = + - @ or hold a line break or another control "
                    "character: type it as plain text."
                )
                % {"column": label}
            )
    if len(row.authority) > Authority._meta.get_field("name").max_length:
        row.errors.append(_("The authority's name is too long."))
    if len(row.country) > Authority._meta.get_field("country").max_length:
        row.errors.append(_("The country is too long."))
    if len(row.name) > NAME_MAX:
        row.errors.append(_("The name is too long."))
    if len(row.email) > NAME_MAX:
        row.errors.append(_("This e-mail address is too long to be a log-in name."))


def _unique_slug(name: str, taken: set[str]) -> str:
    base = (slugify(name) or "authority")[:40]
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _check_rows(rows: list[ImportRow]) -> None:
    """Check each row against the others and the database, in a few queries whatever the number of rows."""
    for row in rows:
        _check_values(row)
    User = get_user_model()
    emails = {row.email for row in rows if row.email}
    names = {row.authority.lower() for row in rows if row.authority}
    users = {
        user.email_lower: user
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
    }
    users.update(
        {
            user.username_lower: user
            for user in User.objects.annotate(username_lower=Lower("username")).filter(username_lower__in=emails)
        }
    )
    authorities = {
        a.name_lower: a for a in Authority.objects.annotate(name_lower=Lower("name")).filter(name_lower__in=names)
    }
    memberships = {
        (m.user_id, m.authority_id): m.role
        for m in Membership.objects.filter(user__in=[u.pk for u in users.values()], authority__in=authorities.values())
    }
    taken_slugs = set(Authority.objects.values_list("slug", flat=True))
    seen_emails: dict[str, int] = {}
    new_authorities: dict[str, ImportRow] = {}
    for row in rows:
        key = row.authority.lower()
        existing = authorities.get(key)
        # A row whose country or kind is missing or unknown says so already; it is compared with nothing.
        if row.authority and row.country and row.kind in Authority.Kind.values:
            if existing is not None:
                if existing.country.lower() != row.country.lower() or existing.kind != row.kind:
                    row.errors.append(
                        _(
                            "The authority “%(name)s” already exists in %(country)s as a %(kind)s: "
                            "the country or kind of this row differs."
                        )
                        % {"name": existing.name, "country": existing.country, "kind": existing.get_kind_display()}
                    )
            elif key in new_authorities:
                first = new_authorities[key]
                if first.country.lower() != row.country.lower() or first.kind != row.kind:
                    row.errors.append(
                        _("The authority “%(name)s” has another country or kind on row %(row)d.")
                        % {"name": row.authority, "row": first.number}
                    )
                row.new_authority, row.slug = True, first.slug
            else:
                row.new_authority = True
                row.slug = _unique_slug(row.authority, taken_slugs)
                new_authorities[key] = row
        if row.email:
            if row.email in seen_emails:
                row.errors.append(
                    _("The e-mail %(email)s is already on row %(row)d.")
                    % {"email": row.email, "row": seen_emails[row.email]}
                )
            else:
                seen_emails[row.email] = row.number
            user = users.get(row.email)
            if user is not None:
                if existing is not None and memberships.get((user.pk, existing.pk)) == row.role:
                    row.already_there = True
                else:
                    row.errors.append(
                        _("%(email)s already has an account; add this person from the authority's page.")
                        % {"email": row.email}
                    )


def import_check(file, actor) -> ImportCheck:
    """The dry run: every row checked, every problem listed with its row; a pending ImportBatch when all is well."""
    if not can_run_campaigns(actor):
        raise access.AccessDenied(_("Only programme coordinators can import authorities and people."))
    check = ImportCheck(filename=getattr(file, "name", "") or "")
    try:
        check.rows = _parse(file)
    except ImportFileError as refused:
        check.file_error = str(refused)
        return check
    if not check.rows:
        check.file_error = _("The file has no rows under its header.")
        return check
    _check_rows(check.rows)
    to_write = [row.as_json() for row in check.rows if not row.already_there]
    if check.ok and to_write:
        check.batch = ImportBatch.objects.create(
            uploaded_by=actor, filename=check.filename[-255:], status=ImportBatch.Status.PENDING, rows=to_write
        )
    return check


# --- applying a batch ----------------------------------------------------------------------------------------


def _locked(batch: ImportBatch, actor) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.uploaded_by_id != actor.pk or not can_run_campaigns(actor):
        raise access.AccessDenied(_("Only the person who uploaded this file can confirm or cancel it."))
    if batch.status != ImportBatch.Status.PENDING:
        raise WorkflowError(_("This import was already confirmed or cancelled."))
    return batch


@transaction.atomic
def import_apply(batch: ImportBatch, actor) -> ImportResult:
    """Write the checked rows in one transaction and invite each new person; all or nothing."""
    batch = _locked(batch, actor)
    if batch.uploaded_at < timezone.now() - BATCH_LIFETIME:
        raise WorkflowError(_("This check is more than a day old; upload the file again."))
    User = get_user_model()
    rows = batch.rows
    emails = {row["email"] for row in rows}
    stale = _("Some of these people have an account since the check; upload the file again.")
    if (
        User.objects.annotate(e=Lower("email")).filter(e__in=emails).exists()
        or User.objects.annotate(u=Lower("username")).filter(u__in=emails).exists()
    ):
        raise WorkflowError(stale)
    names = {row["authority"].lower() for row in rows}
    authorities = {
        a.name_lower: a for a in Authority.objects.annotate(name_lower=Lower("name")).filter(name_lower__in=names)
    }
    taken_slugs = set(Authority.objects.values_list("slug", flat=True))
    created = []
    for row in rows:
        key = row["authority"].lower()
        existing = authorities.get(key)
        if existing is None:
            slug = row["slug"] if row["slug"] and row["slug"] not in taken_slugs else None
            if slug is None:
                slug = _unique_slug(row["authority"], taken_slugs)
            taken_slugs.add(slug)
            existing = Authority(name=row["authority"], slug=slug, country=row["country"], kind=row["kind"], region="")
            authorities[key] = existing
            created.append(existing)
        elif existing.country.lower() != row["country"].lower() or existing.kind != row["kind"]:
            raise WorkflowError(
                _("The authority “%(name)s” changed since the check; upload the file again.") % {"name": existing.name}
            )
    Authority.objects.bulk_create(created)
    people = []
    for row in rows:
        # The whole name goes in first_name, as person_invite does (first and last names vary by culture).
        user = User(username=row["email"], email=row["email"], first_name=row["name"])
        user.set_unusable_password()
        people.append(user)
    try:
        with transaction.atomic():
            User.objects.bulk_create(people)
    except IntegrityError:  # the same address, confirmed at the same moment in another import or invitation
        raise WorkflowError(stale) from None
    Membership.objects.bulk_create(
        Membership(user=user, authority=authorities[row["authority"].lower()], role=row["role"])
        for user, row in zip(people, rows, strict=True)
    )
    Preference.objects.bulk_create(
        Preference(user=user, language=row["language"]) for user, row in zip(people, rows, strict=True)
    )
    invitations.invitations_send_many(users=people, actor=actor)
    batch.status = ImportBatch.Status.APPLIED
    batch.applied_at = timezone.now()
    batch.save(update_fields=["status", "applied_at"])
    return ImportResult(authorities=len(created), people=len(people), invitations=len(people))


@transaction.atomic
def import_discard(batch: ImportBatch, actor) -> None:
    """Cancel a pending import: nothing is written."""
    batch = _locked(batch, actor)
    batch.status = ImportBatch.Status.DISCARDED
    batch.save(update_fields=["status"])


def template_csv() -> str:
    """The CSV template offered on the upload page: the header and example rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(EXAMPLE_ROWS)
    return out.getvalue()
