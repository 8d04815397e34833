"""Help while filling in: the card says what a level still needs (evidence, a justification) before submission."""

import copy
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments import services
from assessments.models import Answer
from assessments.sheet import answer_needs
from indicators import services as catalogue_services
from indicators.exchange import CatalogueImportError, document_to_xlsx, version_document, xlsx_to_document
from indicators.models import Indicator
from tests.participation.factories import ConsultationFactory
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db

EVIDENCE_HINT = "Level 3 needs evidence before the round can be submitted: add a file or link below."
JUSTIFICATION_HINT = "Level 3 needs a justification before the round can be submitted"


@pytest.fixture
def hc01(draft):
    """HC-01 asks for evidence and a justification from level 3."""
    Indicator.objects.filter(version=draft.version, code="HC-01").update(
        evidence_from_level=3, justification_from_level=3
    )
    return Indicator.objects.get(version=draft.version, code="HC-01")


def _hints(html: str, code: str = "HC-01") -> str:
    """The content of the card's live region of hints."""
    return html.split(f'id="hints-{code}"')[1].split("</div>")[0]


def _card_hints(client, round, code="HC-01") -> str:
    response = client.get(reverse("round_dimension", args=[round.pk, code.split("-")[0]]))
    assert response.status_code == 200
    return _hints(response.content.decode(), code)


