"""A real Celery worker, fed through Redis, renders a report; a killed one leaves no job running.

Needs PostgreSQL (the worker, another process, must see the test database) and REDIS_URL. In CI
both are there and a missing one fails the run (tests/conftest.py); elsewhere these tests skip.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from assessments import services as assessment_services
from coherence_site.celery import app
from reports import services
from reports.models import ReportJob
from tests.world import answer_everything

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds}s waiting for {what}")


@pytest.fixture
def worker(tmp_path, settings):
    """Start `celery worker -P solo` as a subprocess on the test database; stop it by its pid."""
    if not os.environ.get("REDIS_URL") or connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("the real-worker tests need PostgreSQL (DATABASE_URL) and REDIS_URL in CI")
        pytest.skip("needs PostgreSQL and REDIS_URL")
    settings.MEDIA_ROOT = tmp_path
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(tmp_path),
        "DEBUG": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    app.control.purge()
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "coherence_site",
            "worker",
            "-P",
            "solo",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: "ready" in (tmp_path / "worker.log").read_text(), 60, "the worker to be ready")
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


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

    done = _wait(lambda: ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.DONE).first(), 120, "the report")
    assert done.file.name.endswith(".pdf") and done.started_at <= done.finished_at
    with done.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_a_job_killed_with_its_worker_ends_failed_not_running(worker, validated, quito, settings):
    job = services.report_request(round=validated, user=quito.approver, language="fr")
    _wait(lambda: ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.RUNNING).exists(), 60, "rendering")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    settings.REPORT_STALE_SECONDS = 0  # the periodic sweep, without waiting for its hour
    services.report_sweep_stale()
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED
    assert "stopped" in job.error
