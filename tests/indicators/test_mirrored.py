"""Mirrored indicators (the counterpart answers them too): loaded, exported, imported, copied, edited in the admin."""

import copy
import io
import json

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from indicators import services
from indicators.exchange import document_to_xlsx, version_document, xlsx_to_document
from indicators.models import Indicator
from tests.factories import IndicatorFactory, UserFactory

pytestmark = pytest.mark.django_db

MARKED = {"DE-02", "DE-04", "DC-04"}
VC = {f"VC-0{n}" for n in range(1, 7)}


def _renumbered(document, number):
    document = copy.deepcopy(document)
    document["version"]["number"] = number
    return document


def _marked(version) -> set[str]:
    return set(Indicator.objects.filter(version=version, mirrored=True).values_list("code", flat=True))


def _indicator(document, code):
    return next(i for d in document["dimensions"] for i in d["indicators"] if i["code"] == code)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_shipped_catalogue_marks_a_few_indicators_outside_vc_as_mirrored(catalogue):
    assert _marked(catalogue) == MARKED
    assert not Indicator.objects.filter(version=catalogue, mirrored=True, dimension__code="VC").exists()


def test_mirrored_indicators_are_every_vc_indicator_and_the_marked_ones(catalogue):
    mirrored = Indicator.objects.filter(version=catalogue).mirrored()
    assert set(mirrored.values_list("code", flat=True)) == VC | MARKED
    assert mirrored.count() == len(VC | MARKED)  # the or of the two conditions lists none twice


def test_a_marked_indicator_of_another_dimension_becomes_mirrored():
    plain = IndicatorFactory(dimension__code="HC")
    marked = IndicatorFactory(dimension__code="SP", mirrored=True)
    assert list(Indicator.objects.filter(pk__in=[plain.pk, marked.pk]).mirrored()) == [marked]


def test_json_export_and_import_carry_mirrored(catalogue):
    exported = version_document(catalogue)
    assert _indicator(exported, "DE-04")["mirrored"] is True
    assert _indicator(exported, "DE-01")["mirrored"] is False
    assert _indicator(exported, "VC-01")["mirrored"] is False  # VC is mirrored by its dimension, not marked
    imported = services.catalogue_import(document=_renumbered(json.loads(json.dumps(exported)), 31))
    assert _marked(imported) == MARKED
    assert version_document(imported) == _renumbered(exported, 31)


def test_xlsx_export_has_a_mirrored_column_that_imports_back(catalogue):
    exported = version_document(catalogue)
    workbook = document_to_xlsx(_renumbered(exported, 32))
    sheet = load_workbook(io.BytesIO(workbook))["indicators"]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("mirrored")
    assert {row[1] for row in rows[1:] if row[column] is True} == MARKED
    imported = services.catalogue_import(document=xlsx_to_document(workbook))
    assert _marked(imported) == MARKED
    assert version_document(imported) == _renumbered(exported, 32)


def test_a_json_file_without_mirrored_imports_with_no_indicator_marked(catalogue):
    document = _renumbered(version_document(catalogue), 33)
    for dimension in document["dimensions"]:
        for indicator in dimension["indicators"]:
            del indicator["mirrored"]
    imported = services.catalogue_import(document=document)
    assert Indicator.objects.filter(version=imported).count() == 36
    assert _marked(imported) == set()
    assert set(Indicator.objects.filter(version=imported).mirrored().values_list("code", flat=True)) == VC


def test_a_workbook_without_the_mirrored_column_or_with_blank_cells_imports_with_none_marked(catalogue):
    workbook = load_workbook(io.BytesIO(document_to_xlsx(_renumbered(version_document(catalogue), 34))))
    rows = [list(row) for row in workbook["indicators"].iter_rows(values_only=True)]
    keep = [n for n, name in enumerate(rows[0]) if name != "mirrored"]
    older = Workbook()
    older.remove(older.active)
    for sheet in workbook.worksheets:
        target = older.create_sheet(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            target.append([row[n] for n in keep] if sheet.title == "indicators" else list(row))
    out = io.BytesIO()
    older.save(out)
    assert _marked(services.catalogue_import(document=xlsx_to_document(out.getvalue()))) == set()

    blank = load_workbook(io.BytesIO(document_to_xlsx(_renumbered(version_document(catalogue), 35))))
    sheet = blank["indicators"]
    column = [cell.value for cell in sheet[1]].index("mirrored") + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=column).value = None  # cell(value=None) would leave the value as it was
    out = io.BytesIO()
    blank.save(out)
    assert _marked(services.catalogue_import(document=xlsx_to_document(out.getvalue()))) == set()


def test_a_mirrored_that_is_not_true_or_false_is_refused_and_names_the_row(catalogue):
    document = _renumbered(version_document(catalogue), 36)
    _indicator(document, "DE-02")["mirrored"] = "yes please"
    with pytest.raises(services.CatalogueImportError) as refused:
        services.catalogue_import(document=document)
    assert [str(p) for p in refused.value.problems] == ["indicator DE-02 mirrored: must be true or false"]

    workbook = load_workbook(io.BytesIO(document_to_xlsx(_renumbered(version_document(catalogue), 37))))
    sheet = workbook["indicators"]
    sheet.cell(row=3, column=[cell.value for cell in sheet[1]].index("mirrored") + 1, value="perhaps")
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(services.CatalogueImportError) as refused:
        services.catalogue_import(document=xlsx_to_document(out.getvalue()))
    assert [str(p) for p in refused.value.problems] == ["indicators!3 mirrored: must be true or false"]


def test_a_new_draft_copies_mirrored(catalogue):
    draft = services.version_copy_to_draft(version=catalogue)
    assert _marked(draft) == MARKED


def test_the_admin_edits_mirrored_on_a_draft_in_the_inline_and_the_change_form(admin_client):
    indicator = IndicatorFactory()
    page = admin_client.get(reverse("admin:indicators_indicator_change", args=[indicator.pk]))
    assert b'name="mirrored"' in page.content
    inline = admin_client.get(reverse("admin:indicators_dimension_change", args=[indicator.dimension.pk]))
    assert b'name="indicators-0-mirrored"' in inline.content

    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
    form = admin_client.get(url).context["adminform"].form
    # An unticked box is absent from a posted form.
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and value is not False and name != "sdg_targets"
    }
    data.update(
        {
            "dimension": indicator.dimension.pk,
            "mirrored": "on",
            **{
                f"{prefix}-{key}": value
                for prefix in ("examples", "resources")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    indicator.refresh_from_db()
    assert indicator.mirrored is True


def test_a_published_indicator_shows_mirrored_read_only(admin_client, catalogue):
    indicator = Indicator.objects.get(version=catalogue, code="DE-04")
    page = admin_client.get(reverse("admin:indicators_indicator_change", args=[indicator.pk]))
    assert b'name="mirrored"' not in page.content
    assert b"field-mirrored" in page.content
    inline = admin_client.get(reverse("admin:indicators_dimension_change", args=[indicator.dimension.pk]))
    assert b"-mirrored" not in inline.content.replace(b"field-mirrored", b"")
    assert b"field-mirrored" in inline.content
