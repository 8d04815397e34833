"""Benchmark the memory an authority's data export takes with 1,000 evidence files, beside baselines of the same run.

One authority (``bench-export-city``) gets a round with every indicator answered and 1,000 evidence
files of 100 KB to 1 MB (random bytes: incompressible, like PDFs and photos), stored in the default
storage (a temporary folder, or the bucket when one is configured). Its approver's download is then
consumed through the test client, chunk by chunk, as a browser would take it, while Python's
allocations are traced (``tracemalloc``: the peak of what Python code holds) and the process's
resident memory is sampled at every chunk (its growth over the run's start). Beside it, in the
same run: the same files read one by one, each whole (what serving one file at a time costs), and
the total size of the files (what an archive built in memory would at least hold). The database
rows are rolled back and the files deleted at the end. A benchmark, not a test: it never fails for
being slow or big; it prints the figures.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse

from assessments.models import Answer, Authority, Evidence, Membership, Round
from coherence_site.bench import site_client
from indicators.models import CatalogueVersion

SLUG = "bench-export-city"
MB = 1024 * 1024


def _rss() -> int:
    """The process's resident memory now, in bytes (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0
    import resource

    return pages * resource.getpagesize()


class Command(BaseCommand):
    help = "Benchmark the peak memory of an authority's ZIP export with 1,000 evidence files (100 KB-1 MB)."

    def add_arguments(self, parser):
        parser.add_argument("--files", type=int, default=1000)
        parser.add_argument("--min-kb", type=int, default=100)
        parser.add_argument("--max-kb", type=int, default=1024)

    def handle(self, files: int, min_kb: int, max_kb: int, **options):
        version = CatalogueVersion.objects.current()
        if version is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        if connection.vendor != "postgresql":
            self.stdout.write(f"note: running on {connection.vendor}; figures are for PostgreSQL (set DATABASE_URL)")
        folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
        saved: list[str] = []
        try:
            with override_settings(MEDIA_ROOT=str(folder), ALLOWED_HOSTS=["testserver", "localhost", "127.0.0.1"]):
                with transaction.atomic():
                    try:
                        user, sizes = self.generate(version, files, min_kb, max_kb, saved)
                        self.measure(user, saved, sizes)
                    finally:
                        transaction.set_rollback(True)  # leave no rows behind
                for name in saved:  # a bucket keeps what the rollback cannot take back
                    default_storage.delete(name)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.stdout.write("(generated rows rolled back, files deleted)")

    def generate(self, version, count: int, min_kb: int, max_kb: int, saved: list[str]):
        User = get_user_model()
        started = time.perf_counter()
        authority = Authority.objects.create(
            name="Bench Export City", slug=SLUG, kind=Authority.Kind.MUNICIPALITY, country="EC", region="LATAM"
        )
        user = User.objects.create(username=f"{SLUG}-approver")
        Membership.objects.create(user=user, authority=authority, role=Membership.Role.APPROVER)
        round = Round.objects.create(authority=authority, version=version, period="2025")
        indicators = list(version.indicators.order_by("code"))
        answers = Answer.objects.bulk_create(
            Answer(round=round, indicator=i, response=Answer.Response.LEVEL, level=2, justification="Minutes.")
            for i in indicators
        )
        rng = random.Random(2026)
        sizes = []
        evidence = []
        for n in range(count):
            size = rng.randint(min_kb * 1024, max_kb * 1024)
            name = default_storage.save(f"evidence/bench/{n:04d}.pdf", ContentFile(rng.randbytes(size)))
            saved.append(name)
            sizes.append(size)
            answer = answers[n % len(answers)]
            evidence.append(
                Evidence(answer=answer, file=name, filename=f"minutes {n}.pdf", description="Minutes", added_by=user)
            )
        Evidence.objects.bulk_create(evidence)
        self.stdout.write(
            f"data: 1 authority, {len(answers)} answers, {count:,} evidence files of {min_kb} KB-{max_kb} KB, "
            f"{sum(sizes) / MB:,.0f} MB in all (made in {time.perf_counter() - started:.1f} s)"
        )
        return user, sizes

    def measure(self, user, saved: list[str], sizes: list[int]) -> None:
        total = sum(sizes)

        # Baseline: the same files read one by one, each whole, as a single download would read one.
        start_rss = peak_rss = _rss()
        tracemalloc.start()
        started = time.perf_counter()
        for name in saved:
            with default_storage.open(name, "rb") as handle:
                handle.read()
            peak_rss = max(peak_rss, _rss())
        _current, read_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        read_seconds = time.perf_counter() - started
        read_rss = peak_rss - start_rss

        # The export, consumed chunk by chunk and dropped, as a browser takes it.
        client = site_client()
        client.force_login(user)
        start_rss = peak_rss = _rss()
        tracemalloc.start()
        started = time.perf_counter()
        response = client.get(reverse("authority_export", args=[SLUG]))
        streamed = chunks = 0
        tail = b""
        for chunk in response.streaming_content:
            streamed += len(chunk)
            chunks += 1
            tail = (tail + chunk)[-65536:]  # the central directory's end, to check the archive's shape
            peak_rss = max(peak_rss, _rss())
        _current, export_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        export_seconds = time.perf_counter() - started
        export_rss = peak_rss - start_rss
        if response.status_code != 200 or b"PK\x05\x06" not in tail:
            raise CommandError(f"the export did not produce an archive (status {response.status_code})")

        self.stdout.write(f"{'':38} {'traced peak':>12} {'RSS growth':>11} {'time':>8}")
        self.stdout.write(
            f"{'read the files one by one (baseline)':38} {read_peak / MB:>9.1f} MB {read_rss / MB:>8.1f} MB "
            f"{read_seconds:>6.1f} s"
        )
        self.stdout.write(
            f"{'export ZIP, streamed':38} {export_peak / MB:>9.1f} MB {export_rss / MB:>8.1f} MB "
            f"{export_seconds:>6.1f} s  ({streamed / MB:,.0f} MB in {chunks:,} chunks)"
        )
        self.stdout.write(
            f"files: {total / MB:,.0f} MB in all, the largest {max(sizes) / MB:.2f} MB. Export peak / total size: "
            f"{export_peak / total:.2%} traced; / reading one by one: {export_peak / max(read_peak, 1):.2f}x"
        )
