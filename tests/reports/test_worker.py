"""A real Celery worker, fed through Redis, renders a report; a killed one is noticed by its silent heartbeat.

Needs PostgreSQL (the worker, another process, must see the test database) and REDIS_URL. In CI
both are there and a missing one fails the run (tests/conftest.py); elsewhere these tests skip.
"""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

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


def test_a_job_killed_with_its_worker_fails_once_its_heartbeat_is_older_than_the_window_and_can_be_asked_again(
    client, start_worker, validated, quito, settings
):
    # The worker hangs in the render (tests/reports/stuck_render.py), beating, until it is killed;
    # then the test moves this process's clock instead of waiting for the window to pass.
    worker = start_worker(REPORT_HEARTBEAT_SECONDS="0.2", CELERY_WORKER_INCLUDE="tests.reports.stuck_render")
    settings.REPORT_HEARTBEAT_TIMEOUT = 60
    settings.REPORT_STALE_SECONDS = 3600
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
    job.refresh_from_db()
    last_beat = job.heartbeat_at
    status = reverse("report_status", args=[job.pk])

    with _clock_at(last_beat + timedelta(seconds=50)):  # within the window: still rendering, for all we know
        assert "The report failed." not in client.get(status).content.decode()
        assert ReportJob.objects.get(pk=job.pk).status == ReportJob.Status.RUNNING
    with _clock_at(last_beat + timedelta(seconds=70)):  # past the window, long before REPORT_STALE_SECONDS
        page = client.get(status).content.decode()
        assert "The report worker stopped before finishing" in page and "Try again</button>" in page
        job.refresh_from_db()
        assert job.status == ReportJob.Status.FAILED and job.failure == ReportJob.Failure.STALE

        again = client.post(request, {"language": "fr"}, headers={"HX-Request": "true"})
        assert again.status_code == 200 and "Waiting for a worker" in again.content.decode()
        assert ReportJob.objects.in_flight().get().pk != job.pk


@contextmanager
def _clock_at(moment: datetime) -> Iterator[None]:
    """Make this process's ``timezone.now()`` say ``moment``; the killed worker's clock no longer matters."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
