"""Production settings refuse to start without secrets, and pass Django's deploy checks."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3#Vq9!zR2@pL7^wN5&tY8*uB1(oE4)iA6-sD0_fG3+hJ9=cM2",
    "ALLOWED_HOSTS": "coherence.example.org",
}


def _manage(*args, **env):
    # A clean environment, as a server would have: nothing inherited from the test run.
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    environment["DATABASE_URL"] = "sqlite:///:memory:"  # the checks need no database
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", **{**PRODUCTION, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_deploy_check_is_clean_with_production_values():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_trusted_proxies_come_from_the_environment_and_default_to_none():
    show = "from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT, settings.AXES_CLIENT_IP_CALLABLE)"
    assert _manage("shell", "-v", "0", "-c", show).stdout.split() == ["0", "coherence_site.http.client_ip"]
    assert _manage("shell", "-v", "0", "-c", show, TRUSTED_PROXY_COUNT="1").stdout.split()[0] == "1"
