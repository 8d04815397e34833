"""Shared test set-up: the real catalogue, loaded once, and the services CI must have."""

import os

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from assessments import services
from assessments.models import Round
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
