"""Shared test set-up: the real catalogue, loaded once, and the services CI must have."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection

from assessments import services
from assessments.models import Round
from coherence_site.celery import app
from indicators.models import CatalogueVersion
from tests.factories import UserFactory
from tests.world import City, answer_everything, make_city


def pytest_sessionstart(session):
    # In CI the suite runs against PostgreSQL and Redis; a missing service is a failure,
    # never a reason to skip.
    if os.environ.get("CI"):
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
        if missing:
            pytest.exit(f"CI needs {', '.join(missing)} set (see .ci/run)", returncode=3)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the published catalogue of fixtures/ once for the whole session."""
    with django_db_blocker.unblock():
        call_command("load_catalogue", verbosity=0)


@pytest.fixture
def catalogue(db) -> CatalogueVersion:
    """The published version 1 of the real catalogue (36 indicators)."""
    version = CatalogueVersion.objects.current()
    if version is None:  # a transactional test emptied the database before this one
        call_command("load_catalogue", verbosity=0)
        version = CatalogueVersion.objects.current()
    return version


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Run Celery tasks in-process, except in tests that start a real worker (marker real_worker)."""
    from coherence_site.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = "real_worker" not in request.keywords
    yield
    app.conf.task_always_eager = eager


# --- the small world of tests/world.py ----------------------------------------------------------


@pytest.fixture
def quito(catalogue) -> City:
    return make_city("quito")


@pytest.fixture
def reviewer(db):
    group, _created = Group.objects.get_or_create(name="Programme reviewers")
    group.permissions.add(Permission.objects.get(codename="review_round"))
    user = UserFactory(username="rita-reviewer", email="rita@example.org")
    user.groups.add(group)
    return user


@pytest.fixture
def draft(quito) -> Round:
    return services.round_create(authority=quito.authority, period="2025", actor=quito.approver)


@pytest.fixture
def submitted(draft, quito) -> Round:
    answer_everything(draft, quito.editor)
    return services.round_submit(round=draft, actor=quito.approver)


# --- a real Celery worker (tests marked real_worker) ---------------------------------------------


def wait_until(predicate, seconds: float, what: str):
    """Poll ``predicate`` until it returns something truthy, and return that; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds}s waiting for {what}")


@pytest.fixture
def worker(tmp_path, settings):
    """Start `celery worker -P solo` as a subprocess on the test database; stop it by its pid.

    Needs PostgreSQL (the worker, another process, must see the test database) and REDIS_URL. In CI
    both are there and a missing one fails the run; elsewhere the test skips.
    """
    if not os.environ.get("REDIS_URL") or connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("the real-worker tests need PostgreSQL (DATABASE_URL) and REDIS_URL in CI")
        pytest.skip("needs PostgreSQL and REDIS_URL")
    settings.MEDIA_ROOT = tmp_path
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(tmp_path),
        "DEBUG": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    app.control.purge()
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "coherence_site",
            "worker",
            "-P",
            "solo",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: "ready" in (tmp_path / "worker.log").read_text(), 60, "the worker to be ready")
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
