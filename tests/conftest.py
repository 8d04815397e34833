"""Shared test set-up: the real catalogue, loaded once, and the services CI must have."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import kombu.pools
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from assessments import services
from assessments.models import Round
from assessments.sheet import forget_kept
from coherence_site import celery as celery_module
from coherence_site.celery import app
from indicators.models import CatalogueVersion
from tests.factories import UserFactory
from tests.processes import free_port
from tests.s3 import S3Bucket, S3Server
from tests.world import City, answer_everything, make_city

# `make test` spreads the suite over the machine's cores (pytest-xdist, one test database per worker), then runs
# the tests that start real processes (a Celery worker, a redis-server, Chromium against the live server; marked
# `processes` here) one after another in a session of their own: they share the broker's queues and the machine's
# ports, and a real worker's test must not inherit what other tests left in the process. Under xdist alone they
# still go to one worker. Each worker keeps its cache in a Redis
# database of its own (tests empty the cache), below the one REDIS_URL names.
PROCESS_FIXTURES = {"start_worker", "worker", "broker", "browser", "live_server", "static_root", "sqlite_server"}
PROCESS_MARKERS = {"browser", "real_worker"}
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if WORKER and os.environ.get("REDIS_URL"):
    _redis = urlsplit(os.environ["REDIS_URL"])
    _database = (int(_redis.path.strip("/") or 0) - 1 - int(WORKER.removeprefix("gw"))) % 16
    django_settings.CACHES["default"]["LOCATION"] = _redis._replace(path=f"/{_database}").geturl()


def pytest_make_parametrize_id(config, val, argname):
    """Name bytes parameters by their size: their content (a zip's timestamps …) may differ between test processes."""
    if isinstance(val, bytes | bytearray):
        return f"{argname}-{len(val)}-bytes"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())) or PROCESS_MARKERS & {
            marker.name for marker in item.iter_markers()
        }:
            item.add_marker(pytest.mark.processes)
            item.add_marker(pytest.mark.xdist_group("processes"))
        elif "seeded" in getattr(item, "fixturenames", ()):  # tests/demo: one seed_demo run for all of them
            item.add_marker(pytest.mark.xdist_group("demo"))


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
def _default_language():
    """Each test starts in the site's language: a request in another leaves that one active in the thread."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _catalogue_forgotten():
    """Tests change a published catalogue version's indicators in place, which the site never does: forget its copies."""
    forget_kept()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Run Celery tasks in-process, except in tests that start a real worker (marker real_worker).

    Each test starts with the broker in good standing: a refusal seen by an earlier test in this process
    (the broker-fault tests stop it) would otherwise hold back this test's tasks for the pause that follows.
    """
    from coherence_site.celery import app

    celery_module._refused_at = None
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


@pytest.fixture
def validated(submitted, reviewer) -> Round:
    return services.round_review(round=submitted, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)


# --- a real Celery worker (tests marked real_worker), and a Redis of the test's own -------------


def wait_until(predicate, seconds: float, what: str):
    """Poll ``predicate`` until it returns something truthy, and return that; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds}s waiting for {what}")


def _needs_services(what: str, *, redis_server: bool = False) -> None:
    """Skip a test without PostgreSQL and Redis, except in CI, where a missing service fails it."""
    missing = [
        name
        for name, ok in [
            ("PostgreSQL (DATABASE_URL)", connection.vendor == "postgresql"),
            ("REDIS_URL", bool(os.environ.get("REDIS_URL"))),
            (REDIS_SERVER, not redis_server or Path(REDIS_SERVER).exists()),
        ]
        if not ok
    ]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{what} need {', '.join(missing)} in CI")
        pytest.skip(f"needs {', '.join(missing)}")


@pytest.fixture
def start_worker(tmp_path, settings):
    """Start `celery worker -P solo` subprocesses on the test database; stop each by its pid.

    ``start_worker(broker_url=..., **environment)`` feeds the worker from that broker (REDIS_URL by
    default) with extra environment variables (settings such as REPORT_HEARTBEAT_SECONDS). Needs
    PostgreSQL (the worker, another process, must see the test database) and Redis. In CI they
    are there and a missing one fails the run; elsewhere the test skips.
    """
    _needs_services("the real-worker tests")
    settings.MEDIA_ROOT = tmp_path
    db = connection.settings_dict
    started: list[tuple[subprocess.Popen, object]] = []

    def start(broker_url: str | None = None, **environment: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "MEDIA_ROOT": str(tmp_path),
            "DEBUG": "1",
            **environment,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        if broker_url:
            env["REDIS_URL"] = broker_url
        else:
            app.control.purge()
        log_path = tmp_path / f"worker-{len(started)}.log"
        log = open(log_path, "w")  # noqa: SIM115 - closed at teardown
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
                f"test-{os.getpid()}-{len(started)}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        wait_until(lambda: "ready" in log_path.read_text(), 60, "the worker to be ready")
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@pytest.fixture
def worker(start_worker) -> subprocess.Popen:
    """One real worker fed from REDIS_URL."""
    return start_worker()


REDIS_SERVER = "/usr/bin/redis-server"


class RedisServer:
    """A redis-server process of the test's own, on a free port, that the test stops, pauses and restarts."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, cwd=self.directory, stdout=subprocess.DEVNULL)
        wait_until(self._answers, 10, "redis-server to answer")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as client:
                client.sendall(b"PING\r\n")
                return client.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop it as an operator would (SIGTERM); whatever it held is gone (no persistence)."""
        self.resume()
        self.process.terminate()
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections open, nothing answers, as a hung server."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def point_celery_at(url: str) -> None:
    """Make this process publish to the broker at ``url``, dropping the pooled connections to the old one."""
    celery_module._refused_at = None  # forget a refusal by the previous broker
    # kombu keeps its pools in a registry keyed by broker address: reset closes them all and
    # forgets them, so that the next publish (to either address) opens a fresh pool.
    kombu.pools.reset()
    app.conf.broker_url = url
    app._after_fork()  # Celery's own reset of its references to those pools


@pytest.fixture
def broker(tmp_path, settings):
    """A redis-server of the test's own as Celery's broker, for this process and the workers it starts.

    This process tries the broker again at once after a refusal (no pause), unless a test sets
    CELERY_PUBLISH_PAUSE_SECONDS.
    """
    _needs_services("the broker tests", redis_server=True)
    settings.CELERY_PUBLISH_PAUSE_SECONDS = 0
    server = RedisServer(tmp_path)
    server.start()
    original = app.conf.broker_url
    point_celery_at(server.url)
    yield server
    point_celery_at(original)
    if server.process.poll() is None:
        server.resume()
        server.process.kill()
        server.process.wait()


# --- object storage: an S3-compatible server (tests/s3.py) ----------------------------------------


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    server = S3Server(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server) -> S3Bucket:
    """A fresh private bucket; this process does not store there unless the test also asks for ``s3``."""
    return S3Bucket.fresh(s3_server.endpoint)


@pytest.fixture
def s3(s3_bucket, settings) -> S3Bucket:
    """This process's stored files go to a fresh bucket, as with AWS_STORAGE_BUCKET_NAME set."""
    settings.STORAGES = {**settings.STORAGES, "default": s3_bucket.storage}
    return s3_bucket
