"""Benchmark opening a campaign for 1,000 authorities and its board page; ratios against baselines of the same run.

The authorities (``bench-campaign-0000`` …), each with an editor and an approver who have an e-mail
address (every one of them is told: a notification and a mail in their language), and a coordinator
are made with ``bulk_create`` inside a
transaction that is rolled back at the end, as the other benchmarks do. ``campaign_open`` for all of them
is timed beside a baseline measured in the same run: a raw ``bulk_create`` of the same rounds and their
status events (the least any opening can cost), itself rolled back to a savepoint. The board page is then
timed through the test client, logged in as the coordinator, with its query count, beside the board of a
campaign of one authority (what the page costs with nothing to list). A benchmark, not a test: it prints
figures and never fails for being slow.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from assessments.models import Authority, Membership, Round, StatusEvent
from coherence_site.bench import median_ms, site_client, vacuum
from indicators.models import CatalogueVersion
from programme.models import Participant
from programme.services import campaign_open

PREFIX = "bench-campaign-"
PERIOD = "bench-2099"
OPEN_GOAL_S = 10.0
BOARD_GOAL_MS = 300.0


class Command(BaseCommand):
    help = "Benchmark campaign_open for 1,000 authorities and the campaign board page (all data rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--authorities", type=int, default=1000)
        parser.add_argument("--runs", type=int, default=7, help="Measured board requests after one warm-up.")

    def handle(self, authorities: int, runs: int, **options):
        vacuum()  # earlier benches' dead rows out of the planner's way, as autovacuum keeps production's
        version = CatalogueVersion.objects.current()
        if version is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        if connection.vendor != "postgresql":
            self.stdout.write(f"note: running on {connection.vendor}; figures are for PostgreSQL (set DATABASE_URL)")
        with transaction.atomic():
            try:
                self.run(version, authorities, runs)
            finally:  # leave no data behind, whatever happened
                transaction.set_rollback(True)
        self.stdout.write("(all generated data rolled back)")

    def run(self, version, count: int, runs: int) -> None:
        started = time.perf_counter()
        coordinator = self.coordinator()
        authorities = Authority.objects.bulk_create(
            Authority(
                name=f"Bench Campaign City {n:04d}",
                slug=f"{PREFIX}{n:04d}",
                kind=Authority.Kind.MUNICIPALITY,
                country=f"Country {n % 40}",
                region=f"Region {n % 6}",
            )
            for n in range(count + 1)
        )
        alone, authorities = authorities[-1], authorities[:-1]
        people = get_user_model().objects.bulk_create(
            get_user_model()(username=f"{PREFIX}{n:04d}-{role}", email=f"{role}@{PREFIX}{n:04d}.example")
            for n in range(count)
            for role in Membership.Role.values
        )
        Membership.objects.bulk_create(
            Membership(
                user=person,
                authority=authorities[i // len(Membership.Role.values)],
                role=person.username.rsplit("-", 1)[1],
            )
            for i, person in enumerate(people)
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"data: {count:,} authorities with {len(people):,} members (+1 for the baseline board) in {time.perf_counter() - started:.1f} s"
        )

        due = timezone.localdate() + timedelta(days=90)
        floor = self.raw_insert(version, authorities, coordinator, due)
        coordinator = get_user_model().objects.get(pk=coordinator.pk)  # as a request would load them
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            campaign, participants = campaign_open(
                actor=coordinator,
                name="Bench campaign",
                period=PERIOD,
                version=version,
                due_date=due,
                authorities=authorities,
            )
            seconds = time.perf_counter() - start
        opened = sum(p.opened for p in participants)
        self.stdout.write(
            f"campaign_open, {count:,} authorities ({opened:,} rounds opened, {len(people):,} people told, by mail "
            f"and in the list): {seconds:.2f} s, {len(queries)} queries; "
            f"baseline (raw bulk_create of the same rounds and events): {floor:.2f} s; "
            f"ratio {seconds / floor:.1f}; goal <= {OPEN_GOAL_S:.0f} s: {'met' if seconds <= OPEN_GOAL_S else 'MISSED'}"
        )
        small, _participants = campaign_open(
            actor=coordinator,
            name="Bench campaign of one",
            period=PERIOD,
            version=version,
            due_date=due,
            authorities=[alone],
        )
        self.board(coordinator, campaign, small, count, runs)

    def coordinator(self):
        user, _created = get_user_model().objects.get_or_create(username=f"{PREFIX}coordinator")
        user.user_permissions.add(Permission.objects.get(codename="open_rounds"))
        return user

    def raw_insert(self, version, authorities, actor, due) -> float:
        """Seconds to write the same rounds and status events with bare bulk_create (rolled back to a savepoint)."""
        savepoint = transaction.savepoint()
        start = time.perf_counter()
        rounds = Round.objects.bulk_create(
            Round(authority=authority, period=PERIOD, due_date=due, version=version) for authority in authorities
        )
        StatusEvent.objects.bulk_create(StatusEvent(round=r, to_status=r.status, actor=actor) for r in rounds)
        seconds = time.perf_counter() - start
        transaction.savepoint_rollback(savepoint)
        return seconds

    def board(self, coordinator, campaign, small, count: int, runs: int) -> None:
        try:
            url, small_url = (reverse("campaign_board", args=[c.pk]) for c in (campaign, small))
        except NoReverseMatch:
            self.stdout.write("note: no campaign_board URL yet; timing Participant.objects.board(campaign) instead")
            ms, queries = self.time(lambda: list(Participant.objects.board(campaign)), runs)
            floor, floor_queries = self.time(lambda: list(Participant.objects.board(small)), runs)
            label = "Participant.objects.board(campaign)"
        else:
            client = site_client()
            client.force_login(coordinator)
            status = client.get(url).status_code
            if status != 200:  # a benchmark says so and goes on
                self.stdout.write(f"note: the board answered {status} to the coordinator; figures below are for that")
            ms, queries = self.time(lambda: client.get(url), runs)
            floor, floor_queries = self.time(lambda: client.get(small_url), runs)
            label = f"GET {url} (campaign board, coordinator)"
        self.stdout.write(
            f"{label}, {count:,} authorities: {ms:.0f} ms median, {queries} queries; "
            f"baseline (board of 1 authority): {floor:.0f} ms, {floor_queries} queries; ratio {ms / floor:.1f}; "
            f"goal <= {BOARD_GOAL_MS:.0f} ms with a constant number of queries: "
            f"{'met' if ms <= BOARD_GOAL_MS and queries == floor_queries else 'MISSED'}"
        )

    def time(self, action, runs: int) -> tuple[float, int]:
        """Median ms of ``runs`` calls after a warm-up, and the query count of one."""
        action()  # warm-up: imports, templates, first queries
        with CaptureQueriesContext(connection) as captured:
            action()
        queries = len(captured)  # now: the next request empties the log it reads
        return median_ms(action, runs), queries
