"""Backup and restore tests: a scratch PostgreSQL database of their own, and manage.py run as a real process."""

import os
import shutil
import uuid
from contextlib import closing

import psycopg2
import pytest
from django.db import connection


def _needs_postgresql() -> None:
    """Skip without PostgreSQL and its client programs, except in CI, where a missing one fails the test."""
    missing = [
        name
        for name, ok in [
            ("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql"),
            ("pg_dump", shutil.which("pg_dump") is not None),
            ("pg_restore", shutil.which("pg_restore") is not None),
        ]
        if not ok
    ]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the backup tests need {', '.join(missing)} in CI")
        pytest.skip(f"needs {', '.join(missing)}")


def database_url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{name}"


def _server():
    db = connection.settings_dict
    server = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"]
    )
    server.autocommit = True
    return server


class ScratchDatabase:
    """A database of the test's own beside the test database, which restores may fill and the test may wipe."""

    def __init__(self):
        self.name = f"test_backup_{uuid.uuid4().hex[:12]}"
        self.url = database_url(self.name)

    def create(self) -> None:
        with closing(_server()) as server, server.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with closing(_server()) as server, server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def wipe(self) -> None:
        """Drop it and create it again, empty."""
        self.drop()
        self.create()

    def row_counts(self) -> dict[str, int]:
        """The row count of every table in its public schema."""
        db = connection.settings_dict
        scratch = psycopg2.connect(
            dbname=self.name, user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"]
        )
        try:
            with scratch.cursor() as cursor:
                cursor.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                )
                tables = sorted(name for (name,) in cursor.fetchall())
                counts = {}
                for table in tables:
                    cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                    counts[table] = cursor.fetchone()[0]
                return counts
        finally:
            scratch.close()


@pytest.fixture
def scratch_database():
    """An empty PostgreSQL database (``.url``, ``.row_counts()``, ``.wipe()``), dropped after the test."""
    _needs_postgresql()
    scratch = ScratchDatabase()
    scratch.create()
    yield scratch
    scratch.drop()
