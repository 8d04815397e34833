"""The methodology's rules are stated once (indicators/rules.py): scoring computes with them, the
models bound their fields with them, and the methodology page and the report say them from them,
with the numbers and the dimensions filled in, in every language."""

import re

import pytest
from django.urls import reverse

from assessments import scoring, services
from assessments.models import Answer, Band
from indicators import rules
from indicators.models import Dimension

pytestmark = pytest.mark.django_db

CORE = ["HC", "VC", "SP", "IN"]


def _scoring_section(body: str) -> str:
    start = body.index('id="scoring"')
    return body[start : body.index("</section>", start)]


def _methodology(client, language: str = "en") -> str:
    client.cookies["django_language"] = language
    response = client.get(reverse("methodology"))
    assert response.status_code == 200
    return response.content.decode()


# --- one set of constants --------------------------------------------------------------------------


def test_scoring_the_models_and_the_api_use_the_one_set_of_rules():
    assert scoring.BANDS is rules.BANDS and scoring.minimum_applicable is rules.minimum_applicable
    assert scoring.POINTS_PER_LEVEL == rules.POINTS_PER_LEVEL
    assert Answer.Response is rules.Response and Band is rules.Band and Dimension.Kind is rules.DimensionKind
    assert (scoring.LEVEL, scoring.NOT_APPLICABLE, scoring.DONT_KNOW, scoring.UNANSWERED) == ("level", "na", "dk", "")
    assert rules.LEVELS == (0, 1, 2, 3, 4) and rules.MAX_POINTS == 100


@pytest.mark.parametrize(("indicators", "needed"), [(1, 2), (3, 2), (4, 2), (5, 3), (8, 4), (9, 5)])
def test_the_minimum_of_applicable_indicators_is_two_and_half(indicators, needed):
    assert rules.minimum_applicable(indicators) == needed


def test_bands_read_from_their_floors_lowest_band_first():
    assert rules.BANDS == ((75, "advanced"), (50, "established"), (25, "emerging"), (0, "initial"))
    assert [scoring.band(s) for s in (0, 24.99, 25, 74.99, 75, 100)] == [
        "initial",
        "initial",
        "emerging",
        "established",
        "advanced",
        "advanced",
    ]


def test_a_level_outside_the_scale_is_refused_with_the_scales_bounds(draft, quito, catalogue):
    indicator = catalogue.indicators.get(code="HC-01")
    with pytest.raises(services.WorkflowError, match=r"Choose a level from 0 to 4\."):
        services.answer_save(
            round=draft,
            indicator=indicator,
            actor=quito.editor,
            response=Answer.Response.LEVEL,
            level=rules.HIGHEST_LEVEL + 1,
            justification="",
            base_revision=0,
        )


def test_scoring_and_the_methodology_page_follow_the_same_minimum(client, catalogue, monkeypatch):
    two_of_four = scoring.DimensionInput(
        "D",
        True,
        (
            scoring.IndicatorInput("D-1", scoring.LEVEL, 2),
            scoring.IndicatorInput("D-2", scoring.LEVEL, 2),
            scoring.IndicatorInput("D-3", scoring.NOT_APPLICABLE),
            scoring.IndicatorInput("D-4", scoring.NOT_APPLICABLE),
        ),
    )
    assert scoring.dimension_score(two_of_four).score == 50
    assert "fewer than 2 of its indicators, or fewer than 50% of them" in _scoring_section(_methodology(client))

    monkeypatch.setattr(rules, "MINIMUM_APPLICABLE", 3)

    assert scoring.dimension_score(two_of_four).insufficient
    assert "fewer than 3 of its indicators" in _scoring_section(_methodology(client))


def test_the_methodology_page_states_points_and_bands_from_the_constants(client, catalogue, monkeypatch):
    section = _scoring_section(_methodology(client))
    assert "the level times 25, from 0 to 100" in section
    assert "Initial below 25, Emerging from 25, Established from 50, Advanced from 75." in section

    monkeypatch.setattr(rules, "POINTS_PER_LEVEL", 20)
    monkeypatch.setattr(rules, "BAND_FLOORS", {**rules.BAND_FLOORS, Band.ADVANCED: 80})

    section = _scoring_section(_methodology(client))
    assert "the level times 20" in section and "Established from 50, Advanced from 80." in section


# --- core and optional dimensions, counted and named from the catalogue ----------------------------


def test_the_headline_rule_counts_and_names_the_core_dimensions_of_the_catalogue(client, catalogue):
    section = _scoring_section(_methodology(client))
    names = ", ".join(f"{d.code} {d.name}" for d in catalogue.dimensions.order_by("order") if d.code in CORE)
    assert f"the plain mean of the 4 core dimensions ({names}); none unless all 4 have a score" in section
    assert "DE Data and evidence, DC Decentralised cooperation" in section  # supplementary, beside it
    assert "Optional dimensions (DC Decentralised cooperation)" in section

    Dimension.objects.filter(version=catalogue, code="IN").update(kind=rules.DimensionKind.SUPPLEMENTARY)

    section = _scoring_section(_methodology(client))
    assert "the plain mean of the 3 core dimensions" in section and "none unless all 3 have a score" in section


@pytest.mark.parametrize("language", ["fr", "es"])
def test_the_rules_name_the_core_dimensions_in_the_readers_language(client, catalogue, language):
    section = _scoring_section(_methodology(client, language))

    for code in CORE:
        dimension = catalogue.dimensions.get(code=code)
        localised = getattr(dimension, f"name_{language}")
        assert localised and localised != dimension.name_en
        assert f"{code} {localised}" in section
    assert "four" not in section and "quatre" not in section and "cuatro" not in section


def test_the_scale_table_says_from_which_level_evidence_is_asked(client, catalogue, monkeypatch):
    monkeypatch.setattr(rules, "EVIDENCE_FROM_LEVEL", 3)

    body = _methodology(client)

    rows = dict(re.findall(r'<tr><th scope="row">(\d) · [^<]+</th><td>[^<]+</td><td>([^<]+)</td></tr>', body))
    assert rows == {
        "0": "None",
        "1": "Optional",
        "2": "Optional",
        "3": "Required (from the level each indicator names, usually 3)",
        "4": "Required (from the level each indicator names, usually 3)",
    }


# --- the report states the same rules -----------------------------------------------------------------


def test_the_reports_methodology_is_the_methodology_pages(client, validated, quito):
    client.force_login(quito.editor)
    report = client.get(reverse("report_preview", args=[validated.pk]), {"language": "en"}).content.decode()
    methodology = report[report.index("<h2>Methodology</h2>") :]

    page_rules = _scoring_section(_methodology(client))
    items = re.findall(r"<li>(.*?)</li>", page_rules, re.S)
    assert len(items) >= 6
    for item in items:
        assert " ".join(item.split()) in " ".join(methodology.split())
    assert "four core dimensions" not in report
    assert "Headline index (validated): the mean of the 4 core dimensions." in report
    assert "average level of those indicators (0 to 4)" in report
