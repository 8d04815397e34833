"""Benchmark the plan page and the actions API at 1,000 authorities × 50 actions; ratios against baselines of the same run.

The data (authorities ``bench-plan-0000`` …, a validated 2023 round each, 50 actions each with two
linked indicators and one progress update, and ``bench-plan-one`` with a single action) is made
with ``bulk_create`` inside a transaction that is rolled back at the end, as the other benchmarks
do: rows left behind would enter their figures (the dashboard's exports list every round). With
``--keep`` it stays in the bench database and a later run finds it, adding only what is missing
(idempotent), which saves the generation time when only these figures are wanted. Each page is timed through the test client beside the same page on the authority with
one action (the baseline: what the page costs when there is nothing to list), with its query
count. A benchmark, not a test: it never fails for being slow.
"""

from __future__ import annotations

import json
import random
import time
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Authority, Membership, Round
from coherence_site.bench import analyze, median_ms, site_client, vacuum
from indicators.models import CatalogueVersion
from plans.models import Action, ActionIndicator, ActionUpdate, Plan

PREFIX = "bench-plan-"
BASELINE = f"{PREFIX}one"  # the authority with a single action: the pages' fixed cost
PERIOD = "2023"
OWNERS = ("Office of Human Mobility", "Planning Department", "Social Services Directorate", "Health Directorate")
STATUSES = [  # (status, weight)
    (Action.Status.PLANNED, 2),
    (Action.Status.IN_PROGRESS, 4),
    (Action.Status.DONE, 3),
    (Action.Status.DROPPED, 1),
]


