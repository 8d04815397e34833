"""Evidence files: recognised by their content (not by their name), stored without orphans, sent back."""

from __future__ import annotations

import base64
import logging
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

try:  # the S3 backend's errors (django-storages over boto3), when it is installed
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - boto3 is in requirements.txt
    BotoCoreError = ClientError = OSError

logger = logging.getLogger(__name__)

# What a storage backend raises when it cannot keep or give back a file: the disk's OSError (full, read-only),
# the bucket's ClientError (refused, missing bucket) and BotoCoreError (the endpoint does not answer).
STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError)

# File type → (extensions allowed for it, Content-Type to send it with).
ALLOWED = {
    "pdf": ((".pdf",), "application/pdf"),
    "png": ((".png",), "image/png"),
    "jpeg": ((".jpg", ".jpeg"), "image/jpeg"),
    "docx": ((".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ((".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "odt": ((".odt",), "application/vnd.oasis.opendocument.text"),
    "ods": ((".ods",), "application/vnd.oasis.opendocument.spreadsheet"),
}
EXTENSIONS = sorted(ext for extensions, _type in ALLOWED.values() for ext in extensions)
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}

# An office document is a zip archive; these bounds refuse zip bombs from the central directory alone,
# before anything is decompressed. Real documents stay far below them (Apache POI refuses ratios
# above 100 too); members under the grace size may compress better, as tiny XML parts do.
ARCHIVE_MAX_MEMBERS = 10_000
ARCHIVE_MAX_RATIO = 100
ARCHIVE_RATIO_GRACE = 1024 * 1024
ARCHIVE_EXPANSION_FACTOR = 50  # times EVIDENCE_MAX_BYTES
MIMETYPE_READ_BYTES = 256  # the ODF "mimetype" member is about 46 bytes
FILENAME_MAX = 255  # the name an upload had, kept to send the file back under it (its last characters)


# An authority's logo, printed on its reports' covers and public profile: a PNG or JPEG, small.
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000  # pixels, each way
LOGO_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "MPO": ".jpg"}  # MPO: a camera's JPEG with extra frames
LOGO_CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg"}


class StorageUnavailable(ValidationError):
    """The file store refused to keep a file (a bucket refusing writes, an endpoint that does not answer, a full disk).

    A ValidationError, so that a view shows it as the form's error; nothing was recorded with the file.
    """

    def __init__(self):
        super().__init__(
            _("The file could not be stored: the file store is unavailable. Nothing was saved; try again later.")
        )


class SuspiciousArchive(Exception):
    """A zip archive whose declared sizes no real document has (a zip bomb)."""


def detect_type(stream: IO[bytes]) -> str | None:
    """Return the file type a stream's content shows (a key of ALLOWED), or None.

    Raise SuspiciousArchive for a zip archive that would expand to an absurd size.
    """
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _office_type(stream)
    return None


def check_upload(upload) -> None:
    """Refuse (ValidationError, saying why) a file over EVIDENCE_MAX_BYTES, of no accepted type, or named unlike its content."""
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)}
        )
    try:
        kind = detect_type(upload)
    except SuspiciousArchive as suspicious:
        raise ValidationError(
            _(
                "This file is refused: its compressed content would expand far beyond any real document. "
                "Save it again from your office application, or send it as a PDF."
            )
        ) from suspicious
    extension = Path(upload.name).suffix.lower()
    if kind is None or extension not in ALLOWED[kind][0]:
        raise ValidationError(
            _(
                "This file is not an accepted type, or its content does not match its name (%(ext)s). Accepted: %(list)s."
            )
            % {"ext": extension or "?", "list": ", ".join(EXTENSIONS)}
        )


def check_logo(upload) -> str:
    """Return the extension (".png" or ".jpg") a logo's content shows; refuse (ValidationError, saying why) anything else.

    Read by content, never by name: a PNG or JPEG that Pillow reads whole, at most LOGO_MAX_BYTES
    and LOGO_MAX_SIDE pixels each way. The dimensions come from the header, before any pixel is
    decoded, so that a small file declaring a huge image (a decompression bomb) is never expanded.
    """
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(LOGO_MAX_BYTES)}
        )
    unreadable = ValidationError(
        _("This file is not a PNG or JPEG image that can be read whole. Save the logo again as PNG or JPEG.")
    )
    try:
        # Image.open reads the header only; past twice Image.MAX_IMAGE_PIXELS it refuses by itself
        # (DecompressionBombError), and below that the size check refuses before any decoding.
        upload.seek(0)
        with Image.open(upload) as image:
            kind, (width, height) = image.format, image.size
            if kind not in LOGO_FORMATS:
                raise unreadable
            _check_logo_size(width, height)
            image.verify()  # the structure (a PNG's chunks and checksums) without decoding pixels
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()  # decoding finds a damaged image (at most LOGO_MAX_SIDE² pixels)
        # A cut-off JPEG passes verify(), and load() too once WeasyPrint has imported itself: it sets
        # Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES. A whole JPEG ends with its EOI marker.
        if kind == "JPEG" and not _ends_with_jpeg_end(upload):
            raise unreadable
    except Image.DecompressionBombError as bomb:
        raise ValidationError(_("The image declares far too many pixels to be a logo.")) from bomb
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as error:
        raise unreadable from error
    finally:
        upload.seek(0)
    return LOGO_FORMATS[kind]


def _ends_with_jpeg_end(upload) -> bool:
    """Whether the file's last bytes (trailing padding aside) are a JPEG's end-of-image marker."""
    upload.seek(max(upload.size - 64, 0))
    return upload.read().rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")


