"""What the benchmark commands share: a median timing and a test client for this site's host."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.conf import settings
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