class Command(BaseCommand):
    help = "Benchmark the plan page and /api/v1/actions/ at 1,000 authorities x 50 actions (data kept, made once)."

    def add_arguments(self, parser):
        parser.add_argument("--authorities", type=int, default=1000)
        parser.add_argument("--actions", type=int, default=50, help="Actions per authority (default 50).")
        parser.add_argument("--runs", type=int, default=7, help="Measured runs after one warm-up (default 7).")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Keep the generated data for the next run (it then skews bench_dashboard's figures).",
        )

    def handle(self, authorities: int, actions: int, runs: int, keep: bool, **options):
        vacuum()  # earlier benches' dead rows out of the planner's way, as autovacuum keeps production's
        version = CatalogueVersion.objects.current()
        if version is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        if connection.vendor != "postgresql":
            self.stdout.write(f"note: running on {connection.vendor}; figures are for PostgreSQL (set DATABASE_URL)")
        with transaction.atomic():
            try:
                self.run(version, authorities, actions, runs)
            finally:
                if not keep:  # leave no data behind, whatever happened
                    transaction.set_rollback(True)
        if not keep:
            self.stdout.write("(all generated data rolled back)")

    def run(self, version, authorities: int, actions: int, runs: int) -> None:
        started = time.perf_counter()
        member, reviewer, made = self.generate(version, authorities, actions)
        total = Action.objects.filter(plan__authority__slug__startswith=PREFIX).count()
        how = f"generated {made} authorities in {time.perf_counter() - started:.1f} s" if made else "already there"
        self.stdout.write(
            f"data: {authorities:,} authorities x {actions} actions (+ {BASELINE} with 1) = {total:,} actions, "
            f"each with 2 linked indicators and 1 update ({how})"
        )
        self.measure(member, reviewer, runs)

    # --- data --------------------------------------------------------------------------------------

    def generate(self, version, count: int, per_authority: int):
        """Make what is missing of the bench data; return the member, the reviewer and how many authorities were made."""
        User = get_user_model()
        member, _created = User.objects.get_or_create(username=f"{PREFIX}editor")
        reviewer, _created = User.objects.get_or_create(username=f"{PREFIX}reviewer")
        reviewer.user_permissions.add(Permission.objects.get(codename="review_round"))
        wanted = {f"{PREFIX}{n:04d}": per_authority for n in range(count)} | {BASELINE: 1}
        existing = set(Authority.objects.filter(slug__in=wanted).values_list("slug", flat=True))
        missing = [slug for slug in wanted if slug not in existing]
        if missing:
            self.bulk(version, missing, wanted, member)
            analyze()
        for slug in (f"{PREFIX}0000", BASELINE):  # the member sees one big plan and the small one
            Membership.objects.get_or_create(
                user=member, authority=Authority.objects.get(slug=slug), defaults={"role": Membership.Role.EDITOR}
            )
        return member, reviewer, len(missing)

    def bulk(self, version, slugs: list[str], sizes: dict[str, int], author) -> None:
        rng = random.Random(2026)
        today = timezone.localdate()
        now = timezone.now()
        indicators = list(version.indicators.order_by("code"))
        authorities = Authority.objects.bulk_create(
            Authority(
                name=f"Bench Plan City {slug.removeprefix(PREFIX)}",
                slug=slug,
                kind=Authority.Kind.MUNICIPALITY,
                country=f"Country {n % 40}",
                region=f"Region {n % 6}",
            )
            for n, slug in enumerate(slugs)
        )
        rounds = Round.objects.bulk_create(
            Round(
                authority=authority,
                version=version,
                period=PERIOD,
                status=Round.Status.VALIDATED,
                submitted_at=now,
                validated_at=now,
                submission_count=1,
            )
            for authority in authorities
        )
        plans = Plan.objects.bulk_create(Plan(authority=authority) for authority in authorities)
        statuses, weights = zip(*STATUSES, strict=True)
        actions = []
        for authority, round, plan in zip(authorities, rounds, plans, strict=True):
            for n in range(sizes[authority.slug]):
                if authority.slug == BASELINE:  # its one action is in progress and overdue: every filter finds it
                    status, due = Action.Status.IN_PROGRESS, date(2025, 6, 30)
                else:
                    status = rng.choices(statuses, weights)[0]
                    due = date(2024, 1, 1) + timedelta(days=rng.randrange(4 * 365))
                actions.append(
                    Action(
                        plan=plan,
                        origin_round=round,
                        title=f"Action {n + 1} of {authority.name}",
                        description="Bring the departments together on the gaps the 2023 round found.",
                        owner=rng.choice(OWNERS),
                        start_date=due - timedelta(days=rng.randrange(90, 540)),
                        due_date=due,
                        status=status,
                        drop_reason="No budget." if status == Action.Status.DROPPED else "",
                        created_by=author,
                    )
                )
        actions = Action.objects.bulk_create(actions, batch_size=5000)
        ActionIndicator.objects.bulk_create(
            (
                ActionIndicator(action=action, indicator=indicator, target_level=rng.choice((3, 4)))
                for action in actions
                for indicator in rng.sample(indicators, 2)
            ),
            batch_size=10000,
        )
        ActionUpdate.objects.bulk_create(
            (
                ActionUpdate(
                    action=action,
                    round=action.origin_round,
                    date=min(action.start_date + timedelta(days=60), today),
                    text="Terms of reference drafted; a first meeting was held.",
                    author=author,
                )
                for action in actions
            ),
            batch_size=10000,
        )

    # --- timings -----------------------------------------------------------------------------------

    def measure(self, member, reviewer, runs: int) -> None:
        clients = {"member": site_client(), "reviewer": site_client()}
        clients["member"].force_login(member)
        clients["reviewer"].force_login(reviewer)
        plan_url = reverse("plan_detail", args=[f"{PREFIX}0000"])
        baseline_plan_url = reverse("plan_detail", args=[BASELINE])
        api = reverse("api_action_list")
        late = {"status": Action.Status.IN_PROGRESS, "overdue": "true"}
        cases = [
            # label, who, (url, params), baseline (url, params), what the baseline is
            ("plan page, 50 actions", "member", (plan_url, {}), (baseline_plan_url, {}), "same page, 1 action"),
            (
                "GET /api/v1/actions/ first page",
                "reviewer",
                (api, {}),
                (api, {"authority": BASELINE}),
                "same API, 1 action",
            ),
            (
                "GET /api/v1/actions/ first page",
                "member",
                (api, {}),
                (api, {"authority": BASELINE}),
                "same API, 1 action",
            ),
            (
                "GET /api/v1/actions/?status=in_progress&overdue=true",
                "reviewer",
                (api, late),
                (api, {**late, "authority": BASELINE}),
                "same filter, 1 action",
            ),
        ]
        for label, who, page, baseline, baseline_label in cases:
            client = clients[who]
            ms, queries, found = self.time(client, *page, runs)
            floor, floor_queries, _found = self.time(client, *baseline, runs)
            self.stdout.write(
                f"{label} ({who}{found}): {ms:.0f} ms median, {queries} queries; "
                f"baseline ({baseline_label}): {floor:.0f} ms, {floor_queries} queries; ratio {ms / floor:.1f}"
            )
        rounds_api = reverse("api_round_list")
        ms, queries, found = self.time(clients["reviewer"], rounds_api, {}, runs)
        self.stdout.write(
            f"for comparison, GET /api/v1/assessments/ first page (reviewer{found}): {ms:.0f} ms, {queries} queries"
        )

    def time(self, client, url: str, params: dict, runs: int) -> tuple[float, int, str]:
        """Median ms of ``runs`` requests after a warm-up, the query count of one, and the API's result count."""

        def get():
            response = client.get(url, params)
            if response.status_code != 200:
                raise CommandError(f"{url} {params} answered {response.status_code}")
            return response

        response = get()  # warm-up: imports, templates, first queries
        found = ""
        if response.get("Content-Type", "").startswith("application/json"):
            found = f", {json.loads(response.content)['count']:,} matching"
        with CaptureQueriesContext(connection) as captured:
            get()
        queries = len(captured)  # now: the next request empties the log it reads
        return median_ms(get, runs), queries, found
