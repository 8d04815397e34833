"""Evidence files and links: accepted by content, refused clearly, stored safely, served as attachments."""

import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from assessments.models import Evidence

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office/>"})


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _upload(client, round, code, *, name=None, content=None, url="", description="Minutes"):
    data = {f"{code}-evidence-description": description, f"{code}-evidence-url": url}
    if name:
        data[f"{code}-evidence-file"] = SimpleUploadedFile(name, content)
    return client.post(reverse("evidence_add", args=[round.pk, code]), data, headers={"HX-Request": "true"})


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("minutes.pdf", PDF),
        ("photo.png", PNG),
        ("photo.JPG", JPEG),
        ("decree.docx", DOCX),
        ("sheet.xlsx", _xlsx()),
        ("text.odt", ODT),
        ("sheet.ods", ODS),
    ],
    ids=["pdf", "png", "jpeg", "docx", "xlsx", "odt", "ods"],
)
def test_accepted_file_types_are_stored_under_a_generated_name(client, draft, quito, tmp_path, name, content):
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", name=name, content=content)
    assert response.status_code == 200
    evidence = Evidence.objects.get()
    assert evidence.filename == name
    stored = Path(evidence.file.name)
    # The stored name is generated: it keeps the extension but nothing of the name the user gave.
    assert stored.parent == Path(f"evidence/{draft.pk}") and Path(name).stem not in stored.stem
    assert (tmp_path / evidence.file.name).read_bytes() == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("virus.pdf", b"MZ\x90\x00 this is a windows program"),
        ("report.png", PDF),
        ("notes.txt", b"plain text"),
        ("fake.docx", _zip({"hello.txt": b"not a document"})),
        ("broken.xlsx", b"PK\x03\x04 truncated"),
        ("macro.docm", DOCX),
    ],
    ids=["exe-named-pdf", "pdf-named-png", "text", "zip-named-docx", "broken-zip", "wrong-extension"],
)
def test_disguised_or_unaccepted_files_are_refused_and_nothing_is_written(
    client, draft, quito, tmp_path, name, content
):
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", name=name, content=content)
    assert response.status_code == 422
    assert "not an accepted type" in response.content.decode()
    assert not Evidence.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_a_file_over_the_size_limit_is_refused_and_not_read_past_the_limit(client, draft, quito, settings, tmp_path):
    settings.EVIDENCE_MAX_BYTES = 1000
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", name="big.pdf", content=PDF + b"0" * 2000)
    assert response.status_code == 413
    assert "the limit is 1000" in response.content.decode()
    assert not Evidence.objects.exists()
    assert not any(tmp_path.rglob("*"))


class _Body:
    """A request body that counts what the server reads of it; endless unless given a size."""

    def __init__(self, size: int | None = None):
        self.size, self.read_bytes = size, 0

    def read(self, n: int = -1) -> bytes:
        left = (1 << 20) if self.size is None else self.size - self.read_bytes
        n = left if n is None or n < 0 else min(n, left)
        self.read_bytes += n
        return b"x" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


def _post_body(client, round, code, body: _Body, **extra):
    return client.generic(
        "POST",
        reverse("evidence_add", args=[round.pk, code]),
        **{"wsgi.input": body, "CONTENT_TYPE": "multipart/form-data; boundary=xyz", **extra},
    )


def test_a_body_declared_larger_than_the_limit_is_refused_before_it_is_read(client, draft, quito):
    client.force_login(quito.editor)
    body = _Body(300 * 1024 * 1024)
    response = _post_body(client, draft, "HC-01", body, CONTENT_LENGTH=str(body.size))
    assert response.status_code == 413
    assert body.read_bytes == 0
    page = response.content.decode()
    assert "The file is too large: the limit is 10.0 MB" in page and "<html" in page


def test_an_anonymous_upload_is_sent_to_log_in_without_its_body_being_read(client, draft):
    body = _Body(5 * 1024 * 1024)
    response = _post_body(client, draft, "HC-01", body, CONTENT_LENGTH=str(body.size))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert body.read_bytes == 0


def test_a_body_too_large_for_the_htmx_evidence_form_gets_a_fragment_that_keeps_the_form(client, draft, quito):
    client.force_login(quito.editor)
    body = _Body(300 * 1024 * 1024)
    response = _post_body(client, draft, "HC-01", body, CONTENT_LENGTH=str(body.size), HTTP_HX_REQUEST="true")
    assert response.status_code == 413 and body.read_bytes == 0
    assert response["HX-Reswap"] == "afterbegin"
    fragment = response.content.decode()
    assert "<html" not in fragment and 'role="alert"' in fragment and "the limit is 10.0 MB" in fragment


