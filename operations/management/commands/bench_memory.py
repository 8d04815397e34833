"""Memory: a gunicorn worker's RSS after 100 and after 10,000 requests; a Celery worker's peak RSS while
it renders the full report (about 20 pages).

On a PostgreSQL database of its own (made and dropped here), as production runs them (DEBUG=0,
static files collected): one gunicorn sync worker serves a mix of the pages people wait on, asked
two at a time by an editor and a reviewer, and its RSS is read from /proc after 100 requests and
at checkpoints up to 10,000 (goal: at most 1.2× the figure at 100). Then a real Celery worker
(``celery -A coherence_site worker``, one process, the broker at BENCH_REDIS_URL) renders the full
report of a fully answered validated round (the round ``bench_reports`` builds), asked for as the
report page asks (``report_request``, from another process so that it goes through the broker); its
process tree is sampled every 50 ms: peak RSS of the whole tree, of the Python processes and of
kaleido's Chromium apart (RSS counts shared pages in each process; PSS shares them out). A
benchmark: it never fails for being slow or large.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import override_settings

from indicators.models import CatalogueVersion
from operations import benchprocs
from operations.loadtest import ROUND_LINK, Browser, Load, is_error
from operations.management.commands.bench_load import prepare
from reports.management.commands.bench_reports import Command as ReportsBench
from reports.models import ReportJob

GOAL_RATIO = 1.2
CHECKPOINTS = (100, 1_000, 2_500, 5_000, 10_000)
REQUEST_REPORT = """
from django.contrib.auth import get_user_model
from assessments.models import Round
from reports.services import report_request
round = Round.objects.get(pk={round})
job = report_request(round=round, user=get_user_model().objects.get(username="{user}"), language="en")
print("JOB", job.pk)
"""


class Command(BaseCommand):
    help = "Memory of a gunicorn worker over 10,000 requests and of a Celery worker rendering the full report."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=10_000, help="Requests to the gunicorn worker (10,000).")
        parser.add_argument(
            "--redis-url",
            default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"),
            help="The Celery worker's broker (BENCH_REDIS_URL; default redis://127.0.0.1:6379/6).",
        )
        parser.add_argument("--skip-celery", action="store_true")
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, requests, redis_url, skip_celery, seed, **options):
        if CatalogueVersion.objects.current() is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        if connection.vendor != "postgresql":
            self.stdout.write("bench_memory serves the app on PostgreSQL as production does: skipped on SQLite.")
            return
        if not skip_celery and not redis_answers(redis_url):
            self.stdout.write(f"Redis does not answer at {redis_url}: the Celery worker's part is skipped.")
            skip_celery = True
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, benchprocs.scratch_database("memrun") as url:
            workdir = Path(tmp)
            password = os.urandom(12).hex()
            people, reviewers = prepare(1, 1, 10, password, random.Random(seed))
            # The report's round, as bench_reports builds it (services: answers, evidence, review, validation);
            # the mails its events write go nowhere, and their in-process tasks (memory:// broker) say nothing.
            logging.disable(logging.WARNING)
            try:
                with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                    report_round = ReportsBench(stdout=io.StringIO()).build_rounds(random.Random(seed))
            finally:
                logging.disable(logging.NOTSET)
            env = benchprocs.production_env(database_url=url, workdir=workdir)
            benchprocs.collectstatic(env)
            self.gunicorn(env, workdir, people[0], reviewers[0], password, requests)
            if skip_celery:
                return
            self.celery(
                benchprocs.production_env(database_url=url, workdir=workdir, redis_url=redis_url),
                workdir,
                report_round,
            )

    def gunicorn(self, env, workdir: Path, official, reviewer: str, password: str, requests: int) -> None:
        port = benchprocs.free_port()
        args = benchprocs.gunicorn_args(port, 1, workdir / "access-memory.log")
        log = workdir / "gunicorn-memory.log"
        with benchprocs.started(args, env=env, log=log, ready=benchprocs.http_ready(port)) as server:
            (worker,) = benchprocs.children(server.pid)
            base = f"http://{benchprocs.HOST}:{port}"
            start = time.perf_counter()
            readings, errors = asyncio.run(
                page_mix(base, official, reviewer, password, requests, lambda: benchprocs.rss_kib(worker))
            )
            elapsed = time.perf_counter() - start
        self.stdout.write(
            f"gunicorn, 1 sync worker, DEBUG=0: {requests} requests of a page mix in {elapsed:.0f} s"
            f" ({errors} errors); the worker's RSS:"
        )
        for count, kib in readings.items():
            self.stdout.write(f"  after {count:>6} requests: {kib / 1024:7.1f} MiB")
        if 100 in readings and readings:
            last = max(readings)
            ratio = readings[last] / readings[100]
            verdict = "PASS" if ratio <= GOAL_RATIO else "ABOVE"
            self.stdout.write(f"ratio after {last} / after 100: {ratio:.2f} (goal <= {GOAL_RATIO}: {verdict})")

    def celery(self, env, workdir: Path, round) -> None:
        log = workdir / "celery.log"
        args = [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "coherence_site",
            "worker",
            "-l",
            "info",
            "--concurrency",
            "1",
            "-n",
            f"bench-memory-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with benchprocs.started(args, env=env, log=log, ready=benchprocs.log_says(log, " ready.")) as worker:
            time.sleep(1)
            idle = sum(benchprocs.rss_kib(pid) for pid in benchprocs.process_tree(worker.pid))
            asker = round.authority.memberships.get(role="approver").user.username
            output = benchprocs.manage(env, "shell", "-c", REQUEST_REPORT.format(round=round.pk, user=asker))
            job_pk = int(output.split("JOB", 1)[1].split()[0])
            start = time.perf_counter()
            peaks = {"tree": 0, "python": 0, "chromium": 0, "tree_pss": 0, "chromium_count": 0}
            status = ReportJob.Status.PENDING
            while time.perf_counter() - start < 600:
                sample = tree_memory(worker.pid)
                for key, value in sample.items():
                    peaks[key] = max(peaks[key], value)
                status = ReportJob.objects.values_list("status", flat=True).get(pk=job_pk)
                if status in (ReportJob.Status.DONE, ReportJob.Status.FAILED):
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            hwm = {
                pid: (benchprocs.command_name(pid), benchprocs.peak_rss_kib(pid))
                for pid in benchprocs.process_tree(worker.pid)
            }
        job = ReportJob.objects.get(pk=job_pk)
        if job.status != ReportJob.Status.DONE:
            self.stdout.write(self.style.WARNING(f"the report job ended {job.status}: {job.error}"))
            self.stdout.write(log.read_text(errors="replace")[-2000:])
            return
        pages = page_count(workdir / "media" / job.file.name)
        self.stdout.write(
            f"Celery worker (prefork, 1 child, DEBUG=0), full report of {round} in English:"
            f" {pages} pages in {elapsed:.1f} s (Chromium started for the charts)"
        )
        mib = lambda kib: f"{kib / 1024:.0f} MiB"  # noqa: E731
        self.stdout.write(f"  worker tree idle before: {mib(idle)} RSS")
        self.stdout.write(
            f"  peak while rendering: tree {mib(peaks['tree'])} RSS ({mib(peaks['tree_pss'])} PSS);"
            f" Python processes {mib(peaks['python'])}; Chromium {mib(peaks['chromium'])}"
            f" in {peaks['chromium_count']} processes"
        )
        self.stdout.write(
            "  high-water RSS (VmHWM) per process: "
            + ", ".join(f"{name} {mib(kib)}" for name, kib in sorted(hwm.values(), key=lambda item: -item[1]))
        )


async def page_mix(base: str, official, reviewer: str, password: str, requests: int, rss) -> tuple[dict[int, int], int]:
    """Ask ``requests`` pages, two at a time, as an editor and a reviewer; RSS readings at the checkpoints."""
    load = Load()
    async with httpx.AsyncClient(timeout=120, trust_env=False) as client:
        editor, checker = Browser(client, base, load, time.perf_counter()), Browser(client, base, load, 0)
        await editor.log_in(official.username, password)
        await checker.log_in(reviewer, password)
        queue = await checker.request("review queue", "GET", "/review/")
        submitted = sorted(set(ROUND_LINK.findall(queue.text)))
        pk = official.round_pk
        dimensions = [code for code, _indicators in official.dimensions]
        mix = [(editor, "/"), (editor, f"/rounds/{pk}/"), (editor, f"/rounds/{pk}/history/")]
        mix += [(editor, f"/rounds/{pk}/dimensions/{code}/") for code in dimensions]
        mix += [(editor, "/my-dashboard/"), (editor, "/methodology/"), (editor, "/public/")]
        mix += [(checker, "/review/"), (checker, "/dashboard/"), (checker, "/api/v1/assessments/")]
        mix += [(checker, f"/rounds/{r}/review/") for r in submitted[:3]]
        mix += [(checker, f"/api/v1/assessments/{r}/") for r in submitted[:3]]
        readings, asked, done = {}, itertools.count(1), 0

        async def lane() -> None:  # two lanes: the worker never waits for the client between requests
            nonlocal done
            for n in asked:
                if n > requests:
                    return
                browser, path = mix[n % len(mix)]
                await browser.request("page", "GET", path)
                done += 1
                if done in CHECKPOINTS or done == requests:
                    readings[done] = rss()

        await asyncio.gather(lane(), lane())
    return readings, sum(is_error(s) for s in load.samples)


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1.5, socket_timeout=1.5).ping())
    except redis.RedisError:
        return False


def is_chromium(pid: int) -> bool:
    name = benchprocs.command_name(pid).lower()
    return "chrom" in name or "headless" in name


def tree_memory(root: int) -> dict[str, int]:
    """RSS of the tree, of its Python processes and of its Chromium processes; PSS of the tree (KiB)."""
    sample = {"tree": 0, "python": 0, "chromium": 0, "tree_pss": 0, "chromium_count": 0}
    for pid in benchprocs.process_tree(root):
        kib = benchprocs.rss_kib(pid)
        sample["tree"] += kib
        sample["tree_pss"] += benchprocs.pss_kib(pid)
        if is_chromium(pid):
            sample["chromium"] += kib
            sample["chromium_count"] += 1
        else:
            sample["python"] += kib
    return sample


def page_count(path: Path) -> int | str:
    try:
        from pypdf import PdfReader
    except ImportError:
        return "?"
    return len(PdfReader(path).pages)
