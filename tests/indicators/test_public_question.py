"""The catalogue's public wording: loaded, exported, imported, copied, edited in the admin, asked by surveys."""

import copy
import io
import json

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from indicators import services
from indicators.exchange import document_to_xlsx, version_document, xlsx_to_document
from indicators.models import Indicator
from tests.factories import IndicatorFactory, UserFactory

pytestmark = pytest.mark.django_db

LANGS = tuple(code for code, _name in settings.LANGUAGES)


def _renumbered(document, number):
    document = copy.deepcopy(document)
    document["version"]["number"] = number
    return document


def _without_public_question(document):
    document = copy.deepcopy(document)
    for dimension in document["dimensions"]:
        for indicator in dimension["indicators"]:
            del indicator["public_question"]
    return document


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("lang", LANGS)
def test_load_catalogue_gives_every_indicator_a_short_public_question(catalogue, lang):
    indicators = list(Indicator.objects.filter(version=catalogue))
    assert len(indicators) == 36
    for indicator in indicators:
        text = getattr(indicator, f"public_question_{lang}")
        assert text.strip(), f"{indicator.code} has no public question in {lang}"
        assert len(text) <= 200, f"{indicator.code} ({lang}) is {len(text)} characters long"
        assert text != getattr(indicator, f"question_{lang}"), f"{indicator.code} ({lang}) repeats the question"


def test_json_export_and_import_carry_the_public_question_in_every_language(catalogue):
    exported = version_document(catalogue)
    hc01 = exported["dimensions"][0]["indicators"][0]
    assert set(hc01["public_question"]) == set(LANGS)
    imported = services.catalogue_import(document=_renumbered(json.loads(json.dumps(exported)), 21))
    copy_of_hc01 = Indicator.objects.get(version=imported, code=hc01["code"])
    for lang in LANGS:
        assert getattr(copy_of_hc01, f"public_question_{lang}") == hc01["public_question"][lang]


def test_xlsx_export_has_public_question_columns_that_import_back(catalogue):
    exported = version_document(catalogue)
    workbook = document_to_xlsx(_renumbered(exported, 22))
    header = [cell.value for cell in next(load_workbook(io.BytesIO(workbook))["indicators"].iter_rows(max_row=1))]
    assert {f"public_question_{lang}" for lang in LANGS} <= set(header)
    imported = services.catalogue_import(document=xlsx_to_document(workbook))
    assert version_document(imported) == _renumbered(exported, 22)


def test_a_json_file_without_public_questions_imports_with_them_blank(catalogue):
    document = _without_public_question(_renumbered(version_document(catalogue), 23))
    imported = services.catalogue_import(document=document)
    indicators = Indicator.objects.filter(version=imported)
    assert indicators.count() == 36
    assert not indicators.exclude(public_question_en="").exists()
    assert not indicators.exclude(public_question_fr="").exists()


def test_a_workbook_without_public_question_columns_imports_with_them_blank(catalogue):
    workbook = load_workbook(io.BytesIO(document_to_xlsx(_renumbered(version_document(catalogue), 24))))
    # Rewrite the indicators sheet as an older export had it: the same columns but the public wording.
    old = workbook["indicators"]
    rows = [list(row) for row in old.iter_rows(values_only=True)]
    keep = [n for n, name in enumerate(rows[0]) if not str(name).startswith("public_question_")]
    older = Workbook()
    older.remove(older.active)
    for sheet in workbook.worksheets:
        target = older.create_sheet(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            target.append([row[n] for n in keep] if sheet.title == "indicators" else list(row))
    out = io.BytesIO()
    older.save(out)
    document = xlsx_to_document(out.getvalue())
    imported = services.catalogue_import(document=document)
    assert Indicator.objects.filter(version=imported).count() == 36
    assert not Indicator.objects.filter(version=imported).exclude(public_question_es="").exists()


def test_a_public_question_that_is_not_texts_per_language_is_refused(catalogue):
    document = _renumbered(version_document(catalogue), 25)
    document["dimensions"][0]["indicators"][0]["public_question"] = "Plain words?"
    document["dimensions"][0]["indicators"][1]["public_question"] = {"de": "Auf Deutsch?"}
    with pytest.raises(services.CatalogueImportError) as refused:
        services.catalogue_import(document=document)
    places = [problem.where for problem in refused.value.problems]
    assert any(where.endswith("HC-01 public_question") for where in places)
    assert any(where.endswith("HC-02 public_question") for where in places)


def test_a_new_draft_copies_the_public_question(catalogue):
    draft = services.version_copy_to_draft(version=catalogue)
    original = Indicator.objects.get(version=catalogue, code="SP-01")
    copied = Indicator.objects.get(version=draft, code="SP-01")
    for lang in LANGS:
        assert getattr(copied, f"public_question_{lang}") == getattr(original, f"public_question_{lang}")


def test_survey_question_is_the_public_wording_or_else_the_question():
    worded = IndicatorFactory(question_en="Is there an inter-departmental body?", public_question_en="Do they meet?")
    unworded = IndicatorFactory(question_en="Is there a focal point?", public_question_en="")
    with translation.override("en"):
        assert worded.survey_question == "Do they meet?"
        assert unworded.survey_question == "Is there a focal point?"


def test_survey_question_follows_the_active_language(catalogue):
    indicator = Indicator.objects.get(version=catalogue, code="HC-01")
    with translation.override("fr"):
        assert indicator.survey_question == indicator.public_question_fr
    with translation.override("es"):
        assert indicator.survey_question == indicator.public_question_es


def test_the_admin_change_form_of_a_draft_edits_the_public_question_in_every_language(admin_client):
    indicator = IndicatorFactory(public_question_en="Do they meet?")
    page = admin_client.get(reverse("admin:indicators_indicator_change", args=[indicator.pk]))
    for lang in LANGS:
        assert f'name="public_question_{lang}"'.encode() in page.content
    inline = admin_client.get(reverse("admin:indicators_dimension_change", args=[indicator.dimension.pk]))
    assert b'name="indicators-0-public_question_en"' in inline.content


def test_the_admin_saves_a_draft_public_question(admin_client):
    indicator = IndicatorFactory()
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name not in {"sdg_targets"}}
    data.update(
        {
            "dimension": indicator.dimension.pk,
            "public_question_en": "Do the departments meet?",
            "public_question_fr": "Les services se réunissent-ils ?",
            "public_question_es": "¿Se reúnen las dependencias?",
            **{f"{prefix}-{key}": value for prefix in ("examples", "resources") for key, value in _empty_formset()},
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    indicator.refresh_from_db()
    assert indicator.public_question_fr == "Les services se réunissent-ils ?"


def _empty_formset():
    return [("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"), ("MAX_NUM_FORMS", "1000")]


def test_a_published_indicator_shows_the_public_question_read_only(admin_client, catalogue):
    indicator = Indicator.objects.get(version=catalogue, code="HC-01")
    page = admin_client.get(reverse("admin:indicators_indicator_change", args=[indicator.pk]))
    assert b'name="public_question_en"' not in page.content
    assert indicator.public_question_en.replace("'", "&#x27;").encode() in page.content