def _autosave(client, round, code, choice, justification=""):
    revision = Answer.objects.filter(round=round, indicator__code=code).values_list("revision", flat=True).first() or 0
    response = client.post(
        reverse("answer_save", args=[round.pk, code]),
        {f"{code}-choice": choice, f"{code}-justification": justification, f"{code}-revision": revision},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    return response.content.decode()


# --- on the card ---------------------------------------------------------------------------------


def test_level_two_under_the_thresholds_shows_no_hint(client, quito, draft, hc01):
    answer(draft, "HC-01", quito.editor, level=2, justification="")
    client.force_login(quito.editor)

    hints = _card_hints(client, draft)

    assert "needs evidence" not in hints and "needs a justification" not in hints


def test_level_three_without_evidence_or_justification_says_what_is_missing(client, quito, draft, hc01):
    answer(draft, "HC-01", quito.editor, level=3, justification="")
    client.force_login(quito.editor)

    hints = _card_hints(client, draft)

    assert EVIDENCE_HINT in hints
    assert JUSTIFICATION_HINT in hints


def test_level_three_with_evidence_and_justification_shows_no_hint(client, quito, draft, hc01):
    answer(
        draft, "HC-01", quito.editor, level=3, justification="Adopted in 2024.", evidence_url="https://example.org/a"
    )
    client.force_login(quito.editor)

    hints = _card_hints(client, draft)

    assert "needs evidence" not in hints and "needs a justification" not in hints


def test_a_consultation_that_discussed_the_indicator_counts_as_evidence(client, quito, draft, hc01):
    answer(draft, "HC-01", quito.editor, level=3, justification="Adopted in 2024.")
    ConsultationFactory(round=draft, indicators=["HC-01"])
    client.force_login(quito.editor)

    assert "needs evidence" not in _card_hints(client, draft)


def test_the_justification_hint_follows_the_catalogues_level(client, quito, draft, hc01):
    Indicator.objects.filter(pk=hc01.pk).update(justification_from_level=2)
    answer(draft, "HC-01", quito.editor, level=2, justification="")
    client.force_login(quito.editor)

    html = client.get(reverse("round_dimension", args=[draft.pk, "HC"])).content.decode()

    assert "Level 2 needs a justification" in _hints(html)
    assert "(required from level 2)" in html.split('id="indicator-HC-01"')[1].split("</article>")[0]
    assert "(required from level 3)" in html.split('id="indicator-HC-02"')[1].split("</article>")[0]


def test_the_hints_are_a_live_region_the_justification_points_to(client, quito, draft, hc01):
    client.force_login(quito.editor)

    html = client.get(reverse("round_dimension", args=[draft.pk, "HC"])).content.decode()

    assert '<div id="hints-HC-01" class="answer-hints" aria-live="polite">' in html
    assert 'aria-describedby="HC-01-justification-help hints-HC-01"' in html


# --- after an autosave ---------------------------------------------------------------------------


def test_the_hints_appear_and_go_with_each_autosave(client, quito, draft, hc01):
    client.force_login(quito.editor)

    at_two = _hints(_autosave(client, draft, "HC-01", "2"))
    at_three = _autosave(client, draft, "HC-01", "3")
    justified = _hints(_autosave(client, draft, "HC-01", "3", "Adopted by the council in 2024."))

    assert "needs" not in at_two
    assert 'id="hints-HC-01" hx-swap-oob="innerHTML"' in at_three
    assert EVIDENCE_HINT in _hints(at_three) and JUSTIFICATION_HINT in _hints(at_three)
    assert EVIDENCE_HINT in justified and "needs a justification" not in justified


def test_after_evidence_the_autosave_no_longer_asks_for_it(client, quito, draft, hc01):
    answer(draft, "HC-01", quito.editor, level=2, evidence_url="https://example.org/minutes.pdf", justification="")
    client.force_login(quito.editor)

    hints = _hints(_autosave(client, draft, "HC-01", "4", "Institutionalised by decree."))

    assert "needs" not in hints


def test_a_whitespace_justification_still_needs_one(client, quito, draft, hc01):
    client.force_login(quito.editor)

    hints = _hints(_autosave(client, draft, "HC-01", "3", "   "))

    assert JUSTIFICATION_HINT in hints


# --- submission ----------------------------------------------------------------------------------


def test_submission_is_refused_for_a_level_three_without_justification(draft, quito):
    answer_everything(draft, quito.editor, level=2)
    answer(draft, "HC-02", quito.editor, level=3, justification="")  # its evidence is there, its justification is not

    with pytest.raises(services.SubmissionRefused) as refused:
        services.round_submit(round=draft, actor=quito.approver)

    assert [(p.indicator.code, p.reason) for p in refused.value.problems] == [
        ("HC-02", "level 3 needs a justification")
    ]


def test_submission_accepts_level_two_without_justification(draft, quito):
    answer_everything(draft, quito.editor, level=2)

    submitted = services.round_submit(round=draft, actor=quito.approver)

    assert submitted.status == "submitted"
    assert not Answer.objects.filter(round=draft).exclude(justification="").exists()


def test_submission_accepts_level_three_with_a_justification(draft, quito):
    answer_everything(draft, quito.editor, level=2)
    answer(draft, "HC-02", quito.editor, level=3, justification="Adopted in 2024.")

    assert services.round_submit(round=draft, actor=quito.approver).status == "submitted"


# --- the catalogue exchange ----------------------------------------------------------------------


def _renumbered(document, number):
    document = copy.deepcopy(document)
    document["version"]["number"] = number
    return document


def test_justification_from_level_goes_through_json_and_xlsx(catalogue):
    Indicator.objects.filter(version=catalogue, code="SP-02").update(justification_from_level=2)
    exported = version_document(catalogue)
    [sp02] = [i for d in exported["dimensions"] for i in d["indicators"] if i["code"] == "SP-02"]
    assert sp02["justification_from_level"] == 2

    from_json = catalogue_services.catalogue_import(document=_renumbered(exported, 21))
    from_xlsx = catalogue_services.catalogue_import(
        document=xlsx_to_document(document_to_xlsx(_renumbered(exported, 22)))
    )

    for version in (from_json, from_xlsx):
        levels = dict(Indicator.objects.filter(version=version).values_list("code", "justification_from_level"))
        assert levels["SP-02"] == 2 and levels["SP-01"] == 3


def test_a_document_without_justification_levels_loads_with_level_three(catalogue):
    document = _renumbered(version_document(catalogue), 23)
    for dimension in document["dimensions"]:
        for indicator in dimension["indicators"]:
            del indicator["justification_from_level"]

    version = catalogue_services.catalogue_import(document=document)

    assert set(Indicator.objects.filter(version=version).values_list("justification_from_level", flat=True)) == {3}


def test_a_workbook_without_the_column_loads_with_level_three(catalogue):
    book = load_workbook(io.BytesIO(document_to_xlsx(_renumbered(version_document(catalogue), 24))))
    sheet = book["indicators"]
    header = [cell.value for cell in sheet[1]]
    sheet.delete_cols(header.index("justification_from_level") + 1)
    out = io.BytesIO()
    book.save(out)

    version = catalogue_services.catalogue_import(document=xlsx_to_document(out.getvalue()))

    assert set(Indicator.objects.filter(version=version).values_list("justification_from_level", flat=True)) == {3}


@pytest.mark.parametrize("value", [0, 5, "three", True])
def test_a_justification_level_off_the_scale_is_refused(catalogue, value):
    document = _renumbered(version_document(catalogue), 25)
    document["dimensions"][0]["indicators"][0]["justification_from_level"] = value

    with pytest.raises(CatalogueImportError) as refused:
        catalogue_services.catalogue_import(document=document)

    assert any("HC-01 justification_from_level" in str(p) for p in refused.value.problems)


# --- one rule for the hints and the submission -------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "justification", "with_evidence", "needs"),
    [
        (2, "", False, []),
        (3, "", False, ["evidence", "justification"]),
        (3, "  ", True, ["justification"]),
        (3, "Minutes", False, ["evidence"]),
        (4, "Minutes", True, []),
    ],
)
def test_the_hints_and_the_submission_read_one_rule(
    client, quito, draft, hc01, level, justification, with_evidence, needs
):
    url = "https://example.org/minutes.pdf" if with_evidence else None
    answer(draft, "HC-01", quito.editor, level=level, justification=justification, evidence_url=url)
    saved = Answer.objects.get(round=draft, indicator=hc01)

    assert answer_needs(hc01, saved, with_evidence) == needs
    client.force_login(quito.editor)
    hints = _card_hints(client, draft)
    assert ("answer-hint-evidence" in hints) == ("evidence" in needs)
    assert ("answer-hint-justification" in hints) == ("justification" in needs)
    problems = [p.reason for p in services.round_problems(draft) if p.indicator.code == "HC-01"]
    assert problems == (
        [f"level {level} needs {'evidence' if needs[0] == 'evidence' else 'a justification'}"] if needs else []
    )


def test_nothing_is_needed_of_an_answer_that_is_no_level(quito, draft, hc01):
    answer(draft, "HC-01", quito.editor, response="dk")

    assert answer_needs(hc01, Answer.objects.get(round=draft, indicator=hc01), False) == []
    assert answer_needs(hc01, None, False) == []
