"""Evidence files and links: accepted by content, refused clearly, stored safely, served as attachments."""

import io
import zipfile

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
        ("m.pdf", PDF),
        ("p.png", PNG),
        ("p.JPG", JPEG),
        ("d.docx", DOCX),
        ("s.xlsx", _xlsx()),
        ("t.odt", ODT),
        ("s.ods", ODS),
    ],
)
def test_accepted_file_types_are_stored_under_a_generated_name(client, draft, quito, tmp_path, name, content):
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", name=name, content=content)
    assert response.status_code == 200
    evidence = Evidence.objects.get()
    assert evidence.filename == name
    assert name not in evidence.file.name and evidence.file.name.startswith(f"evidence/{draft.pk}/")
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


def test_a_file_over_the_size_limit_is_refused(client, draft, quito, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", name="big.pdf", content=PDF + b"0" * 2000)
    assert response.status_code == 422
    assert "the limit is 1000" in response.content.decode()
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.org/x", "not a link"])
def test_only_http_links_are_accepted(client, draft, quito, url):
    client.force_login(quito.editor)
    response = _upload(client, draft, "HC-01", url=url)
    assert response.status_code == 422
    assert not Evidence.objects.exists()


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
