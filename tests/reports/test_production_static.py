"""In production (DEBUG=0: the manifest static storage after collectstatic) the PDF keeps its stylesheet.

The production part runs as a subprocess with DEBUG=0, so that the settings module's real production
branch (whitenoise's CompressedManifestStaticFilesStorage, hashed names from ``{% static %}``) is what
renders the report, through the same task a worker runs.
"""

import io
import json
import os
import re

import pytest
from django.db import connection
from pypdf import PdfReader

from reports.models import ReportJob
from reports.rendering import html_to_pdf
from reports.services import render_report_html
from tests.processes import manage

# Play no part in a PDF, and compressing them (plotly.js alone is 1.5 MB) takes seconds.
NOT_IN_A_PDF = ["plotly-*.min.js", "admin", "rest_framework", "modeltranslation", "drf_spectacular*"]

# Run by `manage.py shell` in the production process: render the job with the worker's task and
# report every address WeasyPrint asked the fetcher for, and what the fetcher answered.
RENDER = """
import json
from reports import rendering, tasks

asked = []
serve = rendering.static_file_for


def recording(url):
    try:
        path = serve(url)
    except rendering.BlockedFetch as refused:
        asked.append({"url": url, "refused": str(refused)})
        raise
    asked.append({"url": url, "served": str(path)})
    return path


rendering.static_file_for = recording
tasks.render_report(JOB_ID)
print("FETCHES=" + json.dumps(asked))
"""

# Run by `manage.py shell` in the production process: what the fetcher does with each address.
PROBE = """
import json
from reports import rendering

answers = {}
for url in URLS:
    try:
        answers[url] = str(rendering.static_file_for(url))
    except rendering.BlockedFetch:
        answers[url] = "refused"
print("ANSWERS=" + json.dumps(answers))
"""


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """STATIC_ROOT after `collectstatic` with the production storage (DEBUG=0)."""
    root = tmp_path_factory.mktemp("static")
    manage(_production_env(root), "collectstatic", "--noinput", "-v0", *(f"--ignore={p}" for p in NOT_IN_A_PDF))
    assert list((root / "reports").glob("report.*.css")), "collectstatic made no hashed report.css"
    return root


def _production_env(static_root, **more: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "production-like-secret-for-this-test-only-" + "x" * 20,
        "ALLOWED_HOSTS": "coherence.example.org",
        "STATIC_ROOT": str(static_root),
        **more,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _printed(name: str, output: str):
    return json.loads(re.search(rf"^{name}=(.*)$", output, re.MULTILINE).group(1))


def _fonts(pdf: bytes) -> set[str]:
    """The base names of the fonts the PDF's pages use, without the subset prefix (ABCDEF+)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


@pytest.mark.django_db(transaction=True)  # the production process must see the round
def test_a_report_rendered_in_production_uses_its_hashed_stylesheet_and_the_apps_font(
    static_root, submitted, quito, tmp_path, settings
):
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("the production rendering test needs PostgreSQL (DATABASE_URL) in CI")
        pytest.skip("needs PostgreSQL: the production process must see the test database")
    settings.MEDIA_ROOT = tmp_path
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    job = ReportJob.objects.create(round=submitted, language="en", requested_by=quito.editor, fingerprint="x")

    env = _production_env(static_root, DATABASE_URL=database_url, MEDIA_ROOT=str(tmp_path))
    output = manage(env, "shell", "-c", RENDER.replace("JOB_ID", str(job.pk)))

    fetches = _printed("FETCHES", output)
    assert [f for f in fetches if "refused" in f] == [], output
    assert "Failed to load" not in output
    served = [f["url"] for f in fetches if "served" in f]
    assert any(re.search(r"/static/reports/report\.[0-9a-f]{12}\.css$", url) for url in served), fetches
    assert any(re.search(r"/noto-sans-latin-400-normal\.[0-9a-f]{12}\.woff2$", url) for url in served), fetches
    assert all(f["served"].startswith(str(static_root)) for f in fetches), fetches  # what collectstatic put there

    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE, job.error
    with job.file.open("rb") as handle:
        production_pdf = handle.read()
    fonts = _fonts(production_pdf)
    assert {"Noto-Sans", "Noto-Sans-Bold"} <= fonts, fonts  # the app's font, not the system's serif fallback
    assert not [name for name in fonts if "Serif" in name], fonts

    # The same report rendered here, with DEBUG's plain storage and the finders, has as many pages.
    development_pdf = html_to_pdf(render_report_html(submitted, "en")[0])
    assert len(PdfReader(io.BytesIO(production_pdf)).pages) == len(PdfReader(io.BytesIO(development_pdf)).pages)


def test_in_production_the_fetcher_still_refuses_everything_but_the_collected_static_files(static_root):
    hashed_css = next((static_root / "reports").glob("report.*.css")).name
    refused = [
        "file:///etc/passwd",
        "http://example.org/static/reports/report.css",
        f"https://example.org/static/reports/{hashed_css}",
        "https://coherence.invalid/static/../../etc/passwd",
        "https://coherence.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://coherence.invalid/static//etc/passwd",
        "https://coherence.invalid/static/reports/absent.css",
        "https://coherence.invalid/static/reports/",
        "https://coherence.invalid/media/evidence/1/a.pdf",
        "data:text/plain,hello",
    ]
    served = [
        f"https://coherence.invalid/static/reports/{hashed_css}",
        "https://coherence.invalid/static/reports/report.css",
    ]

    output = manage(_production_env(static_root), "shell", "-c", PROBE.replace("URLS", repr(refused + served)))

    answers = _printed("ANSWERS", output)
    assert {url: answers[url] for url in refused} == dict.fromkeys(refused, "refused")
    assert answers[served[0]] == str(static_root / "reports" / hashed_css)
    assert answers[served[1]] == str(static_root / "reports" / "report.css")