def _check_logo_size(width: int, height: int) -> None:
    if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
        raise ValidationError(
            _("The logo is %(width)d × %(height)d pixels; the limit is %(max)d × %(max)d.")
            % {"width": width, "height": height, "max": LOGO_MAX_SIDE}
        )


def data_uri(stored, content_type: str) -> str:
    """A stored file as a ``data:`` URI, for a small image shown on a page (CSP allows ``data:`` images).

    FileNotFoundError when storage lost the file or does not answer (the page goes without the image).
    """
    try:
        with stored.open("rb") as handle:
            return f"data:{content_type};base64,{base64.b64encode(handle.read()).decode('ascii')}"
    except FileNotFoundError:
        raise
    except STORAGE_ERRORS as error:
        logger.warning("The file store did not give %s: %s", stored.name, error)
        raise FileNotFoundError(stored.name) from error


def _office_type(stream: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            _refuse_bombs(members, archive_size=stream.seek(0, os.SEEK_END))
            names = {member.filename for member in members}
            if "mimetype" in names:
                # Never archive.read(): a member's size is whatever the archive claims.
                with archive.open("mimetype") as member:
                    mimetype = member.read(MIMETYPE_READ_BYTES).decode("ascii", "replace").strip()
                return ODF_TYPES.get(mimetype)
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
    # RuntimeError: a member marked encrypted; NotImplementedError: a compression method zipfile lacks.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError, ValueError):
        return None
    finally:
        stream.seek(0)
    return None


def _refuse_bombs(members: list[zipfile.ZipInfo], *, archive_size: int) -> None:
    limit = ARCHIVE_EXPANSION_FACTOR * settings.EVIDENCE_MAX_BYTES
    if len(members) > ARCHIVE_MAX_MEMBERS:
        raise SuspiciousArchive(f"{len(members)} members")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > limit or total > limit:
            raise SuspiciousArchive(f"expands to more than {limit} bytes")
        if member.file_size > ARCHIVE_RATIO_GRACE and member.file_size > ARCHIVE_MAX_RATIO * member.compress_size:
            raise SuspiciousArchive(f"{member.filename!r} compressed more than {ARCHIVE_MAX_RATIO} times")
    if total > ARCHIVE_RATIO_GRACE and total > ARCHIVE_MAX_RATIO * archive_size:
        raise SuspiciousArchive(f"compressed more than {ARCHIVE_MAX_RATIO} times")


def content_type_for(filename: str) -> str:
    """Return the Content-Type to serve a stored evidence file with."""
    lower = filename.lower()
    for extensions, content_type in ALLOWED.values():
        if lower.endswith(extensions):
            return content_type
    return "application/octet-stream"


def check_link(url: str, max_length: int = 1000) -> str:
    """An http(s) link as stored, its scheme in lower case ("" for none); ValidationError saying why it is refused."""
    url = (url or "").strip()
    if not url:
        return ""
    scheme, _separator, rest = url.partition("://")
    url = f"{scheme.lower()}://{rest}"
    if len(url) > max_length:
        raise ValidationError(_("The link is too long."))
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise ValidationError(_("Only http and https links are accepted.")) from error
    return url


# --- storing, deleting and sending back ----------------------------------------------------------


def save_with_upload(instance, field_name: str, upload, *, then: Callable[[], Any] | None = None) -> None:
    """Save ``instance`` with ``upload`` (if any) stored in its file field ``field_name``; keep no orphan file.

    The upload's name (its last FILENAME_MAX characters) goes to ``instance.filename``. If the row is
    not written, or ``then`` (what must succeed with it, run after the save) fails, the stored file is
    deleted and the error raised again. A store that refuses the file raises StorageUnavailable before any row is written.
    """
    if upload:
        instance.filename = upload.name[-FILENAME_MAX:]
        try:
            getattr(instance, field_name).save(upload.name, upload, save=False)
        except STORAGE_ERRORS as error:
            logger.error("The file store refused %s.%s: %s", type(instance).__name__, field_name, error)
            raise StorageUnavailable from error
    try:
        instance.save()
        if then is not None:
            then()
    except Exception:
        stored = getattr(instance, field_name)
        if stored:  # keep no orphan file when the record is not written
            try:
                stored.delete(save=False)
            except STORAGE_ERRORS:
                logger.exception("An orphan file is left in storage: %s", stored.name)
        raise


def delete_files_on_commit(*fieldfiles: FieldFile) -> None:
    """Delete the stored files once the transaction commits (never if it rolls back); empty ones are skipped."""
    stored = [fieldfile for fieldfile in fieldfiles if fieldfile]
    if stored:
        transaction.on_commit(lambda: [fieldfile.delete(save=False) for fieldfile in stored])


def file_response(
    fieldfile: FieldFile, filename: str, *, content_type: str | None = None, as_attachment: bool = True
) -> HttpResponse:
    """Stream a stored file (as an attachment named ``filename``); Http404 if there is none or storage lost it.

    The caller has checked that the reader may have it. The file comes through this process, from the disk or
    the bucket (an S3File spools it to a temporary file), never by a link to the bucket: the bucket stays private.
    A store that does not answer gives a 503 that says so, not a server error.
    """
    if not fieldfile:
        raise Http404
    try:
        handle = fieldfile.open("rb")
        # FileResponse reads the size (for Content-Length) now, which fetches the object from a bucket.
        return FileResponse(
            handle,
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type or content_type_for(filename),
        )
    except FileNotFoundError as missing:
        raise Http404 from missing
    except STORAGE_ERRORS as error:
        logger.error("The file store did not give %s: %s", fieldfile.name, error)
        fieldfile.close()
        return HttpResponse(
            _("The file store is unavailable; try again later."),
            status=503,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": "60"},
        )
