"""A real Celery worker, fed through Redis, renders a report; a killed one leaves no job running.

Needs PostgreSQL (the worker, another process, must see the test database) and REDIS_URL. In CI
both are there and a missing one fails the run (tests/conftest.py); elsewhere these tests skip.
"""

import signal

import pytest

from assessments import services as assessment_services
from reports import services
from reports.models import ReportJob
from tests.conftest import wait_until
from tests.world import answer_everything

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def validated(catalogue, quito, reviewer):
    round = assessment_services.round_create(authority=quito.authority, period="2025", actor=quito.approver)
    answer_everything(round, quito.editor)
    assessment_services.round_submit(round=round, actor=quito.approver)
    return assessment_services.round_review(
        round=round, actor=reviewer, decisions={}, action=assessment_services.ReviewAction.VALIDATE
    )


def test_a_real_worker_renders_a_requested_report(worker, validated, quito):
    job = services.report_request(round=validated, user=quito.approver, language="en")  # queued on commit

    done = wait_until(
        lambda: ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.DONE).first(), 120, "the report"
    )
    assert done.file.name.endswith(".pdf") and done.started_at <= done.finished_at
    with done.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_a_job_killed_with_its_worker_ends_failed_not_running(worker, validated, quito, settings):
    job = services.report_request(round=validated, user=quito.approver, language="fr")
    wait_until(lambda: ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.RUNNING).exists(), 60, "rendering")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    settings.REPORT_STALE_SECONDS = 0  # the periodic sweep, without waiting for its hour
    services.report_sweep_stale()
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED
    assert job.failure == ReportJob.Failure.STALE
