"""Probes for the orchestrator and the load balancer: /healthz (the process answers) and /readyz (it can serve).

/readyz checks what a request needs: the database (``SELECT 1``), the broker (a Redis ``PING``; in-process in the
embedded mode), the stored files (the bucket, or the MEDIA_ROOT folder) and that no migration waits. The checks run
side by side, each in a thread of its own, and the probe waits for them at most ``CHECK_SECONDS``: a hung
dependency answers "Timeout", never holds the probe. A check still running from an earlier probe is waited for,
not started again, so a dead dependency holds at most one thread per check in each process. The body names no host, address
or secret: a failure shows only its exception's class name.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import storages
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from .celery import app

CHECK_SECONDS = 2.0
DATABASE_CONNECT_SECONDS = 2  # libpq's connect_timeout: whole seconds, at least 2
TIMEOUT = "Timeout"

# Each check's latest run (its thread and the result it fills in), to start no second one while it still runs.
_running: dict[str, tuple[threading.Thread, dict]] = {}
_running_lock = threading.Lock()


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    """Answer that the process serves requests; it touches nothing else (liveness)."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database, broker and storage answer and no migration waits, 503 otherwise."""
    checks = run_checks(CHECKS)
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ready" if ready else "not ready", "checks": checks}, status=200 if ready else 503)


def run_checks(checks: dict[str, Callable[[], dict]], seconds: float = CHECK_SECONDS) -> dict[str, dict]:
    """Run each check in a thread of its own; its result, or "Timeout" when it has not answered in ``seconds``.

    A check still running from an earlier probe (hung, or another probe's at the same moment) is waited for,
    not started again.
    """
    started = []
    for name, check in checks.items():
        with _running_lock:
            thread, result = _running.get(name, (None, {}))
            if thread is None or not thread.is_alive():
                result = {}
                # In a copy of this context: what a check logs carries the probe's request id.
                thread = threading.Thread(
                    target=contextvars.copy_context().run,
                    args=(_measure, check, result),
                    daemon=True,
                    name=f"readyz-{name}",
                )
                _running[name] = (thread, result)
                thread.start()
        started.append((name, thread, result))
    deadline = time.monotonic() + seconds
    results = {}
    for name, thread, result in started:
        thread.join(max(0.0, deadline - time.monotonic()))
        results[name] = dict(result) if not thread.is_alive() else {"ok": False, "error": TIMEOUT}
    return results


def _measure(check: Callable[[], dict], result: dict) -> None:
    began = time.monotonic()
    try:
        details = check()
    except Exception as error:  # any failure makes the host not ready; its class name says which
        result.update(ok=False, error=type(error).__name__)
    else:
        result.update({"ok": True, **details})
    finally:
        connections.close_all()  # this thread's own: a probe leaves no connection behind
    result["ms"] = round((time.monotonic() - began) * 1000)


def _connection():
    """This thread's connection (``_measure`` closes it), with a short connect timeout."""
    connection = connections["default"]
    if connection.vendor == "postgresql":
        options = {**connection.settings_dict.get("OPTIONS", {}), "connect_timeout": DATABASE_CONNECT_SECONDS}
        connection.settings_dict = {**connection.settings_dict, "OPTIONS": options}
    return connection


def check_database() -> dict:
    """The database answers ``SELECT 1``."""
    with _connection().cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def check_migrations() -> dict:
    """Every migration on disk is applied to the database: not ok, with their number, when some wait."""
    executor = MigrationExecutor(_connection())
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    # Run ``manage.py migrate`` (the web container does on start).
    return {"ok": not pending, "pending": len(pending)}


def check_broker() -> dict:
    """Celery's broker answers a PING; in the embedded mode tasks run in-process and there is none."""
    url = app.conf.broker_url or ""
    if url.startswith("memory://"):
        return {"mode": "in-process"}
    import redis

    client = redis.Redis.from_url(url, socket_timeout=CHECK_SECONDS * 0.75, socket_connect_timeout=CHECK_SECONDS * 0.75)
    try:
        client.ping()
    finally:
        client.close()
    return {}


def check_storage() -> dict:
    """The stored files are reachable: the bucket answers a HEAD, or the MEDIA_ROOT folder is writable."""
    storage = storages["default"]
    if hasattr(storage, "bucket_name"):  # django-storages' S3Storage
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        return {"kind": "bucket"}
    location = Path(storage.location)
    location.mkdir(parents=True, exist_ok=True)  # as the storage itself does on the first save
    if not os.access(location, os.W_OK | os.X_OK):
        raise PermissionError
    return {"kind": "folder"}


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
    "migrations": check_migrations,
}
