"""Helpers for tests that run real processes: a free port, and manage.py in a subprocess."""

import socket
import subprocess
import sys

from django.conf import settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    """Run ``manage.py`` with ``env`` as its whole environment; fail the test with its output if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr
