"""Loaded into a test's Celery worker with CELERY_WORKER_INCLUDE: its report renders never finish.

The worker takes the job, starts its heartbeat and then hangs in the render for as long as the test
needs, so that a test kills it in the middle of a render without racing the render's speed.
"""

import threading

from reports import services

HANG_SECONDS = 300  # a bound, should the test that loaded this never kill the worker


def _render_that_hangs(*args, **kwargs):
    threading.Event().wait(HANG_SECONDS)
    raise RuntimeError("tests/reports/stuck_render.py: the worker was not killed")


services.render_report_html = _render_that_hangs
