"""Real processes for the benchmarks that serve the app as production does (``bench_load``, ``bench_memory``).

A database of their own (created, migrated, given the catalogue, dropped after, so that no other
bench ever sees their rows), gunicorn and Celery started with production's settings (``DEBUG=0``,
static files collected and hashed), and the memory of a process tree read from ``/proc``. Every
process started here runs in a session of its own and is stopped with its whole group (Chromium
included), whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

HOST = "127.0.0.1"
# The app runs with DEBUG=0 behind a TLS proxy: its clients send what the proxy adds.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def scratch_database(label: str) -> Iterator[str]:
    """Point this process at a new PostgreSQL database, migrated and with the catalogue; drop it after.

    Yields its URL for the processes the bench starts. Needs ``DATABASE_URL`` on PostgreSQL.
    """
    base_url = os.environ.get("DATABASE_URL", "")
    if connection.vendor != "postgresql" or not base_url:
        raise CommandError("This benchmark serves the app on PostgreSQL: set DATABASE_URL (scripts/bench.sh does).")
    base_name = connection.settings_dict["NAME"]
    name = f"{base_name}_{label}"
    parts = urlsplit(base_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a run that was killed left it
    _admin(f'CREATE DATABASE "{name}"')
    connection.close()
    connection.settings_dict["NAME"] = name  # as Django's test runner points at its test database
    try:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_catalogue", verbosity=0)
        yield url
    finally:
        connection.close()
        connection.settings_dict["NAME"] = base_name
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(sql: str) -> None:
    with connection.cursor() as cursor:  # autocommit: CREATE/DROP DATABASE cannot run in a transaction
        cursor.execute(sql)


def production_env(*, database_url: str, workdir: Path, redis_url: str = "") -> dict[str, str]:
    """The environment of a production host: DEBUG=0, a real secret, this host only, files under ``workdir``."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def collectstatic(env: dict[str, str]) -> None:
    """Collect (and hash) the static files into the environment's STATIC_ROOT, as the image build does."""
    manage(env, "collectstatic", "--noinput", "-v0")


def manage(env: dict[str, str], *args: str, timeout: int = 600) -> str:
    """Run ``manage.py`` with ``env``; its output, or a CommandError that shows it."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise CommandError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def gunicorn_args(port: int, workers: int, access_log: Path) -> list[str]:
    """gunicorn as docker/entrypoint.sh runs it (sync workers, the private access log), on ``port``."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "coherence_site.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        str(access_log),
        "--logger-class",
        "coherence_site.gunicorn_logging.PrivateAccessLogger",
    ]


def http_ready(port: int) -> Callable[[], bool]:
    """Whether the server on ``port`` answers its liveness probe."""

    def ready() -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=2) as sock:
                sock.sendall(f"GET /healthz HTTP/1.0\r\nHost: {HOST}\r\n\r\n".encode())
                return b" 200 " in sock.recv(64)
        except OSError:
            return False

    return ready


def log_says(path: Path, text: str) -> Callable[[], bool]:
    """Whether the log at ``path`` holds ``text`` yet."""
    return lambda: path.exists() and text in path.read_text(errors="replace")


@contextmanager
def started(args: list[str], *, env: dict[str, str], log: Path, ready: Callable[[], bool], timeout: float = 90):
    """Start ``args`` in a session of its own, wait until ``ready()``; stop its whole process group after."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            args, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + timeout
            while not ready():
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-3000:]
                    raise CommandError(f"{' '.join(args[:4])} did not start:\n{tail}")
                time.sleep(0.2)
            yield process
        finally:
            stop_group(process)


def stop_group(process: subprocess.Popen, grace: float = 20) -> None:
    """Stop a process started by ``started`` and everything it started (TERM, then KILL).

    kaleido starts Chromium in a session of its own, out of reach of the group: whatever of the tree
    (as it was before the stop) outlives the group is killed by pid.
    """
    below = [(pid, command_name(pid)) for pid in process_tree(process.pid)[1:]]
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError):  # the leader is gone; its group may linger
            os.killpg(process.pid, signal.SIGKILL)
        break
    time.sleep(0.5)
    for pid, name in below:
        if name and command_name(pid) == name:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# --- memory, from /proc (Linux) ------------------------------------------------------------------


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def rss_kib(pid: int) -> int:
    """The resident memory of ``pid`` now, in KiB (0 once it is gone)."""
    return int(_status(pid).get("VmRSS", "0 kB").split()[0])


def peak_rss_kib(pid: int) -> int:
    """The highest resident memory ``pid`` has had (VmHWM), in KiB."""
    return int(_status(pid).get("VmHWM", "0 kB").split()[0])


def pss_kib(pid: int) -> int:
    """The proportional set size of ``pid`` (shared pages shared out among their users), in KiB."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), 0)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` (from /proc/<pid>/stat), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def database_backends(name: str) -> list[int]:
    """The PostgreSQL server processes connected to database ``name`` (their title names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres:") and f" {name} " in title:
                found.append(int(entry.name))
    return found


def machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine since boot (every core, every process)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / ticks, sum(values) / ticks


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (direct children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children(current))
    return tree


def command_name(pid: int) -> str:
    """The process's command name (``/proc/<pid>/comm``), empty once it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
