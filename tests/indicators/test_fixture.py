"""The shipped catalogue: 36 indicators in 6 dimensions, complete in four languages; its second edition too."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from indicators.exchange import check_document
from indicators.models import LEVELS, Dimension, Indicator

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "catalogue_v1.json"
SECOND = Path(settings.BASE_DIR) / "fixtures" / "catalogue_v2.json"
LANGS = [code for code, _name in settings.LANGUAGES]
TEXT_FIELDS = ["question", "guidance", "suggestion", *[f"descriptor_{level}" for level in LEVELS]]


def test_fixture_document_is_sound():
    assert check_document(json.loads(FIXTURE.read_text(encoding="utf-8"))) == []


def _texts(node, where="") -> list[tuple[str, dict]]:
    """Every text of an exchange document ({"en": …, "fr": …}), with where it is."""
    if isinstance(node, dict):
        if isinstance(node.get("en"), str):
            return [(where, node)]
        return [found for key, value in node.items() for found in _texts(value, f"{where}/{node.get('code', key)}")]
    if isinstance(node, list):
        return [found for n, value in enumerate(node) for found in _texts(value, f"{where}[{n}]")]
    return []


@pytest.mark.parametrize("fixture", [FIXTURE, SECOND], ids=["first edition", "second edition"])
@pytest.mark.parametrize("lang", LANGS)
def test_every_text_of_both_editions_is_written_in_each_language(fixture, lang):
    """Questions, descriptors, guidance, suggestions, examples, resources, SDG titles, dimensions: none missing."""
    texts = _texts(json.loads(fixture.read_text(encoding="utf-8")))
    assert len(texts) > 400
    assert [where for where, text in texts if not (text.get(lang) or "").strip()] == []
    if lang == "ar":  # written in Arabic script, not copied from another language
        assert all(any("\u0600" <= char <= "\u06ff" for char in text["ar"]) for _where, text in texts)


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
        assert all(all(getattr(t, f"title_{lang}") for lang in LANGS) for t in indicator.sdg_targets.all())


def test_indicator_sdg_targets_match_the_framework(catalogue):
    indicator = Indicator.objects.get(version=catalogue, code="HC-07")
    assert sorted(indicator.sdg_targets.values_list("code", flat=True)) == ["1.3", "10.3", "16.3", "16.b", "5.2"]


def test_na_is_allowed_where_a_city_may_have_no_mandate(catalogue):
    allowed = set(Indicator.objects.filter(version=catalogue, na_allowed=True).values_list("code", flat=True))
    assert "SP-02" in allowed
    assert "HC-01" not in allowed
