"""Reports: the PDF's content, the fingerprint, job reuse, safe rendering, and the pages."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments import services as assessment_services
from assessments.models import ReviewItem, Round, ScoreSnapshot
from assessments.sheet import answer_sheet
from reports import services
from reports.context import report_context, report_facts
from reports.models import ReportJob
from reports.rendering import BlockedFetch, static_file_for
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def rendered(django_capture_on_commit_callbacks):
    """Ask for a report and let the (in-process) task render it once the request commits."""

    def request(round, user, language="en") -> ReportJob:
        with django_capture_on_commit_callbacks(execute=True):
            job = services.report_request(round=round, user=user, language=language)
        job.refresh_from_db()
        return job

    return request


def _pdf_text(job: ReportJob) -> str:
    with job.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_holds_the_authority_the_headline_and_every_indicator(validated, quito, rendered):
    job = rendered(validated, quito.approver)
    assert job.status == ReportJob.Status.DONE

    text = _pdf_text(job)
    assert "Quito · 2025" in text
    headline = validated.snapshot.validated_headline
    assert f"{headline:.1f} · Established" in text
    for indicator in assessment_services.round_indicators(validated):
        assert indicator.code in text, indicator.code
    assert "DRAFT" not in text
    assert "Contribution to the Sustainable Development Goals" in text


def test_a_draft_report_is_watermarked_and_says_its_scores_are_not_validated(draft, quito, rendered):
    answer_everything(draft, quito.editor, level=1)
    job = rendered(draft, quito.editor)
    text = _pdf_text(job)
    assert "DRAFT" in text and "not validated" in text


def test_the_report_comes_out_in_the_requested_language(validated, quito, rendered):
    job = rendered(validated, quito.approver, "es")
    text = _pdf_text(job)
    assert "Resumen" in text or "Executive summary" in text  # interface strings follow once translated
    hc01 = validated.version.indicators.get(code="HC-01")
    assert hc01.question_es.split()[1] in text


def test_the_fingerprint_is_stable_and_changes_when_an_answer_changes(draft, quito):
    answer_everything(draft, quito.editor, level=2)
    first = report_context(draft, "en", charts=False)["fingerprint"]
    assert report_context(draft, "en", charts=False)["fingerprint"] == first
    assert report_context(draft, "fr", charts=False)["fingerprint"] != first
    answer(draft, "HC-01", quito.editor, level=3)
    assert report_context(draft, "en", charts=False)["fingerprint"] != first


def test_asking_again_returns_the_job_in_flight(draft, quito, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # no worker picks it up
        first = services.report_request(round=draft, user=quito.editor, language="en")
        again = services.report_request(round=draft, user=quito.approver, language="en")
    assert again.pk == first.pk and again.status == ReportJob.Status.PENDING
    assert ReportJob.objects.count() == 1


def test_unchanged_inputs_reuse_the_finished_report_and_a_change_makes_a_new_one(validated, quito, rendered):
    first = rendered(validated, quito.approver)
    again = services.report_request(round=validated, user=quito.editor, language="en")
    assert again.pk == first.pk
    validated.publication_consent = True  # not an input of the report
    validated.save(update_fields=["publication_consent"])
    assert services.report_request(round=validated, user=quito.editor, language="en").pk == first.pk
    assert services.report_request(round=validated, user=quito.editor, language="fr").pk != first.pk


def test_text_a_city_typed_reaches_the_pdf_only_as_text(draft, quito, rendered):
    hostile = 'See <img src="file:///etc/passwd"> and <a href="http://evil.example">file:///etc/passwd</a>'
    answer_everything(draft, quito.editor, level=1)
    answer(draft, "HC-01", quito.editor, level=1, justification=hostile)
    html, _fingerprint = services.render_report_html(draft, "en")
    assert "<img src" not in html and "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    text = _pdf_text(rendered(draft, quito.editor))
    assert "file:///etc/passwd" in text and "root:x:0:0" not in text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/x.css",
        "https://coherence.invalid/static/../../etc/passwd",
        "https://coherence.invalid/media/evidence/1/a.pdf",
        "data:text/plain,hello",
    ],
)
def test_weasyprint_may_fetch_nothing_but_the_apps_static_files(url):
    with pytest.raises(BlockedFetch):
        static_file_for(url)
    assert static_file_for("https://coherence.invalid/static/reports/report.css").name == "report.css"


def test_a_job_whose_worker_died_is_marked_failed_not_left_running(draft, quito, settings):
    job = ReportJob.objects.create(
        round=draft, language="en", requested_by=quito.editor, fingerprint="x", status=ReportJob.Status.RUNNING
    )
    ReportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=2))
    assert services.report_sweep_stale() == 1
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED and job.failure == ReportJob.Failure.STALE


def test_a_job_no_worker_took_up_fails_but_one_the_broker_never_took_waits_for_it(draft, quito):
    long_ago = timezone.now() - timedelta(hours=2)
    taken = ReportJob.objects.create(round=draft, language="en", requested_by=quito.editor, fingerprint="x")
    queued = ReportJob.objects.create(
        round=draft, language="fr", requested_by=quito.editor, fingerprint="x", status=ReportJob.Status.QUEUED
    )
    ReportJob.objects.filter(pk=taken.pk).update(created_at=long_ago, sent_at=long_ago)
    ReportJob.objects.filter(pk=queued.pk).update(created_at=long_ago)

    assert services.report_sweep_stale() == 1
    taken.refresh_from_db(), queued.refresh_from_db()
    assert taken.status == ReportJob.Status.FAILED and taken.failure == ReportJob.Failure.NOT_TAKEN_UP
    assert queued.status == ReportJob.Status.QUEUED  # sent by beat or the next request once the broker answers


def test_a_job_delivered_again_while_it_renders_is_left_to_its_worker(draft, quito):
    job = ReportJob.objects.create(
        round=draft, language="en", requested_by=quito.editor, fingerprint="x", status=ReportJob.Status.RUNNING
    )
    assert services.report_render(job=job).status == ReportJob.Status.RUNNING
    job.refresh_from_db()
    assert job.attempts == 0 and not job.file


def test_the_round_page_shows_progress_then_a_download_link(
    client, validated, quito, django_capture_on_commit_callbacks
):
    client.force_login(quito.approver)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("report_request", args=[validated.pk]), {"language": "en"})
    job = ReportJob.objects.get()
    status = client.get(reverse("report_status", args=[job.pk])).content.decode()
    assert "Waiting for a worker" in status and 'hx-trigger="every 2s"' in status

    services.report_render(job=job)
    status = client.get(reverse("report_status", args=[job.pk])).content.decode()
    assert reverse("report_download", args=[job.pk]) in status and "every 2s" not in status
    download = client.get(reverse("report_download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="coherence-quito-2025-en.pdf"'


def test_a_failed_job_shows_its_reason_and_a_retry_button(client, draft, quito):
    job = ReportJob.objects.create(
        round=draft,
        language="en",
        requested_by=quito.editor,
        fingerprint="x",
        status=ReportJob.Status.FAILED,
        failure=ReportJob.Failure.STALE,
    )
    client.force_login(quito.editor)
    body = client.get(reverse("report_status", args=[job.pk])).content.decode()
    assert "The report worker stopped" in body and "Try again</button>" in body
    client.cookies["django_language"] = "fr"
    assert "Try again" not in client.get(reverse("report_status", args=[job.pk])).content.decode()


def test_another_city_cannot_see_request_or_download_reports(client, validated, quito, rendered):
    job = rendered(validated, quito.approver)
    other = make_city("kasserine")
    client.force_login(other.approver)
    assert client.post(reverse("report_request", args=[validated.pk]), {"language": "en"}).status_code == 404
    assert client.get(reverse("report_status", args=[job.pk])).status_code == 404
    assert client.get(reverse("report_download", args=[job.pk])).status_code == 404
    assert client.get(reverse("report_preview", args=[validated.pk])).status_code == 404


def test_the_preview_shows_the_same_report_as_html(client, validated, quito):
    client.force_login(quito.editor)
    body = client.get(reverse("report_preview", args=[validated.pk]), {"language": "en"}).content.decode()
    assert (
        '<h2 id="summary-title">Executive summary</h2>' in body
        and "HC-01" in body
        and report_context(validated, "en", charts=False)["fingerprint"] in body
    )


# --- one answer sheet, and the snapshot as the only validated scores --------------------------------

# Measured before the answer sheet: 19 queries to render (answers 4 times, review items 4 times,
# indicators 3 times) and 10 for the fingerprint at request time.
# Now: the sheet (indicators with their dimensions, answers with evidence counts, review items: none to
# ask for in a draft never submitted, one query fewer),
# the evidence, SDG targets, the last status change and the trend's snapshot rows; and a validated
# round's snapshot; and the improvement plan's actions (none here: tests/reports/test_plan_section.py
# counts a plan's). The fingerprint needs the sheet, the evidence, the status, the trend and the plan.
# The executive summary (tests/reports/test_summary.py) adds the previous validated round, the peers'
# snapshots (both in the fingerprint too) and the catalogue's examples for the priorities (the draft
# here, at level 3 throughout, has no priority and needs no examples).
# Then who took part: the sheet reads the evidence other apps keep (slots.OTHER_EVIDENCE: consultations
# that discussed an indicator), and the report the round's consultations, its survey with its number of
# responses, and the survey's answers; a round with consultations adds their groups, indicators and
# dimensions, three more (tests/reports/test_participation_section.py), none here.
# Then the round's national or regional counterpart (none here); once both sides have submitted, its
# answers and the mirrored indicators, two more (tests/reports/test_counterpart_section.py).
RENDER_QUERIES = {"draft": 7 + 2 + 1 + 3 + 1, "validated": 9 + 3 + 1 + 3 + 1}
FACTS_QUERIES = 6 + 2 + 1 + 3 + 1  # of the draft: no review items to ask for


def _loaded(round: Round) -> Round:
    """The round as the worker and the preview load it."""
    return Round.objects.select_related("authority", "version").get(pk=round.pk)


def _validate_earlier(quito, reviewer, level: int) -> Round:
    earlier = assessment_services.round_create(authority=quito.authority, period="2023", actor=quito.approver)
    answer_everything(earlier, quito.editor, level=level)
    assessment_services.round_submit(round=earlier, actor=quito.approver)
    return assessment_services.round_review(
        round=earlier, actor=reviewer, decisions={}, action=assessment_services.ReviewAction.VALIDATE
    )


@pytest.mark.parametrize("earlier_rounds", [0, 1])
def test_the_report_reads_a_round_in_an_exact_number_of_queries(
    validated, quito, reviewer, django_assert_num_queries, earlier_rounds
):
    if earlier_rounds:
        _validate_earlier(quito, reviewer, level=1)
    draft = assessment_services.round_create(authority=quito.authority, period="2026", actor=quito.approver)
    answer_everything(draft, quito.editor, level=3)

    validated, draft = _loaded(validated), _loaded(draft)

    with django_assert_num_queries(RENDER_QUERIES["validated"]):
        context = report_context(validated, "en", charts=None)
    assert len([row for section in context["sections"] for row in section["rows"]]) == 36
    with django_assert_num_queries(RENDER_QUERIES["draft"]):
        report_context(draft, "en", charts=None)
    with django_assert_num_queries(FACTS_QUERIES):
        report_facts(draft)


def test_a_validated_reports_scores_and_trend_come_from_snapshots_never_a_live_score(validated, quito, reviewer):
    _validate_earlier(quito, reviewer, level=1)
    # A change after validation moves the live score (to 100); no reader of the round may show it.
    ReviewItem.objects.filter(round=validated).update(validated_level=4)

    context = report_context(_loaded(validated), "en", charts="figures")

    snapshot = ScoreSnapshot.objects.get(round=validated)
    assert validated.scores()["validated"].headline == 100
    assert context["official"] == snapshot.scores()["validated"]
    assert context["official"].headline == snapshot.validated_headline == 50
    assert [row["validated"].score for row in context["score_rows"]] == [50] * 6
    trend = {trace["name"]: trace for trace in context["trend_figure"]["data"]}
    names = [d.name for d in answer_sheet(validated).dimensions]
    assert list(trend) == names and len(names) == 6  # dimension names in the legend, in catalogue order
    assert {tuple(t["x"]) for t in trend.values()} == {("2023", "2025")}
    assert {tuple(t["y"]) for t in trend.values()} == {(25, 50)}  # both from snapshots


def test_a_draft_reports_trend_shows_only_validated_rounds_never_its_own_live_scores(draft, quito, reviewer):
    answer_everything(draft, quito.editor, level=4)

    alone = report_context(_loaded(draft), "en", charts="figures")
    _validate_earlier(quito, reviewer, level=1)
    with_history = report_context(_loaded(draft), "en", charts="figures")

    assert alone["trend_periods"] == [] and alone["trend_figure"] is None
    assert with_history["trend_periods"] == ["2023"]
    assert {tuple(t["y"]) for t in with_history["trend_figure"]["data"]} == {(25,)}


def test_sdg_averages_leave_out_an_accepted_na_and_count_a_rejected_one_as_the_lowest_level(draft, quito, reviewer):
    answer_everything(draft, quito.editor, level=2)
    answer(draft, "HC-06", quito.editor, level=4, evidence_url="https://example.org/plan.pdf")
    answer(draft, "SP-02", quito.editor, response="na", justification="No such body here.")
    answer(draft, "HC-03", quito.editor, response="na", justification="No health mandate.")

    def averages(round: Round) -> dict[str, float | None]:
        return {
            entry["target"].code: entry["average"] for entry in report_context(_loaded(round), "en", charts=None)["sdg"]
        }

    # 10.c: HC-06 (4), SP-02 (N/A), DC-02 (2); 3.8: HC-03 (N/A) alone.
    draft_averages = averages(draft)
    assert draft_averages["10.c"] == 3.0  # counting the N/A as 0 would give 2.0
    assert draft_averages["3.8"] is None
    assert "N/A" in services.render_report_html(draft, "en", charts="figures")[0]

    assessment_services.round_submit(round=draft, actor=quito.approver)
    hc03 = draft.version.indicators.get(code="HC-03")
    validated = assessment_services.round_review(
        round=draft,
        actor=reviewer,
        decisions={hc03.pk: assessment_services.Decision(na_accepted=False, comment="The city runs clinics.")},
        action=assessment_services.ReviewAction.VALIDATE,
    )
    validated_averages = averages(validated)
    assert validated_averages["10.c"] == 3.0  # SP-02's N/A accepted: still left out
    assert validated_averages["3.8"] == 0  # HC-03's N/A rejected: it counts as the lowest level
