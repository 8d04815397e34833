"""Benchmark every page a person waits on, at 1,000 and 5,000 authorities: one table.

For each scale, ``assessments.benchdata.populate`` writes the authorities, rounds, answers, reviews
and snapshots inside a transaction that is always rolled back. Each page is asked for through the
test client as the person who would open it, with its default filters: the median server time, the
number of queries, the size of the HTML (or JSON), and whether it is within 300 ms. Exports are
timed to their first byte (what a person waits for before the download starts). A benchmark, not
a test: it never fails for being slow. Operations sits above every app, so it may name all their pages.
"""

from __future__ import annotations

import functools
import gc
import time
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from assessments.benchdata import PERIODS, populate
from assessments.models import Authority, Membership, Round
from coherence_site.bench import median_ms, site_client, vacuum
from indicators.models import CatalogueVersion, Dimension

TARGET_MS = 300


class Rollback(Exception):
    """Raised to undo everything the benchmark created."""


@dataclass(frozen=True)
class Page:
    name: str  # URL name, and who asks for it
    url: str
    client: Client
    first_byte: bool = False  # a streamed export: time to its first chunk


def fetch(page: Page) -> int:
    """Ask for ``page``; return the bytes of its body (of the first chunk for a streamed export)."""
    response = page.client.get(page.url)
    if response.status_code != 200:
        raise CommandError(f"{page.name} {page.url}: HTTP {response.status_code}")
    if not response.streaming:
        return len(response.content)
    # Not response.close(): it fires request_finished, whose close_old_connections would close the connection that
    # holds the transaction. The test client's wrapper around the stream closes it safely when the response is
    # collected (the rest of the export is never read), before the rollback (``handle``).
    return len(next(iter(response.streaming_content)))


def counted(queries: list[str], execute, sql, *args):
    """An execute wrapper that notes each query (the debug log would need DEBUG, and it stops at 9,000)."""
    queries.append(sql)
    return execute(sql, *args)


class Command(BaseCommand):
    help = (
        "Median time, queries and size of every page a person waits on, at 1,000 and 5,000 authorities (rolled back)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--authorities", default="1000,5000", help="comma-separated scales")
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--only", default="", help="measure only the pages whose name contains this")

    def handle(self, authorities: str, runs: int, only: str, **options):
        vacuum()  # earlier benches' dead rows out of the planner's way, as autovacuum keeps production's
        version = CatalogueVersion.objects.current()
        if version is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        if connection.vendor != "postgresql":
            self.stdout.write(
                f"note: running on {connection.vendor}; the targets are for PostgreSQL (set DATABASE_URL)"
            )
        for count in (int(n) for n in authorities.split(",")):
            try:
                # As in production: with DEBUG on, every query would also be logged.
                with override_settings(DEBUG=False), transaction.atomic():
                    self.run(version, count, runs, only)
                    # The exports' streams left after their first byte hold server-side cursors: closed now, inside
                    # the transaction, not when the collector finds them after the rollback (an error printed).
                    gc.collect()
                    raise Rollback
            except Rollback:
                self.stdout.write("(all generated data rolled back)\n")

    def run(self, version: CatalogueVersion, count: int, runs: int, only: str) -> None:
        started = time.perf_counter()
        world = populate(version, count, periods=PERIODS)
        self.stdout.write(
            f"{count:,} authorities x {len(PERIODS)} periods (generated in {time.perf_counter() - started:.0f} s)"
        )
        pages = [page for page in self.pages(world, version) if only in page.name]
        for page in pages:  # warm-up: imports, templates, first queries
            fetch(page)
        self.stdout.write(f"{'page':<34} {'median ms':>9} {'queries':>7} {'bytes':>10}  <= {TARGET_MS} ms")
        over = 0
        for page in pages:
            queries: list[str] = []
            with connection.execute_wrapper(functools.partial(counted, queries)):
                size = fetch(page)
            ms = median_ms(lambda page=page: fetch(page), runs)
            over += ms > TARGET_MS
            label = f"{page.name} (first byte)" if page.first_byte else page.name
            self.stdout.write(
                f"{label:<34} {ms:>9.0f} {len(queries):>7} {size:>10,}  {'yes' if ms <= TARGET_MS else 'NO'}"
            )
        self.stdout.write(f"{len(pages) - over} of {len(pages)} pages within {TARGET_MS} ms at {count:,} authorities")

    def pages(self, world, version: CatalogueVersion) -> list[Page]:
        first, second = world.authorities[0], world.authorities[1]
        latest = PERIODS[-1]
        # The editor also edits a draft (the second authority's latest round): the form as it is filled in.
        Membership.objects.create(user=world.editor, authority=second, role=Membership.Role.EDITOR)
        draft = Round.objects.get(authority=second, period=latest)
        submitted = Round.objects.get(authority=first, period=latest)
        dimension = Dimension.objects.filter(version=version).order_by("order").values_list("code", flat=True).first()
        published = Authority.objects.published().order_by("name").values_list("slug", flat=True).first()

        def client(user=None) -> Client:
            made = site_client()
            if user is not None:
                made.force_login(user)
            return made

        editor, reviewer, approver, public = (
            client(world.editor),
            client(world.reviewer),
            client(world.approver),
            client(),
        )
        return [
            Page("home (editor)", reverse("home"), editor),
            Page("home (reviewer)", reverse("home"), reviewer),
            Page("round_dimension (form)", reverse("round_dimension", args=[draft.pk, dimension]), editor),
            Page("round_detail", reverse("round_detail", args=[draft.pk]), editor),
            Page("round_review", reverse("round_review", args=[submitted.pk]), reviewer),
            Page("review_queue", reverse("review_queue"), reviewer),
            Page("round_history", reverse("round_history", args=[submitted.pk]), editor),
            Page("reviewer_dashboard", reverse("reviewer_dashboard"), reviewer),
            Page("reviewer_dashboard_data", reverse("reviewer_dashboard_data"), reviewer),
            Page("authority_dashboard", reverse("authority_dashboard"), editor),
            Page("public_dashboard", reverse("public_dashboard"), public),
            Page("public_profile", reverse("public_profile", args=[published]), public),
            Page("methodology", reverse("methodology"), public),
            Page("api_round_list", reverse("api_round_list"), reviewer),
            Page("api_round_detail", reverse("api_round_detail", args=[submitted.pk]), reviewer),
            Page("export_indicators csv", reverse("export_indicators", args=["csv"]), reviewer, first_byte=True),
            Page("export_scores csv", reverse("export_scores", args=["csv"]), reviewer, first_byte=True),
            Page("export_actions csv", reverse("export_actions", args=["csv"]), reviewer, first_byte=True),
            Page("authority_export zip", reverse("authority_export", args=[first.slug]), approver, first_byte=True),
        ]
