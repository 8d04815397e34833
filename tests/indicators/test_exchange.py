"""Import and export of a whole version, as JSON and XLSX: round trips, and refusals."""

import copy
import io
import json

import pytest
from openpyxl import load_workbook

from indicators import services
from indicators.exchange import (
    CatalogueImportError,
    document_to_xlsx,
    strip_locations,
    version_document,
    xlsx_to_document,
)
from indicators.models import CatalogueVersion, Dimension, Indicator

pytestmark = pytest.mark.django_db


def _renumbered(document, number):
    document = copy.deepcopy(document)
    document["version"]["number"] = number
    return document


def test_json_export_imports_back_to_the_same_document(catalogue):
    exported = version_document(catalogue)
    imported = services.catalogue_import(document=_renumbered(json.loads(json.dumps(exported)), 7))
    assert version_document(imported) == _renumbered(exported, 7)


def test_xlsx_export_reads_back_to_the_same_document(catalogue):
    exported = version_document(catalogue)
    assert strip_locations(xlsx_to_document(document_to_xlsx(exported))) == exported


def test_xlsx_round_trip_through_the_database(catalogue):
    exported = version_document(catalogue)
    workbook = document_to_xlsx(_renumbered(exported, 8))
    imported = services.catalogue_import(document=xlsx_to_document(workbook))
    assert version_document(imported) == _renumbered(exported, 8)
    assert imported.status == CatalogueVersion.Status.DRAFT


def test_a_faulty_document_is_refused_with_every_reason_and_nothing_is_written(catalogue):
    document = _renumbered(version_document(catalogue), 9)
    indicator = document["dimensions"][0]["indicators"][1]
    indicator["descriptors"] = indicator["descriptors"][:4]
    indicator["sdg_targets"].append("99.9")
    document["dimensions"][2]["indicators"][0]["resources"][0]["url"] = "javascript:alert(1)"
    document["dimensions"][3]["indicators"][0]["weight"] = "-2"
    counts = (CatalogueVersion.objects.count(), Dimension.objects.count(), Indicator.objects.count())

    with pytest.raises(CatalogueImportError) as refused:
        services.catalogue_import(document=document)

    messages = [str(p) for p in refused.value.problems]
    assert any("HC-02 descriptors" in m and "exactly five" in m for m in messages)
    assert any("HC-02 sdg_targets" in m and "99.9" in m for m in messages)
    assert any("url" in m and "javascript" in m for m in messages)
    assert any("IN-01 weight" in m for m in messages)
    assert (CatalogueVersion.objects.count(), Dimension.objects.count(), Indicator.objects.count()) == counts


def test_xlsx_problems_name_the_sheet_and_row(catalogue):
    workbook = load_workbook(io.BytesIO(document_to_xlsx(_renumbered(version_document(catalogue), 10))))
    sheet = workbook["indicators"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=4, column=header.index("question_en") + 1, value="")
    sheet.cell(row=5, column=header.index("evidence_from_level") + 1, value=9)
    out = io.BytesIO()
    workbook.save(out)

    with pytest.raises(CatalogueImportError) as refused:
        services.catalogue_import(document=xlsx_to_document(out.getvalue()))

    messages = [str(p) for p in refused.value.problems]
    assert "indicators!4 question: the English text is missing" in messages
    assert any(m.startswith("indicators!5 evidence_from_level") for m in messages)


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(CatalogueImportError, match="not a readable XLSX"):
        xlsx_to_document(b"PK\x03\x04 not really a zip")


def test_a_workbook_without_its_sheets_is_refused():
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    with pytest.raises(CatalogueImportError) as refused:
        xlsx_to_document(out.getvalue())
    assert {p.where for p in refused.value.problems} >= {"indicators", "dimensions", "catalogue"}


def test_an_existing_version_number_is_never_overwritten(catalogue):
    with pytest.raises(CatalogueImportError, match="already exists"):
        services.catalogue_import(document=version_document(catalogue))


def test_derived_from_must_name_an_indicator_of_the_base_version(catalogue):
    document = _renumbered(version_document(catalogue), 11)
    document["version"]["based_on"] = catalogue.number
    document["dimensions"][0]["indicators"][0]["derived_from"] = "HC-01"
    document["dimensions"][0]["indicators"][1]["derived_from"] = "ZZ-99"
    with pytest.raises(CatalogueImportError, match="ZZ-99"):
        services.catalogue_import(document=document)
    assert not CatalogueVersion.objects.filter(number=11).exists()
