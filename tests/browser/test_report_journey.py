"""A report asked for on the round page renders in a real Celery worker, shows its progress, and downloads;
then the two-page brief, asked for beside it."""

import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

RENDERING = 120_000  # ms: a cold worker, WeasyPrint and the chart images on a small machine


def test_a_requested_report_shows_its_progress_and_downloads_as_a_pdf(login, worker, validated, tmp_path):
    page = login("quito-approver")
    page.goto(f"/rounds/{validated.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quito · 2025")
    assert_accessible(page, "round page (validated)")

    page.get_by_label("Language of the report").select_option("en")
    expect(page.get_by_role("radio", name="Full report (PDF)")).to_be_checked()
    page.get_by_role("button", name="Prepare the document").click()
    job = page.locator("#report-job")
    expect(job.get_by_role("progressbar", name="Report progress")).to_be_visible()
    expect(job).to_contain_text(re.compile("Waiting for a worker|Rendering"))

    download_link = job.get_by_role("link", name="Download the PDF report")
    expect(download_link).to_be_visible(timeout=RENDERING)
    expect(job.get_by_role("progressbar")).to_have_count(0)
    assert_accessible(page, "round page (report ready)")

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == "coherence-quito-2025-en.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    reader = PdfReader(path)
    assert len(reader.pages) > 5
    text = "\n".join(sheet.extract_text() for sheet in reader.pages)
    assert "Quito" in text
    assert "HC-01" in text

    page.get_by_role("radio", name="Two-page brief (PDF)").check()
    page.get_by_role("button", name="Prepare the document").click()
    brief_link = job.get_by_role("link", name="Download the brief (PDF)")
    expect(brief_link).to_be_visible(timeout=RENDERING)
    expect(job.get_by_role("link", name="Download the PDF report")).to_be_visible()  # each document its own job
    with page.expect_download() as download_info:
        brief_link.click()
    brief = download_info.value
    assert brief.suggested_filename == "coherence-quito-2025-brief-en.pdf"
    brief.save_as(tmp_path / brief.suggested_filename)
    assert len(PdfReader(tmp_path / brief.suggested_filename).pages) == 2