def test_a_body_without_content_length_is_never_read(client, draft, quito):
    client.force_login(quito.editor)
    body = _Body()  # endless, as a chunked upload that never stops
    response = _post_body(client, draft, "HC-01", body, HTTP_TRANSFER_ENCODING="chunked", HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert body.read_bytes == 0
    assert not Evidence.objects.exists()


def _zip_bomb(members: dict[str, int], head: dict[str, bytes] | None = None) -> bytes:
    """A real zip bomb: each member a run of zero bytes of the given size, deflated."""
    out, chunk = io.BytesIO(), bytes(1 << 20)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in (head or {}).items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        for name, size in members.items():
            with archive.open(name, "w") as member:
                for _start in range(0, size, len(chunk)):
                    member.write(chunk)
    return out.getvalue()


@pytest.fixture(scope="module")
def odt_bomb() -> bytes:
    """An .odt whose mimetype member expands to 300 MB: about 1.4 MB on the wire."""
    return _zip_bomb({"mimetype": 300 << 20})


def test_a_zip_bomb_is_refused_fast_without_being_expanded(client, draft, quito, odt_bomb, tmp_path):
    assert len(odt_bomb) < 2 << 20  # small enough to pass the size limit
    client.force_login(quito.editor)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = _upload(client, draft, "HC-01", name="minutes.odt", content=odt_bomb)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert peak < 40 << 20, f"peak {peak >> 20} MB while checking the upload"
    assert elapsed < 5, f"took {elapsed:.1f}s"
    assert response.status_code == 422
    assert "would expand far beyond any real document" in response.content.decode()
    assert not Evidence.objects.exists() and not any(tmp_path.rglob("*.*"))


def test_an_archive_of_many_small_bombs_is_refused(client, draft, quito):
    # Each member is under the per-member bound; together they expand 200 times the archive's size.
    bomb = _zip_bomb(
        {f"Pictures/{i}.xml": 1 << 20 for i in range(100)},
        head={"mimetype": b"application/vnd.oasis.opendocument.text"},
    )
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", name="minutes.odt", content=bomb)
    assert response.status_code == 422
    assert "would expand far beyond any real document" in response.content.decode()
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.org/x", "not a link"])
def test_only_http_links_are_accepted(client, draft, quito, url):
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", url=url)
    assert response.status_code == 422
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Https://quito.gob.ec/Ordenanza.pdf", "https://quito.gob.ec/Ordenanza.pdf"),
        ("HTTP://quito.gob.ec/acta", "http://quito.gob.ec/acta"),
        ("hTTpS://quito.gob.ec", "https://quito.gob.ec"),
    ],
)
def test_a_link_with_a_capitalised_scheme_is_accepted_and_stored_in_lower_case(client, draft, quito, typed, stored):
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", url=typed)
    assert response.status_code == 200
    assert Evidence.objects.get().url == stored


def test_a_link_is_kept_with_its_description(client, draft, quito):
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", url="https://quito.gob.ec/ordenanza.pdf", description="Ordinance")
    assert response.status_code == 200 and "Ordinance" in response.content.decode()
    assert Evidence.objects.get().url == "https://quito.gob.ec/ordenanza.pdf"


def test_a_file_and_a_link_together_are_refused(client, draft, quito):
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", name="m.pdf", content=PDF, url="https://example.org")
    assert response.status_code == 422 and "either a file or a link" in response.content.decode()
    assert not Evidence.objects.exists()


def test_evidence_downloads_as_an_attachment_with_its_original_name(client, draft, quito):
    client.force_login(quito.editor)
    _upload(client, draft, "HC-01", name="Acta del comité.pdf", content=PDF)
    evidence = Evidence.objects.get()
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF


def test_removing_evidence_deletes_the_file_after_commit(
    client, draft, quito, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(quito.editor)
    _upload(client, draft, "HC-01", name="m.pdf", content=PDF)
    evidence = Evidence.objects.get()
    stored = tmp_path / evidence.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence_delete", args=[evidence.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert not Evidence.objects.exists() and not stored.exists()


def test_an_office_file_whose_members_are_marked_encrypted_is_refused_not_a_500(client, draft, quito):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    data = bytearray(buffer.getvalue())
    # Mark the first member "encrypted" (bit 0 of its flags) in its local and central headers:
    # zipfile then asks for a password to open it.
    data[6] |= 0x1
    data[data.index(b"PK\x01\x02") + 8] |= 0x1
    client.force_login(quito.editor)

    response = _upload(client, draft, "HC-01", name="locked.odt", content=bytes(data))

    assert response.status_code == 422
    assert not Evidence.objects.exists()
