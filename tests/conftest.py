"""Shared test set-up: the real catalogue, loaded once, and the services CI must have."""

import os

import pytest
from django.core.management import call_command

from indicators.models import CatalogueVersion


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
