"""Benchmark the dashboard and the exports at scale; every ratio is against a floor measured in the same run.

Generates N authorities × 3 periods × 36 indicators (108,000 answers for N = 1,000) inside a
transaction that is always rolled back, then prints median times of the dashboard data view
and of the heatmap JSON beside the same data fetched with one raw SQL statement, CSV export
rows per second, and the export's peak memory for one period and for three. A benchmark, not
a test: it never fails for being slow.
"""

from __future__ import annotations

import time
import tracemalloc

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.urls import reverse

from assessments.benchdata import PERIODS, populate
from assessments.models import Answer
from coherence_site.bench import median_ms, site_client, vacuum
from indicators.models import CatalogueVersion

HEATMAP_SQL = """
    SELECT a.name, sd.dimension, sd.score
    FROM assessments_snapshotdimension sd
    JOIN assessments_scoresnapshot s ON s.id = sd.snapshot_id
    JOIN assessments_round r ON r.id = s.round_id
    JOIN assessments_authority a ON a.id = r.authority_id
    WHERE r.status = 'validated' AND r.period = %s AND sd.score_set = 'validated'
    ORDER BY a.name
"""
# The five panels' data in one statement: the period's cells (heatmap, peer medians) and one
# authority's trend, validated level counts per indicator, and self/validated headlines.
DASHBOARD_SQL = """
    SELECT 'cells', a.name, sd.dimension, sd.score, r.period
    FROM assessments_snapshotdimension sd JOIN assessments_scoresnapshot s ON s.id = sd.snapshot_id
    JOIN assessments_round r ON r.id = s.round_id JOIN assessments_authority a ON a.id = r.authority_id
    WHERE r.status = 'validated' AND sd.score_set = 'validated' AND (r.period = %s OR a.slug = %s)
    UNION ALL
    SELECT 'levels', i.code, NULL, ri.validated_level, COUNT(*)::text
    FROM assessments_reviewitem ri JOIN assessments_round r ON r.id = ri.round_id
    JOIN indicators_indicator i ON i.id = ri.indicator_id
    WHERE r.status = 'validated' AND r.period = %s AND ri.validated_level IS NOT NULL
    GROUP BY i.code, ri.validated_level
    UNION ALL
    SELECT 'headlines', a.name, NULL, s.self_headline, s.validated_headline::text
    FROM assessments_scoresnapshot s JOIN assessments_round r ON r.id = s.round_id
    JOIN assessments_authority a ON a.id = r.authority_id
    WHERE r.status = 'validated' AND r.period = %s
"""


class Rollback(Exception):
    """Raised to undo everything the benchmark created."""


class Command(BaseCommand):
    help = "Benchmark dashboard data, heatmap JSON and CSV export at 1,000 authorities (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--authorities", type=int, default=1000)
        parser.add_argument("--runs", type=int, default=7)

    def handle(self, authorities: int, runs: int, **options):
        vacuum()  # earlier benches' dead rows out of the planner's way, as autovacuum keeps production's
        version = CatalogueVersion.objects.current()
        if version is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        if connection.vendor != "postgresql":
            self.stdout.write(
                f"note: running on {connection.vendor}; the targets are for PostgreSQL (set DATABASE_URL)"
            )
        try:
            with transaction.atomic():
                self.run(version, authorities, runs)
                raise Rollback
        except Rollback:
            self.stdout.write("(all generated data rolled back)")

    def run(self, version, authorities: int, runs: int) -> None:
        started = time.perf_counter()
        reviewer = populate(version, authorities, periods=PERIODS).reviewer
        answers = Answer.objects.filter(round__authority__slug__startswith="bench-").count()
        self.stdout.write(
            f"data: {authorities} authorities x {len(PERIODS)} periods x {version.indicators.count()} indicators"
            f" = {answers} answers (generated in {time.perf_counter() - started:.1f} s)"
        )
        client = site_client()
        client.force_login(reviewer)
        slug = "bench-0000"
        data_url = reverse("reviewer_dashboard_data")

        def get(url, params):
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code
            return response

        get(data_url, {})  # warm-up: imports, first queries
        dashboard = median_ms(lambda: get(data_url, {"period": "2025", "authority": slug}), runs)
        heatmap = median_ms(lambda: get(data_url, {"period": "2025", "panel": "heatmap"}), runs)
        with connection.cursor() as cursor:
            heatmap_floor = median_ms(lambda: (cursor.execute(HEATMAP_SQL, ["2025"]), cursor.fetchall()), runs)
            if connection.vendor == "postgresql":
                dashboard_floor = median_ms(
                    lambda: (cursor.execute(DASHBOARD_SQL, ["2025", slug, "2025", "2025"]), cursor.fetchall()), runs
                )
            else:
                dashboard_floor = heatmap_floor
        self.stdout.write(
            f"dashboard data view: {dashboard:.0f} ms median; raw SQL floor {dashboard_floor:.0f} ms; "
            f"ratio {dashboard / dashboard_floor:.1f} (targets: <= 300 ms and <= 3x)"
        )
        self.stdout.write(
            f"heatmap JSON: {heatmap:.0f} ms median; raw SQL floor {heatmap_floor:.0f} ms; ratio {heatmap / heatmap_floor:.1f}"
        )

        export_url = reverse("export_indicators", args=["csv"])
        for label, params in (("1 period", {"period": "2025"}), ("3 periods", {})):
            start = time.perf_counter()
            rows = sum(chunk.count(b"\n") for chunk in get(export_url, params).streaming_content) - 1
            seconds = time.perf_counter() - start
            # Memory in a second pass: tracemalloc slows every allocation, so it stays out of the timing.
            tracemalloc.start()
            for _chunk in get(export_url, params).streaming_content:
                pass
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            self.stdout.write(
                f"CSV export, {label}: {rows} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s "
                f"(target >= 50,000); peak Python memory while streaming {peak / 1e6:.1f} MB"
            )
