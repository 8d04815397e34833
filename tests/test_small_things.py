"""The small things people notice: country and region names in the reader's language, numbers in
charts with the language's separators, one date format per language, an API root, a favicon."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation

from assessments import services
from assessments.models import Round
from assessments.places import place_name
from dashboard import charts, data

pytestmark = pytest.mark.django_db

SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")


def _get(client, url: str, reader_language: str, **params) -> str:
    client.cookies["django_language"] = reader_language
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- country and world-region names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "language", "shown"),
    [
        ("Ecuador", "fr", "Équateur"),
        ("Ecuador", "es", "Ecuador"),
        ("Philippines", "es", "Filipinas"),
        ("italy", "fr", "Italie"),  # as an administrator may type it
        ("Cote d'Ivoire", "es", "Côte d’Ivoire"),
        ("EC", "fr", "Équateur"),  # an ISO code
        ("South America", "fr", "Amérique du Sud"),  # a UN M.49 region
        ("Europe", "es", "Europa"),
        ("Atlantis", "fr", "Atlantis"),  # unknown: as stored
    ],
)
def test_countries_and_regions_are_named_in_the_readers_language(stored, language, shown):
    assert place_name(stored, language) == shown


def test_the_review_queue_names_countries_in_french(client, submitted, reviewer):
    client.force_login(reviewer)

    page = _get(client, reverse("review_queue"), "fr")

    assert "<td>Équateur</td>" in page
    assert '<option value="Ecuador">Équateur</option>' in page  # the filter still filters by the stored name
    assert ">Ecuador<" not in page


def test_the_dashboard_filters_name_countries_and_regions_in_spanish(client, validated, reviewer, quito):
    quito.authority.region = "South America"
    quito.authority.save(update_fields=["region"])
    client.force_login(reviewer)

    page = _get(client, reverse("reviewer_dashboard"), "es")

    assert re.search(r'<option value="South America"[^>]*>Sudamérica</option>', page)


def test_the_public_page_and_the_report_name_the_country_in_french(client, validated, quito):
    validated.publication_consent = True
    validated.save(update_fields=["publication_consent"])

    assert "<td>Équateur</td>" in _get(client, reverse("public_dashboard"), "fr")
    client.force_login(quito.editor)
    report = _get(client, reverse("report_preview", args=[validated.pk]), "fr", language="fr")
    assert ", Équateur</p>" in report


# --- numbers in charts ------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "decimal"), [("en", "."), ("fr", ","), ("es", ",")])
def test_charts_take_their_decimal_separator_from_the_language(language, decimal):
    with translation.override(language):
        figure = charts.trend_figure([charts.TrendPoint("2025", "HC", 62.5)], title="Trend")

    assert figure["layout"]["separators"][0] == decimal


def test_the_weakest_indicators_panel_says_its_means_with_a_decimal_comma_in_spanish(validated):
    rounds = Round.objects.filter(pk=validated.pk)

    with translation.override("es"):
        panel = data.weakest_panel(rounds, validated.period)

    assert "2,0" in panel.summary and "2.0" not in panel.summary
    assert {row[-1] for row in panel.rows} == {"2,0"}
    assert panel.figure["layout"]["separators"].startswith(",")


# --- dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "due"), [("en", "Nov. 30, 2025"), ("fr", "30 novembre 2025"), ("es", "30 de noviembre de 2025")]
)
def test_pages_show_dates_in_the_languages_one_format(client, quito, reviewer, language, due):
    round = services.round_create(
        authority=quito.authority, period="2025", actor=quito.approver, due_date=datetime.date(2025, 11, 30)
    )
    client.force_login(quito.approver)

    for url in (reverse("home"), reverse("round_detail", args=[round.pk])):
        page = _get(client, url, language)
        assert due in page, url
        assert not SHORT_DATE.search(page), (url, SHORT_DATE.search(page))

    round.status = Round.Status.SUBMITTED
    round.submitted_at = datetime.datetime(2025, 11, 30, 12, tzinfo=datetime.UTC)
    round.save(update_fields=["status", "submitted_at"])
    client.force_login(reviewer)
    queue = _get(client, reverse("review_queue"), language)
    assert due in queue and not SHORT_DATE.search(queue)


def test_templates_format_dates_only_with_the_languages_date_and_datetime_formats():
    allowed = {"DATE_FORMAT", "DATETIME_FORMAT", "c"}  # "c": machine-readable, in datetime attributes
    used = {
        (path.relative_to(settings.BASE_DIR).as_posix(), name)
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        for name in re.findall(r"""\|date:["']([^"']*)["']""", path.read_text(encoding="utf-8"))
    }
    assert {name for _path, name in used} <= allowed, sorted(used)


# --- the API root ------------------------------------------------------------------------------------


def test_the_api_root_lists_every_endpoint_and_each_answers(client, quito):
    client.force_login(quito.editor)

    response = client.get("/api/v1/")

    assert response.status_code == 200
    endpoints = response.json()
    assert endpoints == {
        "catalogue": "http://testserver/api/v1/catalogue/",
        "assessments": "http://testserver/api/v1/assessments/",
        "actions": "http://testserver/api/v1/actions/",
        "authorities": "http://testserver/api/v1/authorities/",
        "schema": "http://testserver/api/v1/schema/",
    }
    for url in endpoints.values():
        assert client.get(url).status_code == 200, url


def test_the_api_root_is_no_404_for_anonymous_callers_but_lists_nothing(client):
    response = client.get("/api/v1/")

    assert response.status_code in (401, 403)
    assert b"catalogue" not in response.content


def test_the_api_root_is_in_the_openapi_schema(client, quito, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    client.force_login(quito.editor)

    schema = json.loads(client.get("/api/v1/schema/?format=json").content)

    assert "/api/v1/" in schema["paths"]
    assert set(schema["components"]["schemas"]["Endpoints"]["properties"]) == {
        "catalogue",
        "assessments",
        "actions",
        "authorities",
        "schema",
    }


# --- the favicon --------------------------------------------------------------------------------------


def test_favicon_ico_leads_anyone_to_the_sites_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    icon = Path(finders.find("favicon.svg"))
    assert icon.read_text(encoding="utf-8").startswith("<svg")


def test_every_page_links_the_icon(client, catalogue):
    page = _get(client, reverse("methodology"), "en")

    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in page
