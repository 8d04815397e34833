"""A broker that hangs or stops never reaches the person: the report waits queued and is made once it is back.

Each test runs its own redis-server (tests/conftest.py `broker`) and pauses (SIGSTOP) or stops it.
Needs PostgreSQL and Redis: in CI a missing one fails the run; elsewhere these tests skip.
"""

import threading
import time

import pytest
import redis
from django.urls import reverse

from reports.models import ReportJob
from reports.tasks import sweep_stale_reports
from tests.conftest import wait_until

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

QUEUED_TEXT = "will be prepared as soon as it is back"
FEW_SECONDS = 8  # a hung broker costs about three of its 1.5 s timeouts


@pytest.fixture
def approver(client, quito):
    client.force_login(quito.approver)
    return client


def _ask(client, round, htmx: bool = False):
    started = time.monotonic()
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(reverse("report_request", args=[round.pk]), {"language": "en"}, headers=headers)
    return response, time.monotonic() - started


def _status(client, job) -> str:
    return client.get(reverse("report_status", args=[job.pk])).content.decode()


def _messages_waiting(broker) -> int:
    return redis.Redis.from_url(broker.url).llen("celery")


def test_a_report_asked_for_while_the_broker_hangs_answers_within_seconds_and_is_made_once_it_is_back(
    approver, broker, start_worker, validated
):
    broker.pause()
    unhang = threading.Timer(20, broker.resume)  # without timeouts the request would wait for ever
    unhang.start()
    response, elapsed = _ask(approver, validated, htmx=True)
    unhang.cancel()

    assert response.status_code == 200 and elapsed < FEW_SECONDS
    assert QUEUED_TEXT in response.content.decode() and 'hx-trigger="every 10s"' in response.content.decode()
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.QUEUED and job.sent_at is None

    broker.resume()
    start_worker(broker.url)
    # Redis may still deliver the publish it froze on, and the poll offers the job again: either
    # way it is rendered once.
    wait_until(lambda: "Download the PDF report" in _status(approver, job), 90, "the report")
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE and job.attempts == 1


def test_a_report_asked_for_while_the_broker_is_stopped_is_queued_and_beat_sends_it_once_it_is_back(
    approver, broker, start_worker, validated
):
    broker.stop()
    response, elapsed = _ask(approver, validated)
    page = approver.get(response.url).content.decode()

    assert response.status_code == 302 and elapsed < FEW_SECONDS
    assert QUEUED_TEXT in page
    again, elapsed = _ask(approver, validated, htmx=True)
    assert again.status_code == 200 and elapsed < FEW_SECONDS and QUEUED_TEXT in again.content.decode()
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.QUEUED

    broker.start()
    assert sweep_stale_reports() == 1  # what beat runs every minute
    job.refresh_from_db()
    assert job.status == ReportJob.Status.PENDING and job.sent_at is not None
    start_worker(broker.url)
    done = wait_until(lambda: ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.DONE).first(), 90, "report")
    with done.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_asking_again_once_the_broker_is_back_sends_the_queued_report(approver, broker, validated):
    broker.stop()
    _ask(approver, validated)
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.QUEUED

    broker.start()
    again, _elapsed = _ask(approver, validated, htmx=True)
    assert "Waiting for a worker" in again.content.decode()
    job.refresh_from_db()
    assert job.status == ReportJob.Status.PENDING and job.sent_at is not None
    assert _messages_waiting(broker) == 1 and ReportJob.objects.count() == 1


def test_the_page_polling_a_queued_report_sends_it_once_the_broker_is_back(approver, broker, validated):
    broker.stop()
    _ask(approver, validated)
    job = ReportJob.objects.get()
    started = time.monotonic()
    assert QUEUED_TEXT in _status(approver, job)  # still down: the poll answers at once, still queued
    assert time.monotonic() - started < FEW_SECONDS

    broker.start()
    assert "Waiting for a worker" in _status(approver, job)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.PENDING and _messages_waiting(broker) == 1
    _status(approver, job)  # a job the broker took is not sent twice
    assert _messages_waiting(broker) == 1


def test_after_the_broker_refused_once_the_next_pages_do_not_wait_for_it_again(approver, broker, settings, validated):
    settings.CELERY_PUBLISH_PAUSE_SECONDS = 30
    broker.pause()
    unhang = threading.Timer(20, broker.resume)
    unhang.start()
    try:
        _response, first = _ask(approver, validated, htmx=True)
        job = ReportJob.objects.get()
        started = time.monotonic()
        polled = _status(approver, job)
        again, _second = _ask(approver, validated, htmx=True)
        others = time.monotonic() - started
    finally:
        unhang.cancel()
        broker.resume()

    assert first < FEW_SECONDS
    assert others < 1, "a web worker waited on a broker that had just refused"
    assert QUEUED_TEXT in polled and QUEUED_TEXT in again.content.decode()
    job.refresh_from_db()
    assert job.status == ReportJob.Status.QUEUED  # beat sends it once the broker answers
