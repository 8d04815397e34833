"""Reports are tagged, accessible PDFs (PDF/UA-1), and an Arabic report is Arabic text a reader can extract."""

import io
import re
import subprocess

import pytest
from pypdf import PdfReader

from reports import services
from reports.models import ReportJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def rendered(django_capture_on_commit_callbacks):
    def request(round, user, language) -> bytes:
        with django_capture_on_commit_callbacks(execute=True):
            job = services.report_request(round=round, user=user, language=language)
        job.refresh_from_db()
        assert job.status == ReportJob.Status.DONE, job.failure
        with job.file.open("rb") as handle:
            return handle.read()

    return request


def _structure(root) -> tuple[dict[str, int], list]:
    """How many elements of each structure type the tree holds, and the alternative text of each figure."""
    kinds: dict[str, int] = {}
    alts = []

    def walk(node):
        node = node.get_object()
        kind = node.get("/S")
        if kind:
            kinds[kind] = kinds.get(kind, 0) + 1
            if kind == "/Figure":
                alts.append(node.get("/Alt"))
        children = node.get("/K")
        children = children.get_object() if hasattr(children, "get_object") else children
        for child in children if isinstance(children, list) else [children]:
            child = child.get_object() if hasattr(child, "get_object") else child
            if hasattr(child, "keys") and child.get("/Type") not in ("/MCR", "/OBJR"):
                walk(child)

    walk(root)
    return kinds, alts


def _pdfinfo(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def test_the_report_is_a_tagged_pdf_with_its_language_title_and_structure(validated, quito, rendered, tmp_path):
    data = rendered(validated, quito.approver, "fr")

    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "fr"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])  # readers announce the title, not the file name
    info = _pdfinfo(data, tmp_path)
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert re.search(r"^Title:\s+Quito · 2025", info, re.MULTILINE)
    kinds, alts = _structure(root["/StructTreeRoot"])
    # Headings, lists, tables with header cells, and the charts as figures, each with its alternative text.
    for kind in ("/H1", "/H2", "/H3", "/L", "/LI", "/Table", "/TH", "/TD", "/Figure"):
        assert kinds.get(kind), f"no {kind} in the structure tree: {kinds}"
    assert alts and all(alt and len(str(alt)) > 10 for alt in alts), alts


def test_an_arabic_report_reads_right_to_left_and_its_text_comes_out_as_arabic(validated, quito, rendered, tmp_path):
    data = rendered(validated, quito.approver, "ar")

    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert root["/Lang"] == "ar" and bool(root["/MarkInfo"]["/Marked"])
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-l", "2", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # Words of the interface and of the catalogue, whole and in reading order (no letters split apart).
    for words in ("دليل المؤشرات", "البيانات في"):
        assert words in text, words
    arabic = sum("\u0600" <= char <= "\u06ff" for char in text)
    assert arabic > 500  # the pages are in Arabic, not in English with an Arabic title
