"""The demo data of ``seed_demo``, made once for this whole package (it takes a while) and undone after it.

Every test of the package runs inside it (each in its own savepoint, rolled back); tests that need an
empty database, or no demo data, live elsewhere.
"""

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from indicators.models import CatalogueVersion
from tests.factories import UserFactory


@dataclass(frozen=True)
class Seeded:
    output: str  # what seed_demo printed
    media: Path  # MEDIA_ROOT while it ran


@pytest.fixture(scope="package")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory) -> Seeded:
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True, MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
            if CatalogueVersion.objects.current() is None:
                call_command("load_catalogue", verbosity=0)
            out = io.StringIO()
            call_command("seed_demo", stdout=out)
        yield Seeded(out.getvalue(), media)
        transaction.set_rollback(True)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client
