"""The two-page brief: exactly two A4 pages in every language, rendered by the worker like the full report;
documents of one round are told apart by their kind; public profiles get documents of published rounds only."""

import io
import re
import subprocess
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from assessments import services as assessment_services
from indicators.models import Indicator, IndicatorExample
from plans import services as plan_services
from reports import services
from reports.context import report_context
from reports.models import ReportJob
from reports.rendering import html_to_pdf
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db

A4 = (595, 842)  # points, rounded
LANGUAGES = ("en", "fr", "es", "ar")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _long(words: str, length: int) -> str:
    """A text of ``length`` characters made of real-looking words (as long as the longest of the demo's)."""
    return (words * (length // len(words) + 1))[:length].rstrip() + "."


def _pages(pdf: bytes) -> list:
    return PdfReader(io.BytesIO(pdf)).pages


def _lengthen_priorities(round, codes: list[str]) -> None:
    """The longest texts the brief may show: questions, suggestions and two examples per indicator, in every language."""
    for code in codes:
        fields = {}
        for language in LANGUAGES:
            fields[f"question_{language}"] = _long(f"Does the municipality ({language}) coordinate its services ", 258)
            fields[f"suggestion_{language}"] = _long(f"Set up an interdepartmental committee ({language}) with ", 600)
        Indicator.objects.filter(version=round.version, code=code).update(**fields)
        indicator = Indicator.objects.get(version=round.version, code=code)
        indicator.examples.all().delete()
        for order in range(3):
            IndicatorExample.objects.create(
                indicator=indicator,
                order=order,
                place=_long("Calabarzon and Bicol, Philippines ", 90),
                **{
                    f"text_{language}": _long("The committees on migration and development sit within ", 450)
                    for language in LANGUAGES
                },
            )


@pytest.fixture
def weakest_priorities(draft, quito):
    """A draft whose three priorities are its weakest indicators, each with the longest texts."""
    answer_everything(draft, quito.editor, level=3)
    codes = ["HC-01", "VC-02", "SP-03"]
    for code in codes:
        answer(draft, code, quito.editor, level=0)
    _lengthen_priorities(draft, codes)
    return draft


@pytest.fixture
def plan_priorities(validated, quito):
    """A validated round whose three priorities are open actions with the longest titles and owners."""
    codes = ["HC-01", "VC-02", "SP-03"]
    _lengthen_priorities(validated, codes)
    indicators = {i.code: i for i in Indicator.objects.filter(version=validated.version)}
    for n, code in enumerate(codes):
        plan_services.action_create(
            authority=validated.authority,
            origin_round=validated,
            actor=quito.approver,
            title=_long(f"Action {n}: a firewall between social services and immigration enforcement ", 199),
            owner=_long("Directorate of Social Services and Human Mobility ", 199),
            start_date=date(2025, 1, 1),
            due_date=date(2026, 3 + n, 1),
            targets={indicators[code]: 3, indicators["DE-01"]: 3},
        )
    return validated


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("source", ["weakest_priorities", "plan_priorities"])
def test_the_brief_is_exactly_two_a4_pages_in_every_language_even_with_the_longest_texts(
    request, source, language, tmp_path
):
    round = request.getfixturevalue(source)

    html, _fingerprint = services.render_brief_html(round, language)
    pages = _pages(html_to_pdf(html))

    assert len(pages) == 2
    assert all((round_size(page.mediabox.width), round_size(page.mediabox.height)) == A4 for page in pages)
    first, second = _page_texts(html_to_pdf(html), tmp_path, 2)
    assert "Quito · 2025" in first and "HC-01" not in first  # page 1: the summary, no priority
    assert {"HC-01", "VC-02", "SP-03"} <= set(re.findall(r"[A-Z]{2}-\d{2}", second))  # page 2: the three priorities
    # ... down to its last line, the report's fingerprint: nothing was cut at the page's foot.
    assert report_context(round, language, charts=None)["fingerprint"][:16] in second.replace("\n", "")
    assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in html


def _page_texts(pdf: bytes, folder, count: int) -> list[str]:
    """Each page's text as pdftotext reads it (in reading order, Arabic included)."""
    path = folder / "brief.pdf"
    path.write_bytes(pdf)
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        for n in range(1, count + 1)
    ]


def round_size(value) -> int:
    return round(float(value))


def test_the_brief_cuts_a_priority_text_longer_than_the_page_holds_and_says_so_with_an_ellipsis(weakest_priorities):
    html, _fingerprint = services.render_brief_html(weakest_priorities, "en")

    suggestion = Indicator.objects.get(version=weakest_priorities.version, code="HC-01").suggestion
    assert len(suggestion) > services.BRIEF_LIMITS["suggestion"]
    assert suggestion not in html and suggestion[:100] in html and "…" in html


def _render_on_commit(django_capture_on_commit_callbacks, **request) -> ReportJob:
    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(**request)
    job.refresh_from_db()
    return job


def test_a_brief_job_is_rendered_in_process_stored_as_a_pdf_and_reused_while_its_inputs_stand(
    validated, quito, django_capture_on_commit_callbacks
):
    job = _render_on_commit(
        django_capture_on_commit_callbacks, round=validated, user=quito.approver, language="fr", kind="brief"
    )

    assert job.status == ReportJob.Status.DONE and job.kind == ReportJob.Kind.BRIEF
    assert job.file.name.endswith(".pdf")
    with job.file.open("rb") as handle:
        assert len(_pages(handle.read())) == 2
    again = services.report_request(round=validated, user=quito.editor, language="fr", kind="brief")
    assert again.pk == job.pk
    full = services.report_request(round=validated, user=quito.editor, language="fr")  # another document
    assert full.pk != job.pk and full.kind == ReportJob.Kind.FULL
    assert job.fingerprint != services.document_fingerprint(job.fingerprint, "docx")


def test_one_job_in_flight_per_document_the_full_report_and_the_brief_wait_side_by_side(
    draft, quito, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # no worker takes them
        full = services.report_request(round=draft, user=quito.editor, language="en")
        brief = services.report_request(round=draft, user=quito.editor, language="en", kind="brief")
        brief_again = services.report_request(round=draft, user=quito.approver, language="en", kind="brief")

    assert full.pk != brief.pk and brief_again.pk == brief.pk
    assert ReportJob.objects.in_flight().count() == 2
    assert full.fingerprint != brief.fingerprint  # the fingerprint says which document it is


def test_the_brief_downloads_with_its_own_name_and_the_panel_shows_each_job_with_its_kind(
    client, validated, quito, django_capture_on_commit_callbacks
):
    client.force_login(quito.approver)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("report_request", args=[validated.pk]),
            {"language": "en", "kind": "brief"},
            headers={"HX-Request": "true"},
        )
    assert "Two-page brief (PDF) · English" in response.content.decode()
    job = ReportJob.objects.get(kind="brief")

    download = client.get(reverse("report_download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="coherence-quito-2025-brief-en.pdf"'
    panel = client.get(reverse("report_panel", args=[validated.pk])).content.decode()
    for value in ("full", "brief", "docx"):
        assert f'<label class="form-check-label" for="report-kind-{value}">' in panel
    assert 'id="report-job-brief"' in panel and "Download the brief (PDF)" in panel


def test_an_unknown_document_asked_for_is_the_full_report(client, draft, quito, django_capture_on_commit_callbacks):
    client.force_login(quito.editor)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("report_request", args=[draft.pk]), {"language": "en", "kind": "../../etc"})
    assert ReportJob.objects.get().kind == ReportJob.Kind.FULL


# --- public_report: what a public profile may ask for ---------------------------------------------------


def test_public_report_refuses_a_round_that_is_not_published(draft, validated, quito):
    assert not validated.publication_consent
    for round in (validated, draft):
        with pytest.raises(ValueError):
            services.public_report(round, kind="brief", language="en")
    assert not ReportJob.objects.exists()


def test_public_report_of_a_published_round_asks_once_and_a_second_call_returns_the_same_job(
    validated, quito, django_capture_on_commit_callbacks
):
    published = assessment_services.round_set_consent(round=validated, actor=quito.approver, consent=True)

    with django_capture_on_commit_callbacks(execute=False):
        first = services.public_report(published, kind="brief", language="es")
        second = services.public_report(published, kind="brief", language="es")
    assert first.pk == second.pk and first.requested_by is None and first.in_flight

    services.report_render(job=first)
    done = services.public_report(published, kind="brief", language="es")
    assert done.pk == first.pk and done.status == ReportJob.Status.DONE
    with pytest.raises(ValueError):
        services.public_report(published, kind="spreadsheet", language="es")
    with pytest.raises(ValueError):
        services.public_report(published, kind="brief", language="xx")
