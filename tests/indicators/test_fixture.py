"""The shipped catalogue: 36 indicators in 6 dimensions, complete in three languages."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from indicators.exchange import check_document
from indicators.models import LEVELS, Dimension, Indicator

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "catalogue_v1.json"
LANGS = ["en", "fr", "es"]
TEXT_FIELDS = ["question", "guidance", "suggestion", *[f"descriptor_{level}" for level in LEVELS]]


def test_fixture_document_is_sound():
    assert check_document(json.loads(FIXTURE.read_text(encoding="utf-8"))) == []


def test_catalogue_has_six_dimensions_four_of_them_core(catalogue):
    dimensions = {d.code: d for d in catalogue.dimensions.all()}
    assert list(dimensions) == ["HC", "VC", "SP", "IN", "DE", "DC"]
    assert [code for code, d in dimensions.items() if d.is_core] == ["HC", "VC", "SP", "IN"]
    assert dimensions["DC"].optional and not dimensions["DE"].optional


def test_catalogue_has_the_36_indicators_of_the_framework(catalogue):
    codes = set(Indicator.objects.filter(version=catalogue).values_list("code", flat=True))
    expected = (
        {f"HC-0{n}" for n in range(1, 9)}
        | {f"VC-0{n}" for n in range(1, 7)}
        | {f"SP-0{n}" for n in range(1, 7)}
        | {f"IN-0{n}" for n in range(1, 8)}
        | {f"DE-0{n}" for n in range(1, 6)}
        | {f"DC-0{n}" for n in range(1, 5)}
    )
    assert codes == expected


@pytest.mark.parametrize("lang", LANGS)
def test_every_indicator_text_is_written_in_each_language(catalogue, lang):
    empty = [
        f"{indicator.code}.{field}"
        for indicator in Indicator.objects.filter(version=catalogue)
        for field in TEXT_FIELDS
        if not (getattr(indicator, f"{field}_{lang}") or "").strip()
    ]
    empty += [
        f"{d.code}.{field}"
        for d in Dimension.objects.filter(version=catalogue)
        for field in ("name", "description")
        if not (getattr(d, f"{field}_{lang}") or "").strip()
    ]
    assert empty == []


def test_every_indicator_has_sdg_targets_examples_and_resources(catalogue):
    indicators = Indicator.objects.filter(version=catalogue).prefetch_related("sdg_targets", "examples", "resources")
    for indicator in indicators:
        assert indicator.sdg_targets.all(), indicator.code
        assert indicator.examples.all(), indicator.code
        assert indicator.resources.all(), indicator.code
        assert all(t.title_en and t.title_fr and t.title_es for t in indicator.sdg_targets.all())


def test_indicator_sdg_targets_match_the_framework(catalogue):
    indicator = Indicator.objects.get(version=catalogue, code="HC-07")
    assert sorted(indicator.sdg_targets.values_list("code", flat=True)) == ["1.3", "10.3", "16.3", "16.b", "5.2"]


def test_na_is_allowed_where_a_city_may_have_no_mandate(catalogue):
    allowed = set(Indicator.objects.filter(version=catalogue, na_allowed=True).values_list("code", flat=True))
    assert "SP-02" in allowed
    assert "HC-01" not in allowed
