"""What the benchmark commands share: a median timing, a test client for this site's host, and a database as
production's would be (vacuumed, its statistics current)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.test import Client


def median_ms(action: Callable[[], object], runs: int) -> float:
    """Run ``action`` ``runs`` times; return the median wall time in milliseconds."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def site_client() -> Client:
    """A test client that speaks to the first allowed host (``ALLOWED_HOSTS`` is enforced)."""
    return Client(HTTP_HOST=(settings.ALLOWED_HOSTS or ["localhost"])[0].lstrip("."))


def analyze(*tables: str) -> None:
    """Bring PostgreSQL's planner statistics up to date with the rows a bench has just made (all tables by default).

    A bench makes its data inside a transaction it rolls back, where autovacuum never sees it; a production database's
    statistics are kept current by autovacuum. ANALYZE counts the rows of the running transaction as live, so the
    plans measured are those production would choose. Nothing on another database.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}" if tables else "ANALYZE")


def vacuum() -> None:
    """Clear PostgreSQL's tables of the dead rows that earlier benches left (nothing on another database).

    Each bench rolls back what it made, up to millions of rows, which stay in the tables as dead rows until a vacuum.
    The planner then reads past them at the ends of indexes: planning one query of the form took 7.8 ms instead of
    0.3 ms after ``make bench``'s earlier commands. A production database has autovacuum; a bench calls this before it
    measures (outside any transaction: VACUUM cannot run inside one).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
