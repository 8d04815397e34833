"""The full report as a Word file: the PDF's content and language, read back with python-docx, and its download."""

import io
from datetime import date

import pytest
from django.urls import reverse
from docx import Document

from assessments import services as assessment_services
from indicators.models import Indicator
from plans import services as plan_services
from reports import services
from reports.models import DOCX_TYPE, ReportJob
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db

JUSTIFICATION = "The council adopted the coordination protocol in March; minutes attached."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def reviewed(draft, quito, reviewer):
    """Quito's 2025 round: HC-01 justified, lowered by the reviewer with a comment; one open action in the plan."""
    answer_everything(draft, quito.editor, level=2)
    answer(draft, "HC-01", quito.editor, level=3, justification=JUSTIFICATION, evidence_url="https://example.org/p")
    assessment_services.round_submit(round=draft, actor=quito.approver)
    hc01 = Indicator.objects.get(version=draft.version, code="HC-01")
    round = assessment_services.round_review(
        round=draft,
        actor=reviewer,
        decisions={
            hc01.pk: assessment_services.Decision(validated_level=2, comment="The protocol is not yet applied.")
        },
        action=assessment_services.ReviewAction.VALIDATE,
    )
    plan_services.action_create(
        authority=round.authority,
        origin_round=round,
        actor=quito.approver,
        title="Coordination protocol in every district",
        owner="Office of Human Mobility",
        start_date=date(2025, 1, 1),
        due_date=date(2026, 6, 30),
        targets={hc01: 3},
    )
    return round


def _word(reviewed, quito, capture, language="en") -> tuple[ReportJob, Document]:
    with capture(execute=True):
        job = services.report_request(round=reviewed, user=quito.approver, language=language, kind="docx")
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE, job.error
    with job.file.open("rb") as handle:
        return job, Document(io.BytesIO(handle.read()))


def _rows(document) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


def test_the_word_file_holds_the_headings_the_summary_sentence_the_plan_table_and_the_annex(
    reviewed, quito, django_capture_on_commit_callbacks
):
    job, document = _word(reviewed, quito, django_capture_on_commit_callbacks)

    assert job.file.name.endswith(".docx")
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert "Quito · 2025" in headings
    for heading in ("Executive summary", "Three priorities", "Scores by dimension", "Improvement plan"):
        assert heading in headings, heading
    assert any(h.startswith("HC-01 ") for h in headings)  # the annex: one heading per indicator
    text = "\n".join(p.text for p in document.paragraphs)
    headline = reviewed.snapshot.validated_headline
    assert f"In 2025, Quito scores {headline:.1f} out of 100 on policy coherence" in text

    rows = _rows(document)
    plan_header = next(row for row in rows if row[:2] == ["Action", "Owner"])
    assert plan_header[2:4] == ["Due date", "Status"]
    assert any(
        row[0].startswith("Coordination protocol in every district") and row[1] == "Office of Human Mobility"
        for row in rows
    )
    assert ["Justification", JUSTIFICATION] in rows  # HC-01's annex row
    assert any(row[0] == "Evidence" and "https://example.org/p" in row[1] for row in rows)
    assert "Reviewer: The protocol is not yet applied." in text
    dimension_rows = [row for row in rows if row and row[0].startswith("HC ")]
    assert dimension_rows, "the scores by dimension as a table"


def test_the_word_file_is_in_the_requested_language(reviewed, quito, django_capture_on_commit_callbacks):
    job, document = _word(reviewed, quito, django_capture_on_commit_callbacks, language="es")

    hc01 = Indicator.objects.get(version=reviewed.version, code="HC-01")
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert f"HC-01 {hc01.question_es}" in headings and f"HC-01 {hc01.question_en}" not in headings
    assert document.core_properties.language == "es" and job.language == "es"


def test_the_word_file_downloads_with_its_content_type_and_an_attachment_name(
    client, reviewed, quito, django_capture_on_commit_callbacks
):
    job, _document = _word(reviewed, quito, django_capture_on_commit_callbacks)
    client.force_login(quito.editor)

    response = client.get(reverse("report_download", args=[job.pk]))

    assert response["Content-Type"] == DOCX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="coherence-quito-2025-en.docx"'
    assert Document(io.BytesIO(b"".join(response.streaming_content))).paragraphs
