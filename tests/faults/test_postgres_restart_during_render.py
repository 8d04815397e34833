"""PostgreSQL restarts while reports render: every job ends done or failed with a clear reason, none stays running.

All real processes, on a PostgreSQL cluster of the test's own (tests/faults/conftest.py, never the machine's): it
is migrated and seeded through manage.py, a redis-server of the test's own is the broker, and a real Celery worker
renders the reports asked for. While the first one renders, the cluster is restarted as an operator would
(``pg_ctl restart -m fast``: every session is ended at once). Beat's sweep of stale jobs is sent to the broker as
beat sends it, every few seconds instead of every minute.
Needs the PostgreSQL server binaries, PostgreSQL, Redis and redis-server: in CI a missing one fails the test.
"""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings

from coherence_site.celery import app
from reports.models import ReportJob
from tests.conftest import wait_until
from tests.processes import manage

pytestmark = pytest.mark.real_worker

BEATS_SWEEP = settings.CELERY_BEAT_SCHEDULE["sweep-stale-report-jobs"]["task"]
KINDS, LANGUAGES = ("full", "brief", "docx"), ("en", "fr")
SEED = f"""
from django.contrib.auth.models import Group, Permission
from assessments import services
from reports.services import report_request
from tests.factories import UserFactory
from tests.world import answer_everything, make_city

reviewers, _created = Group.objects.get_or_create(name="Programme reviewers")
reviewers.permissions.add(Permission.objects.get(codename="review_round"))
reviewer = UserFactory(username="rita-reviewer", email="rita@example.org")
reviewer.groups.add(reviewers)
quito = make_city("quito")
round = services.round_create(authority=quito.authority, period="2025", actor=quito.approver)
answer_everything(round, quito.editor)
round = services.round_submit(round=round, actor=quito.approver)
round = services.round_review(round=round, actor=reviewer, decisions={{}}, action=services.ReviewAction.VALIDATE)
for language in {LANGUAGES!r}:
    for kind in {KINDS!r}:
        report_request(round=round, user=quito.approver, language=language, kind=kind)
"""
IN_FLIGHT = tuple(ReportJob.IN_FLIGHT)
FAILURES = dict(ReportJob.Failure.choices)


def test_reports_rendering_while_postgresql_restarts_end_done_or_failed_clearly_and_none_stays_running(
    postgres_cluster, broker, start_worker, tmp_path
):
    env = {**os.environ, "DATABASE_URL": postgres_cluster.url, "REDIS_URL": broker.url, "DEBUG": "1"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage(env, "migrate", "--no-input")
    manage(env, "load_catalogue")
    manage(env, "shell", "-c", SEED)  # six jobs, each offered to the broker as it commits
    assert _jobs(postgres_cluster) and all(status == "pending" for _id, status, *_rest in _jobs(postgres_cluster))

    start_worker(
        broker.url,
        DATABASE_URL=postgres_cluster.url,
        REPORT_HEARTBEAT_SECONDS="1",
        REPORT_HEARTBEAT_TIMEOUT="10",
    )
    wait_until(lambda: _count(postgres_cluster, "running"), 60, "a report to be rendering")
    started = time.monotonic()
    postgres_cluster.restart()
    restarted_in = time.monotonic() - started

    def settled():
        app.send_task(BEATS_SWEEP)  # what beat sends every minute
        time.sleep(3)
        jobs = _jobs(postgres_cluster)
        return jobs if not any(status in IN_FLIGHT for _id, status, *_rest in jobs) else None

    jobs = wait_until(settled, 240, "every report job to be done or failed")
    seen = "\n".join(map(str, jobs)) + f"\nrestart took {restarted_in:.1f}s"
    for _id, status, failure, _error, name in jobs:
        assert status in ("done", "failed"), seen
        if status == "failed":
            assert failure in FAILURES, seen  # a reason the page shows in the reader's language
        else:
            assert (Path(tmp_path) / name).read_bytes()[:4] in (b"%PDF", b"PK\x03\x04"), seen
    print(seen)


def _jobs(cluster) -> list[tuple]:
    return cluster.query("SELECT id, status, failure, error, file FROM reports_reportjob ORDER BY id")


def _count(cluster, status: str) -> int:
    return cluster.query("SELECT count(*) FROM reports_reportjob WHERE status = %s", (status,))[0][0]
