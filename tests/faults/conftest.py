"""Fixtures of the fault tests: a PostgreSQL cluster of the test's own.

The cluster runs beside the machine's own (never touched) on a free port, in a temporary folder owned by the OS
user ``postgres``; the test restarts it as an operator would (``pg_ctl restart -m fast``), and it is stopped and
removed at teardown, whatever the test did. In CI a missing PostgreSQL server binary fails the test.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg2
import pytest

from tests.processes import free_port

POSTGRES_BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


class PostgresCluster:
    """A PostgreSQL cluster on 127.0.0.1:<free port>, trusting local connections, without durability (tests only)."""

    def __init__(self, directory: Path, binaries: Path):
        self.directory = directory
        self.binaries = binaries
        self.data = directory / "data"
        self.log = directory / "postgresql.log"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/coherence"

    def _run(self, program: str, *args: str, timeout: int = 120) -> str:
        command = [str(self.binaries / program), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{program} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        admin = self.connect("postgres")
        try:
            admin.autocommit = True
            admin.cursor().execute("CREATE DATABASE coherence")
        finally:
            admin.close()

    def restart(self) -> None:
        """Restart as an operator would: every session is ended at once (``-m fast``), then it accepts again."""
        # -l again: without it the new server would write to (and hold open) the pipe this test reads.
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def connect(self, database: str = "coherence"):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=5)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one query on a fresh connection (one made before a restart would be gone) and return its rows."""
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()


@pytest.fixture
def postgres_cluster():
    """A fresh PostgreSQL cluster with an empty database ``coherence``; stopped and removed at teardown."""
    if not POSTGRES_BINARIES:
        message = "the PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are missing"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI needs them")
        pytest.skip(message)
    # Not under pytest's tmp_path: its folders are private to this user, and the server runs as postgres.
    directory = Path(tempfile.mkdtemp(prefix="coherence-faults-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = PostgresCluster(directory, POSTGRES_BINARIES[-1].parent)
    try:
        cluster.init()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
