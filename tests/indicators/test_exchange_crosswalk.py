"""The crosswalk in the exchange format: kinds, predecessors and retired codes, in JSON and XLSX, and older files."""

import copy
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from indicators import services
from indicators.exchange import (
    CatalogueImportError,
    document_to_xlsx,
    strip_locations,
    version_document,
    xlsx_to_document,
)
from indicators.models import CatalogueVersion, Indicator
from tests.indicators.editions import second_edition

pytestmark = pytest.mark.django_db


def _renumbered(document, number):
    document = copy.deepcopy(document)
    document["version"]["number"] = number
    return document


def _indicator(document, code):
    return next(i for d in document["dimensions"] for i in d["indicators"] if i["code"] == code)


def _refusals(document) -> str:
    with pytest.raises(CatalogueImportError) as refused:
        services.catalogue_import(document=document)
    return " | ".join(str(p) for p in refused.value.problems)


def test_a_second_edition_exports_its_crosswalk(catalogue):
    document = version_document(second_edition(catalogue))

    assert document["version"]["based_on"] == catalogue.number
    assert document["version"]["retired"] == ["DE-05"]
    assert {
        code: (_indicator(document, code)["crosswalk"], _indicator(document, code)["derived_from"])
        for code in ("HC-01", "HC-03", "HC-09", "VC-05", "SP-07")
    } == {
        "HC-01": ("same", ["HC-01"]),
        "HC-03": ("split", ["HC-03"]),
        "HC-09": ("split", ["HC-03"]),
        "VC-05": ("merged", ["VC-05", "VC-06"]),
        "SP-07": ("new", []),
    }
    first = version_document(catalogue)
    assert first["version"]["retired"] == [] and _indicator(first, "HC-01")["crosswalk"] is None


def test_the_crosswalk_imports_back_from_json_and_from_xlsx(catalogue):
    exported = version_document(second_edition(catalogue))

    from_json = services.catalogue_import(document=_renumbered(json.loads(json.dumps(exported)), 21))
    assert version_document(from_json) == _renumbered(exported, 21)

    workbook = document_to_xlsx(_renumbered(exported, 22))
    assert strip_locations(xlsx_to_document(workbook)) == _renumbered(exported, 22)
    from_xlsx = services.catalogue_import(document=xlsx_to_document(workbook))
    assert version_document(from_xlsx) == _renumbered(exported, 22)
    assert CatalogueVersion.objects.crosswalk(catalogue, from_xlsx) == CatalogueVersion.objects.crosswalk(
        catalogue, CatalogueVersion.objects.get(number=catalogue.number + 1)
    )


def test_the_shipped_fixture_loads_unchanged_with_no_crosswalk(catalogue):
    document = json.loads((Path(settings.BASE_DIR) / "fixtures" / "catalogue_v1.json").read_text(encoding="utf-8"))
    assert "crosswalk" not in document["dimensions"][0]["indicators"][0]

    version = services.catalogue_import(document=_renumbered(document, 23))

    assert set(Indicator.objects.filter(version=version).values_list("crosswalk", flat=True)) == {""}
    assert services.version_problems(version) == []


def test_an_older_document_reads_derived_from_as_the_migration_does(catalogue):
    """Written before crosswalk kinds: "derived_from" is one code or null, and kinds are inferred."""
    document = _renumbered(version_document(catalogue), 24)
    document["version"]["based_on"] = catalogue.number
    del document["version"]["retired"]
    for dimension in document["dimensions"]:
        for indicator in dimension["indicators"]:
            del indicator["crosswalk"]
            indicator["derived_from"] = indicator["code"]  # a plain code, as files used to say
    _indicator(document, "HC-02")["derived_from"] = "HC-01"  # HC-01 split in two
    _indicator(document, "DE-05")["derived_from"] = None  # a new indicator...
    document["version"]["retired"] = ["HC-02", "DE-05"]  # ...and the ones nothing continues, retired

    version = services.catalogue_import(document=document)

    recorded = {
        i.code: (i.crosswalk, [p.code for p in i.predecessors]) for i in Indicator.objects.filter(version=version)
    }
    assert recorded["HC-01"] == recorded["HC-02"] == ("split", ["HC-01"])
    assert recorded["DE-05"] == ("new", [])
    assert recorded["HC-03"] == ("same", ["HC-03"])
    assert services.version_problems(version) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("unknown_kind", "HC-01 crosswalk: must be one of same, split, merged, new, or empty"),
        ("not_codes", "HC-01 derived_from: must be a list of indicator codes"),
        ("merged_alone", "HC-01: “merged” continues two or more indicators of the earlier edition."),
        ("unknown_predecessor", "HC-01 continues ZZ-99, which is not an indicator of the edition it is based on."),
        ("unknown_retired", "Retired ZZ-98 is not an indicator of the edition this one is based on."),
        ("same_twice", "HC-01 is the “same” as more than one indicator (HC-01, HC-02); mark them “split”."),
        ("first_edition", "HC-01 has a crosswalk, but its version is based on no earlier edition."),
    ],
)
def test_loading_refuses_a_crosswalk_that_breaks_the_rules(catalogue, change, expected):
    document = _renumbered(version_document(services.version_copy_to_draft(version=catalogue)), 25)
    hc01 = _indicator(document, "HC-01")
    if change == "unknown_kind":
        hc01["crosswalk"] = "reworded"
    elif change == "not_codes":
        hc01["derived_from"] = [1, 2]
    elif change == "merged_alone":
        hc01["crosswalk"] = "merged"
    elif change == "unknown_predecessor":
        hc01["derived_from"] = ["ZZ-99"]
    elif change == "unknown_retired":
        document["version"]["retired"] = ["ZZ-98"]
    elif change == "same_twice":
        _indicator(document, "HC-02")["derived_from"] = ["HC-01"]
    elif change == "first_edition":
        document["version"]["based_on"] = None
    count = CatalogueVersion.objects.count()

    assert expected in _refusals(document)
    assert CatalogueVersion.objects.count() == count


def test_a_draft_may_be_imported_before_it_accounts_for_everything(catalogue):
    document = _renumbered(version_document(services.version_copy_to_draft(version=catalogue)), 26)
    document["dimensions"][0]["indicators"].pop(0)  # HC-01 neither continued nor retired, yet

    draft = services.catalogue_import(document=document)

    assert any(p.startswith("Not accounted for: HC-01.") for p in services.version_problems(draft))


def test_an_older_workbook_without_the_crosswalk_column_loads(catalogue):
    exported = _renumbered(version_document(services.version_copy_to_draft(version=catalogue)), 27)
    book = load_workbook(io.BytesIO(document_to_xlsx(exported)))
    sheet = book["indicators"]
    sheet.delete_cols([cell.value for cell in sheet[1]].index("crosswalk") + 1)
    out = io.BytesIO()
    book.save(out)

    version = services.catalogue_import(document=xlsx_to_document(out.getvalue()))

    assert set(Indicator.objects.filter(version=version).values_list("crosswalk", flat=True)) == {"same"}
