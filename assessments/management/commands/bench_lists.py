"""Benchmark one page of the API's round list and of the review queue at 100, 1,000 and 5,000 authorities.

At each scale ``benchdata.populate`` makes the authorities × 3 periods × 36 indicators inside a
transaction that is rolled back. The first page of ``/api/v1/assessments/`` and of the review queue
is timed as the reviewer (who sees every round but drafts), and the API list as the editor of the
last authority by name; each page's median is printed with its query count, the floor of the same
SQL sent straight to the database, and the median without the two list indexes (``authority_name``,
``round_review_queue``: dropped in a savepoint, so PostgreSQL sorts every visible round as it did
before them), measured in interleaved windows. For each query on the rounds table: PostgreSQL's
estimated total cost against ``jit_above_cost``, whether JIT compiled it (``EXPLAIN (ANALYZE, FORMAT
JSON)``), and for the COUNT whether it repeats the progress annotation (reads answers or indicators).
A benchmark, not a test: it never fails for being slow.
"""

from __future__ import annotations

import json
import statistics
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.benchdata import populate
from assessments.models import Membership, Round
from coherence_site.bench import analyze, median_ms, site_client, vacuum
from indicators.models import CatalogueVersion

TARGET_MS = 50
LIST_INDEXES = ("authority_name", "round_review_queue")
# Tables that only the progress annotation (``RoundQuerySet.with_progress``) reads on these pages.
PROGRESS_TABLES = ('"assessments_answer"', '"indicators_indicator"')
WINDOWS = 3  # alternations of with / without the list indexes


class Rollback(Exception):
    """Raised to undo everything the benchmark created."""


class Command(BaseCommand):
    help = "Benchmark the API round list and the review queue at 100, 1,000 and 5,000 authorities (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--authorities", type=int, nargs="+", default=[100, 1000, 5000], help="Scales (default 100 1000 5000)."
        )
        parser.add_argument("--runs", type=int, default=5, help="Measured runs per window (default 5, 3 windows).")

    def handle(self, authorities: list[int], runs: int, **options):
        vacuum()  # earlier benches' dead rows out of the planner's way, as autovacuum keeps production's
        version = CatalogueVersion.objects.current()
        if version is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        self.verbosity = options["verbosity"]
        self.postgres = connection.vendor == "postgresql"
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('jit'), current_setting('jit_above_cost')::float")
                jit, self.jit_above_cost = cursor.fetchone()
            self.stdout.write(f"PostgreSQL jit={jit}, jit_above_cost={self.jit_above_cost:,.0f}")
        else:
            self.stdout.write(
                f"note: running on {connection.vendor}; the targets are for PostgreSQL (set DATABASE_URL)"
            )
        for count in authorities:
            try:
                with transaction.atomic():
                    self.run(version, count, runs)
                    raise Rollback
            except Rollback:
                pass
        self.stdout.write("(all generated data rolled back)")

    def run(self, version, count: int, runs: int) -> None:
        world = populate(version, count)
        # A member of the last authority by name: its rounds are the last the name index reaches.
        member = get_user_model().objects.create(username="bench-last-member")
        Membership.objects.create(user=member, authority=world.authorities[-1], role=Membership.Role.EDITOR)
        analyze("assessments_membership")
        visible = Round.objects.visible_to(world.reviewer).count()
        self.stdout.write(
            f"== {count:,} authorities: {len(world.rounds):,} rounds, {visible:,} visible to the reviewer"
        )
        api, queue = reverse("api_round_list"), reverse("review_queue")
        for label, user, url in (
            ("API list, page 1, reviewer", world.reviewer, api),
            ("review queue, page 1, reviewer", world.reviewer, queue),
            ("API list, editor of the last authority", member, api),
        ):
            client = site_client()
            client.force_login(user)
            self.page(client, label, url, runs)

    def page(self, client, label: str, url: str, runs: int) -> None:
        def get():
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return response

        get()  # warm-up: imports, templates, first queries
        timings: dict[bool, list[float]] = {True: [], False: []}
        for _window in range(WINDOWS):
            timings[True].append(median_ms(get, runs))
            with self.without_list_indexes():
                get()
                timings[False].append(median_ms(get, runs))
        ms, without = statistics.median(timings[True]), statistics.median(timings[False])
        with CaptureQueriesContext(connection) as captured:
            get()
        sqls = [q["sql"] for q in captured.captured_queries]
        with connection.cursor() as cursor:
            floor = median_ms(lambda: [(cursor.execute(sql), cursor.fetchall()) for sql in sqls], runs)
        self.stdout.write(
            f"{label}: {ms:.1f} ms median (target <= {TARGET_MS} ms), {len(sqls)} queries; "
            f"their SQL alone {floor:.1f} ms (ratio {ms / floor:.1f}); "
            f"without the list indexes {without:.1f} ms (ratio {ms / without:.2f})"
        )
        for sql in sqls:
            if '"assessments_round"' not in sql:
                continue
            if sql.startswith("SELECT COUNT(*)"):
                repeated = any(table in sql for table in PROGRESS_TABLES)
                self.stdout.write(f"  COUNT {self.explain(sql)}; annotation repeated: {'YES' if repeated else 'no'}")
            else:
                self.stdout.write(f"  query {self.explain(sql)}")
            if self.verbosity > 1:
                self.stdout.write(f"    {sql}")

    @contextmanager
    def without_list_indexes(self):
        """Drop the list indexes in a savepoint, rolled back on leaving (the plans of before they existed)."""
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    for name in LIST_INDEXES:
                        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
                yield
                raise Rollback
        except Rollback:
            pass

    def explain(self, sql: str) -> str:
        """The plan's estimated total cost against jit_above_cost, and whether JIT compiled it when run."""
        if not self.postgres:
            return "(plans: PostgreSQL only)"
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            raw = cursor.fetchone()[0]
        plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
        cost, jit = plan["Plan"]["Total Cost"], plan.get("JIT")
        side = "above" if cost > self.jit_above_cost else "below"
        used = f"YES ({jit['Timing']['Total']:.0f} ms compiling)" if jit else "no"
        return (
            f"cost {cost:,.0f} ({side} jit_above_cost), JIT used: {used}, executed in {plan['Execution Time']:.1f} ms"
        )
