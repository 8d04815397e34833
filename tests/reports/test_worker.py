"""A real Celery worker, fed through Redis, renders a report; a killed one is noticed by its silent heartbeat.

Needs PostgreSQL (the worker, another process, must see the test database) and REDIS_URL. In CI
both are there and a missing one fails the run (tests/conftest.py); elsewhere these tests skip.
"""

import signal
import time

import pytest
from django.db.models import F
from django.urls import reverse

from reports import services
from reports.models import ReportJob
from tests.conftest import wait_until

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_renders_a_requested_report(worker, validated, quito):
    job = services.report_request(round=validated, user=quito.approver, language="en")  # queued on commit

    done = wait_until(
        lambda: ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.DONE).first(), 120, "the report"
    )
    assert done.file.name.endswith(".pdf") and done.started_at <= done.finished_at
    with done.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_a_job_rendering_longer_than_the_heartbeat_window_is_not_taken_for_dead(
    client, start_worker, validated, quito, settings
):
    start_worker(REPORT_HEARTBEAT_SECONDS="0.3")
    settings.REPORT_HEARTBEAT_TIMEOUT = 1.5  # a cold render (Chromium, WeasyPrint) takes several seconds
    client.force_login(quito.approver)
    client.post(reverse("report_request", args=[validated.pk]), {"language": "en"})
    job = ReportJob.objects.get()

    def finished():
        client.get(reverse("report_status", args=[job.pk]))  # each poll sweeps the dead
        return ReportJob.objects.exclude(status__in=ReportJob.IN_FLIGHT).filter(pk=job.pk).first()

    job = wait_until(finished, 120, "the report")
    assert job.status == ReportJob.Status.DONE, job.get_failure_display()
    assert job.heartbeat_at > job.started_at


def test_a_job_killed_with_its_worker_fails_within_the_heartbeat_window_and_can_be_asked_again(
    client, start_worker, validated, quito, settings
):
    worker = start_worker(REPORT_HEARTBEAT_SECONDS="0.3")
    settings.REPORT_HEARTBEAT_TIMEOUT = 2
    client.force_login(quito.approver)
    request = reverse("report_request", args=[validated.pk])
    client.post(request, {"language": "fr"})
    job = ReportJob.objects.get()
    wait_until(
        lambda: ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.RUNNING, heartbeat_at__gt=F("started_at")),
        60,
        "the worker's heartbeat while it renders",
    )
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    killed = time.monotonic()

    status = reverse("report_status", args=[job.pk])
    page = wait_until(lambda: _failed(client.get(status).content.decode()), 20, "the page to say the report failed")
    assert time.monotonic() - killed < 8  # the heartbeat window (2 s) and the polling, not REPORT_STALE_SECONDS
    assert "The report worker stopped before finishing" in page and "Try again</button>" in page
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED and job.failure == ReportJob.Failure.STALE

    again = client.post(request, {"language": "fr"}, headers={"HX-Request": "true"})
    assert again.status_code == 200 and "Waiting for a worker" in again.content.decode()
    assert ReportJob.objects.in_flight().get().pk != job.pk


def _failed(page: str) -> str | None:
    return page if "The report failed." in page else None
