"""Layers hold: indicators ← assessments ← plans, participation, territories, collaboration ← reports, dashboard.

A lower app never reaches up. plans/, participation/, territories/ and collaboration/ stand side by
side above assessments/: none imports another.

The apps above assessments/ show their parts on its pages by filling its slots
(``assessments.slots``): the round page's report section loads the reports app's own URL (an htmx
panel, a page of its own without JavaScript), so assessments/ needs nothing of reports/ or plans/.
"""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from reports.models import ReportJob
from tests.world import make_city

ROOT = Path(settings.BASE_DIR)
# An app → the apps above it, which it must not import (Python) or include (templates).
# In a fixed order: the tests are parametrized from it, and every test process must collect the same tests.
PEERS = ("plans", "participation", "territories", "collaboration", "programme", "notifications")
# operations/ (backups) stands above them all and reads every app's tables without importing any.
ABOVE = {
    "indicators": {"assessments", *PEERS, "reports", "dashboard", "operations"},
    "assessments": {*PEERS, "reports", "dashboard", "operations"},
    **{peer: (set(PEERS) - {peer}) | {"reports", "dashboard", "operations"} for peer in PEERS},
}


def _imported_apps(path: Path) -> set[str]:
    """The top-level packages a module imports, including ``import_module("…")`` with a constant."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0])
    return found


MODULES = [
    pytest.param(app, path, id=str(path.relative_to(ROOT)))
    for app in ABOVE
    for path in sorted((ROOT / app).rglob("*.py"))
]


@pytest.mark.parametrize(("app", "path"), MODULES)
def test_no_module_imports_an_app_above_its_own(app, path):
    assert not _imported_apps(path) & ABOVE[app]


def test_the_import_check_sees_an_import_from_above(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        "from reports.models import ReportJob\nimport dashboard.charts\n"
        "from importlib import import_module\nimport_module('reports.views')\nfrom . import access\n"
    )
    assert _imported_apps(module) == {"reports", "dashboard", "importlib"}


TEMPLATE_REFERENCE = re.compile(r"""{%\s*(?:include|extends)\s+["'](\w+)/""")


@pytest.mark.parametrize("app", ABOVE)
def test_no_template_of_an_app_includes_a_template_of_an_app_above(app):
    for template in (ROOT / "templates" / app).rglob("*.html"):
        assert not set(TEMPLATE_REFERENCE.findall(template.read_text())) & ABOVE[app], template


# --- the round page's report panel, served by the reports app ------------------------------------


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_round_page_loads_its_report_panel_from_the_reports_app_with_a_link_without_javascript(
    client, draft, quito
):
    client.force_login(quito.editor)
    panel = reverse("report_panel", args=[draft.pk])

    body = client.get(reverse("round_detail", args=[draft.pk])).content.decode()

    assert f'hx-get="{panel}" hx-trigger="load"' in body
    assert f'<a href="{panel}">' in body
    assert f'action="{reverse("report_request", args=[draft.pk])}"' not in body  # the form is the panel's


@pytest.mark.usefixtures("_media")
def test_the_report_panel_shows_the_latest_job_as_a_fragment_or_as_a_page(client, draft, quito):
    ReportJob.objects.create(
        round=draft, language="en", requested_by=quito.editor, fingerprint="x", status=ReportJob.Status.PENDING
    )
    client.force_login(quito.editor)
    url = reverse("report_panel", args=[draft.pk])

    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    page = client.get(url).content.decode()

    for body in (fragment, page):
        assert f'action="{reverse("report_request", args=[draft.pk])}"' in body
        assert "Waiting for a worker" in body and 'id="report-job"' in body
    assert "<html" not in fragment
    assert "<html" in page and "<h1" in page


@pytest.mark.usefixtures("_media")
def test_without_javascript_asking_for_a_report_leads_to_the_report_page(client, draft, quito):
    client.force_login(quito.editor)
    response = client.post(reverse("report_request", args=[draft.pk]), {"language": "en"})
    assert response.status_code == 302
    assert response["Location"] == reverse("report_panel", args=[draft.pk])


def test_another_citys_member_gets_no_report_panel(client, draft):
    client.force_login(make_city("kasserine").editor)
    assert client.get(reverse("report_panel", args=[draft.pk]), headers={"HX-Request": "true"}).status_code == 404
