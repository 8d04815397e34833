"""In production (DEBUG=0, after collectstatic) the charts' plotly.js is the partial bundle, compressed, cached for good.

The production part runs as a subprocess with ``DEBUG=0``, so that the settings' real production
branch (WhiteNoise's CompressedManifestStaticFilesStorage) names and serves the files.
"""

import json
import os
import re

import pytest
from django.template.loader import render_to_string

from tests.processes import manage

# No part of the charts' pages; collecting them only slows the test down.
NOT_ON_CHART_PAGES = ["admin", "rest_framework", "modeltranslation", "drf_spectacular*"]

# Run by `manage.py shell` in the production process: the script tags the pages get, and how each file is served.
PROBE = """
import json
from django.template.loader import render_to_string
from django.test import Client

html = render_to_string("dashboard/_chart_scripts.html")
client = Client(HTTP_HOST="coherence.example.org")
served = {}
for src in __import__("re").findall(r'src="([^"]+)"', html):
    for encoding in ("br", "gzip", ""):
        response = client.get(src, secure=True, HTTP_ACCEPT_ENCODING=encoding)
        served[src + " " + encoding] = {
            "status": response.status_code,
            "encoding": response.get("Content-Encoding", ""),
            "length": int(response["Content-Length"]),
            "cache": response.get("Cache-Control", ""),
        }
print("SERVED=" + json.dumps(served))
"""


@pytest.fixture(scope="module")
def production_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "production-like-secret-for-this-test-only-" + "x" * 20,
        "ALLOWED_HOSTS": "coherence.example.org",
        "STATIC_ROOT": str(root),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage(env, "collectstatic", "--noinput", "-v0", *(f"--ignore={p}" for p in NOT_ON_CHART_PAGES))
    return env


def test_the_chart_pages_load_the_partial_plotly_bundle_and_the_chart_script():
    html = render_to_string("dashboard/_chart_scripts.html")

    assert re.findall(r'src="([^"]+)"', html) == [
        "/static/vendor/plotly/plotly-cartesian.min.js",
        "/static/js/charts.js",
    ]


def test_in_production_plotly_is_served_compressed_under_a_hashed_name_with_long_cache_headers(production_env):
    output = manage(production_env, "shell", "-c", PROBE)

    served = json.loads(re.search(r"^SERVED=(.*)$", output, re.MULTILINE).group(1))
    plotly = {key: value for key, value in served.items() if "/plotly-cartesian." in key}
    assert len(plotly) == 3, served
    assert all(re.search(r"/static/vendor/plotly/plotly-cartesian\.min\.[0-9a-f]{12}\.js ", key) for key in plotly)
    by_encoding = {key.rsplit(" ", 1)[1]: value for key, value in plotly.items()}
    assert {value["status"] for value in by_encoding.values()} == {200}
    assert by_encoding["br"]["encoding"] == "br"
    assert by_encoding["gzip"]["encoding"] == "gzip"
    assert by_encoding[""]["encoding"] == ""
    assert by_encoding["br"]["length"] < 600_000 < 1_400_000 < by_encoding[""]["length"] < 2_000_000
    # Fingerprinted: a browser keeps it for good (a new version has a new name).
    for value in served.values():
        assert "immutable" in value["cache"], served
        assert int(re.search(r"max-age=(\d+)", value["cache"]).group(1)) >= 365 * 24 * 3600
