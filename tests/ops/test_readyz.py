"""/readyz says whether this host can serve: database, broker, stored files, migrations; 503 and why when not."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from coherence_site import health
from tests.processes import free_port
from tests.s3 import S3Bucket

CHECKS = {"database", "broker", "storage", "migrations"}


def _readyz():
    response = Client().get("/readyz")  # anonymous: no login needed
    return response, response.json()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _unreachable_database(monkeypatch) -> list[str]:
    """Point the probe's own connections at a database that is not there (this test's connection stays).

    Return what names it, which the probe's answer must not show."""
    database = connections.settings["default"]
    if connection.vendor == "postgresql":
        port = str(free_port())
        monkeypatch.setitem(database, "HOST", "127.0.0.1")
        monkeypatch.setitem(database, "PORT", port)
        return ["127.0.0.1", port, database["NAME"], database["USER"]]
    monkeypatch.setitem(database, "NAME", "/nonexistent/folder/coherence.sqlite3")
    return ["nonexistent", "sqlite3"]


def _other_backends() -> int:
    """Backends on this test database other than this test's own connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _other_backends_after_they_settle(ceiling: int, seconds: float = 5.0) -> int:
    """The count once it is at most ``ceiling``, or the last one seen after ``seconds``.

    A server process ends a moment after its client closes the connection, so a closed connection
    can still be listed for a few milliseconds: wait for it to go rather than race it."""
    deadline = time.monotonic() + seconds
    while (count := _other_backends()) > ceiling and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


@pytest.mark.django_db
def test_readyz_answers_200_with_every_check_ok(media):
    before = _other_backends() if connection.vendor == "postgresql" else 0

    response, body = _readyz()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert body["status"] == "ready"
    assert set(body["checks"]) == CHECKS
    assert all(check["ok"] is True for check in body["checks"].values()), body
    assert body["checks"]["storage"]["kind"] == "folder"
    assert body["checks"]["migrations"]["pending"] == 0
    assert media.is_dir()
    if connection.vendor == "postgresql":  # the probe closed the connections of its own
        assert _other_backends_after_they_settle(before) <= before


@pytest.mark.django_db
def test_readyz_in_the_embedded_mode_counts_the_in_process_broker_as_ready(media, monkeypatch):
    monkeypatch.setattr(health.app.conf, "broker_url", "memory://")

    response, body = _readyz()

    assert response.status_code == 200
    assert body["checks"]["broker"] == {"ok": True, "mode": "in-process", "ms": body["checks"]["broker"]["ms"]}


@pytest.mark.django_db
def test_readyz_with_the_database_unreachable_answers_503_naming_no_host(media, monkeypatch):
    names = _unreachable_database(monkeypatch)

    response, body = _readyz()

    assert response.status_code == 503
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["storage"]["ok"] is True
    text = response.content.decode()
    for name in names:
        assert name not in text


@pytest.mark.django_db
def test_readyz_with_the_broker_stopped_answers_503(broker, media):
    assert _readyz()[0].status_code == 200

    broker.stop()
    response, body = _readyz()

    assert response.status_code == 503
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"] == "ConnectionError"
    assert str(broker.port) not in response.content.decode()
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_with_the_broker_hung_answers_503_within_its_time_limit(broker, media):
    broker.pause()
    try:
        began = time.monotonic()
        response, body = _readyz()
        elapsed = time.monotonic() - began
    finally:
        broker.resume()

    assert response.status_code == 503
    assert body["checks"]["broker"]["error"] in {"TimeoutError", "Timeout"}
    assert elapsed < health.CHECK_SECONDS + 1


def test_a_check_that_hangs_answers_timeout_and_is_not_started_twice_while_it_hangs():
    release = threading.Event()
    calls = []

    def hangs():
        calls.append(1)
        release.wait(10)
        return {}

    try:
        began = time.monotonic()
        first = health.run_checks({"hangs-test": hangs}, seconds=0.3)
        second = health.run_checks({"hangs-test": hangs}, seconds=0.3)
        elapsed = time.monotonic() - began
    finally:
        release.set()

    assert first == second == {"hangs-test": {"ok": False, "error": "Timeout"}}
    assert len(calls) == 1
    assert elapsed < 1.5


def test_two_probes_at_once_share_one_run_of_a_check():
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return {}

    results = []
    probes = [threading.Thread(target=lambda: results.append(health.run_checks({"slow-test": slow}))) for _ in "ab"]
    for probe in probes:
        probe.start()
    for probe in probes:
        probe.join()

    assert [result["slow-test"]["ok"] for result in results] == [True, True]
    assert len(calls) == 1


@pytest.mark.django_db
def test_readyz_with_a_missing_bucket_answers_503(s3_server, settings):
    missing = S3Bucket("coherence-test-no-such-bucket", s3_server.endpoint)  # never created
    settings.STORAGES = {**settings.STORAGES, "default": missing.storage}

    response, body = _readyz()

    assert response.status_code == 503
    assert body["checks"]["storage"] == {"ok": False, "error": "ClientError", "ms": body["checks"]["storage"]["ms"]}
    assert s3_server.endpoint not in response.content.decode()
    assert missing.name not in response.content.decode()


@pytest.mark.django_db
def test_readyz_with_the_bucket_there_counts_the_storage_ready(s3):
    response, body = _readyz()

    assert body["checks"]["storage"]["ok"] is True
    assert body["checks"]["storage"]["kind"] == "bucket"
    assert response.status_code == 200


@pytest.mark.django_db
def test_readyz_with_a_media_root_that_cannot_be_a_folder_answers_503(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker / "media"

    response, body = _readyz()

    assert response.status_code == 503
    assert body["checks"]["storage"]["ok"] is False
    assert body["checks"]["storage"]["error"] in {"FileExistsError", "NotADirectoryError"}
    assert str(tmp_path) not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_readyz_with_a_migration_not_applied_answers_503(media):
    executor = MigrationExecutor(connection)
    app_label, name = sorted(executor.loader.graph.leaf_nodes())[0]
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied(app_label, name)
    try:
        response, body = _readyz()
    finally:
        recorder.record_applied(app_label, name)

    assert response.status_code == 503
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["pending"] == 1
    assert body["checks"]["database"]["ok"] is True
    assert _readyz()[0].status_code == 200


def test_healthz_stays_cheap_it_answers_without_the_database(client):
    response = client.get("/healthz")  # no django_db mark: a query would fail the test

    assert response.status_code == 200
    assert response.content == b"ok"
