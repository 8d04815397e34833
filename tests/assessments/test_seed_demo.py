"""Demo data is never made in production (the demo data itself: tests/demo/)."""

import pytest
from django.core.management import CommandError, call_command

from assessments.models import Authority

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_to_run_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not Authority.objects.exists()
