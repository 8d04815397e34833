"""Load: simulated officials autosaving and reviewers browsing, against gunicorn as production runs it.

On a PostgreSQL database of its own (made, migrated and dropped here, so no other bench sees its
rows): 50 authorities, each with an official (an editor) whose round is a draft, and 5 programme
reviewers with submitted rounds to look at. gunicorn serves the app with 4 sync workers and
DEBUG=0 (static files collected into a temporary folder). Everyone logs in through the log-in
form; then, for 60 s, each official changes an answer every ~2 s (think time) and lets it autosave
as the browser does, and each reviewer browses the review queue, a round, its review page and the
dashboard (operations/loadtest.py). Printed: requests, errors (409s apart, with why), p50/p95/p99
per kind as the client saw them and as gunicorn's access log timed them, throughput, and the
workers' CPU per request. Then every official's final answers in the database are compared with
the last value they sent: a mismatch is a correctness failure, and the command exits non-zero.
A benchmark: it never fails for being slow.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import tempfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from assessments.forms import AnswerForm
from assessments.models import Answer, Authority, Evidence, Membership, Round, StatusEvent
from coherence_site.bench import analyze, vacuum
from indicators.models import CatalogueVersion
from operations import benchprocs
from operations.loadtest import Official, is_error, percentiles, run_load, summary

GOAL_P95_MS = 300
PERIOD = "2025"
# Server-side kinds, from the access log's paths (the client's kinds, for comparison).
KINDS = [
    (re.compile(r"^/rounds/\d+/answers/[^/]+/$"), "autosave"),
    (re.compile(r"^/rounds/\d+/dimensions/[^/]+/$"), "form page"),
    (re.compile(r"^/rounds/\d+/review/$"), "review page"),
    (re.compile(r"^/rounds/\d+/$"), "round page"),
    (re.compile(r"^/review/$"), "review queue"),
    (re.compile(r"^/dashboard/$"), "dashboard"),
]


class Command(BaseCommand):
    help = "Load: officials autosaving and reviewers browsing against gunicorn (4 workers, DEBUG=0) on PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--officials", type=int, default=50)
        parser.add_argument("--reviewers", type=int, default=5)
        parser.add_argument("--submitted", type=int, default=20, help="Submitted rounds for the reviewers (20).")
        parser.add_argument("--seconds", type=float, default=60)
        parser.add_argument("--think", type=float, default=2.0, help="Mean think time between actions (2 s).")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4).")
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, officials, reviewers, submitted, seconds, think, workers, seed, **options):
        vacuum()  # earlier benches' dead rows out of the planner's way, as autovacuum keeps production's
        if CatalogueVersion.objects.current() is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        if connection.vendor != "postgresql":
            self.stdout.write("bench_load serves the app on PostgreSQL as production does: skipped on SQLite.")
            return
        with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp, benchprocs.scratch_database("loadrun") as url:
            workdir = Path(tmp)
            password = os.urandom(12).hex()
            people, reviewer_names = prepare(officials, reviewers, submitted, password, random.Random(seed))
            env = benchprocs.production_env(database_url=url, workdir=workdir)
            benchprocs.collectstatic(env)
            port = benchprocs.free_port()
            access = workdir / "access.log"
            args = benchprocs.gunicorn_args(port, workers, access)
            self.stdout.write(
                f"{officials} officials (think time {think:g} s) and {reviewers} reviewers for {seconds:g} s;"
                f" gunicorn {workers} sync workers, DEBUG=0, PostgreSQL; {os.cpu_count()} cores shared with the client"
            )
            with benchprocs.started(
                args, env=env, log=workdir / "gunicorn.log", ready=benchprocs.http_ready(port)
            ) as server:
                tree = benchprocs.process_tree(server.pid)
                marks = {}
                logged = access.stat().st_size if access.exists() else 0
                load = asyncio.run(
                    run_load(
                        f"http://{benchprocs.HOST}:{port}",
                        officials=people,
                        reviewers=reviewer_names,
                        password=password,
                        seconds=seconds,
                        pause=think,
                        seed=seed,
                        at_start=lambda: marks.update(cpu=cpu(tree)),
                    )
                )
                used = {name: end - marks["cpu"][name] for name, end in cpu(tree).items()}
            self.report(load, access, logged, used)
            mismatches = verify(people)
        self.verdict(people, mismatches)

    def report(self, load, access: Path, offset: int, cpu: dict[str, float]) -> None:
        logins = load.logins
        self.stdout.write(
            f"log-ins and first form pages (before the clock): {len(logins)} requests, {sum(is_error(s) for s in logins)} errors,"
            f" p95 {percentiles([s.ms for s in logins])[1]:.0f} ms"
        )
        self.stdout.write("as the client saw them (queueing included):")
        for line in summary(load.samples, load.seconds):
            self.stdout.write("  " + line)
        samples = load.samples
        p95 = percentiles([s.ms for s in samples])[1]
        errors = sum(is_error(s) for s in samples)
        verdict = "PASS" if errors == 0 and p95 <= GOAL_P95_MS else "MISSED"
        self.stdout.write(f"goal: 0 errors and p95 <= {GOAL_P95_MS} ms: {errors} errors, p95 {p95:.0f} ms: {verdict}")
        served = server_times(access, offset)
        if served:
            self.stdout.write("as gunicorn timed them (access log, the measured window and log-ins):")
            for kind, times in sorted(served.items()):
                p50, p95, p99 = percentiles(times)
                self.stdout.write(f"  {kind:<14} {len(times):>6}  p50 {p50:>5.0f}  p95 {p95:>5.0f}  p99 {p99:>5.0f} ms")
        if samples:
            seconds, cores = load.seconds, os.cpu_count()
            self.stdout.write(
                f"CPU in the measured window: gunicorn {cpu['gunicorn']:.1f} s"
                f" ({cpu['gunicorn'] * 1000 / len(samples):.1f} ms per request), PostgreSQL {cpu['postgres']:.1f} s,"
                f" this client {cpu['client']:.1f} s; the whole machine {cpu['machine'] / seconds:.2f} of {cores} cores"
                f" busy ({cpu['machine'] - cpu['gunicorn'] - cpu['postgres'] - cpu['client']:.1f} s in other processes)"
            )

    def verdict(self, people: list[Official], mismatches: list[str]) -> None:
        checked = sum(len(o.sent) for o in people)
        if mismatches:
            self.stdout.write(
                self.style.ERROR(f"final answers: {len(mismatches)} of {checked} differ from the last value sent:")
            )
            for line in mismatches[:20]:
                self.stdout.write("  " + line)
            raise CommandError("CORRECTNESS FAILURE: the database does not hold the last answers the officials sent.")
        self.stdout.write(
            f"final answers: all {checked} answers of {len(people)} officials equal the last value each sent: OK"
        )


def prepare(
    officials: int, reviewers: int, submitted: int, password: str, rng: random.Random
) -> tuple[list[Official], list[str]]:
    """Officials with draft rounds (half answered), reviewers with submitted rounds; bulk writes."""
    version = CatalogueVersion.objects.current()
    indicators = list(version.indicators.select_related("dimension").order_by("dimension__order", "order"))
    User = get_user_model()
    hashed = make_password(password)  # one hash for everyone: hashing is slow on purpose

    def person(username: str):
        return User(username=username, password=hashed, first_name=username, email=f"{username}@example.org")

    editors = User.objects.bulk_create(person(f"load-official-{n:03d}") for n in range(officials))
    approver, *checkers = User.objects.bulk_create(
        [person("load-approver"), *(person(f"load-reviewer-{n}") for n in range(reviewers))]
    )
    review = Permission.objects.get(content_type__app_label="assessments", codename="review_round")
    User.user_permissions.through.objects.bulk_create(
        User.user_permissions.through(user_id=user.pk, permission_id=review.pk) for user in checkers
    )
    authorities = Authority.objects.bulk_create(
        Authority(
            name=f"Load City {n:03d}",
            slug=f"load-{n:03d}",
            kind=Authority.Kind.MUNICIPALITY,
            country=f"Country {n % 7}",
            region=f"Region {n % 4}",
        )
        for n in range(officials + submitted)
    )
    memberships = [
        Membership(user=e, authority=a, role=Membership.Role.EDITOR) for e, a in zip(editors, authorities, strict=False)
    ]
    memberships += [Membership(user=approver, authority=a, role=Membership.Role.APPROVER) for a in authorities]
    Membership.objects.bulk_create(memberships)
    now = timezone.now()
    S = Round.Status
    rounds = Round.objects.bulk_create(
        Round(
            authority=a,
            version=version,
            period=PERIOD,
            status=S.DRAFT if n < officials else S.SUBMITTED,
            submission_count=0 if n < officials else 1,
            submitted_at=None if n < officials else now - timedelta(days=n),
        )
        for n, a in enumerate(authorities)
    )
    events = [StatusEvent(round=r, to_status=S.DRAFT, actor=approver) for r in rounds]
    events += [
        StatusEvent(round=r, from_status=S.DRAFT, to_status=S.SUBMITTED, actor=approver) for r in rounds[officials:]
    ]
    StatusEvent.objects.bulk_create(events)
    answers = []
    for n, round in enumerate(rounds):
        draft = n < officials
        for indicator in indicators:
            if draft and rng.random() < 0.5:
                continue
            level = rng.randint(0, 4)
            answers.append(
                Answer(
                    round=round,
                    indicator=indicator,
                    response=Answer.Response.LEVEL,
                    level=level,
                    justification=f"{indicator.descriptors[level]} Adopted by the council.",
                    revision=1,
                    updated_by=editors[n] if draft else approver,
                )
            )
    answers = Answer.objects.bulk_create(answers)
    Evidence.objects.bulk_create(
        Evidence(
            answer=a,
            description="Council minutes",
            url=f"https://example.org/minutes/{a.round_id}/{a.indicator_id}",
            added_by=approver,
        )
        for a in answers
        if a.level >= a.indicator.evidence_from_level
    )
    analyze()
    dimensions: dict[str, list[tuple[str, bool]]] = {}
    for indicator in indicators:
        dimensions.setdefault(indicator.dimension.code, []).append((indicator.code, indicator.na_allowed))
    people = [Official(e.username, r.pk, list(dimensions.items())) for e, r in zip(editors, rounds, strict=False)]
    return people, [c.username for c in checkers]


def verify(people: list[Official]) -> list[str]:
    """Each official's answers in the database against the last value they sent; the differences."""
    mismatches = []
    for official in people:
        stored = {
            a.indicator.code: AnswerForm.initial_for(a)
            for a in Answer.objects.filter(
                round_id=official.round_pk, indicator__code__in=official.sent
            ).select_related("indicator")
        }
        for code, (choice, justification) in sorted(official.sent.items()):
            found = stored.get(code, {"choice": "(no answer)", "justification": ""})
            if (found["choice"], found["justification"]) != (choice, justification):
                mismatches.append(
                    f"{official.username} {code}: sent {choice!r} {justification!r}, database has"
                    f" {found['choice']!r} {found['justification']!r} (last save answered {official.outcome.get(code)})"
                )
    return mismatches


def cpu(gunicorn: list[int]) -> dict[str, float]:
    """CPU seconds so far: gunicorn's processes, PostgreSQL's for this database, this process (the client), the machine."""
    return {
        "gunicorn": benchprocs.cpu_seconds(gunicorn),
        "postgres": benchprocs.cpu_seconds(benchprocs.database_backends(connection.settings_dict["NAME"])),
        "client": benchprocs.cpu_seconds([os.getpid()]),
        "machine": benchprocs.machine_cpu()[0],
    }


def server_times(access: Path, offset: int) -> dict[str, list[float]]:
    """Durations gunicorn logged per kind of request (JSON access log lines after ``offset`` bytes)."""
    times: dict[str, list[float]] = defaultdict(list)
    if not access.exists():
        return times
    with open(access, "rb") as log:
        log.seek(offset)
        for line in log:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "duration_ms" not in entry:
                continue
            path = entry.get("path", "")
            kind = next(
                (name for pattern, name in KINDS if pattern.match(path)), "log-in" if "login" in path else "other"
            )
            times[kind].append(float(entry["duration_ms"]))
    return times
