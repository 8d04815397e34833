"""The offline workbook: download, fill in offline, upload (the dry run), confirm; bad files refused, nothing half-written."""

import datetime
import io
import random
import re
import zipfile
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from assessments import services
from assessments.models import Answer, AnswerRevision, Round
from collaboration import workbook
from collaboration.models import WorkbookImport
from collaboration.workbook_panels import round_page_section
from indicators.models import Dimension
from indicators.rules import Level
from tests.factories import DimensionFactory, IndicatorFactory, VersionFactory
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db


# --- helpers: what a person does with the workbook -------------------------------------------------


def _download(client, round: Round) -> bytes:
    response = client.get(reverse("workbook_download", args=[round.pk]))
    assert response.status_code == 200, response.content[:500]
    return response.content


def _edit(data: bytes, rows: dict[str, dict], *, sheet_edits=None) -> bytes:
    """Change cells of the workbook as a person would in a spreadsheet: {code: {"response": …, "justification": …}}."""
    book = load_workbook(io.BytesIO(data))
    for ws in book.worksheets:
        for row in ws.iter_rows(min_row=2):
            code = row[workbook.CODE - 1].value
            if code in rows:
                for key, value in rows[code].items():
                    column = {"response": workbook.RESPONSE, "justification": workbook.JUSTIFICATION}.get(key, key)
                    row[column - 1].value = value
    if sheet_edits:
        sheet_edits(book)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _upload(client, round: Round, data: bytes, name: str = "filled-in.xlsx"):
    return client.post(
        reverse("workbook_upload", args=[round.pk]), {"file": SimpleUploadedFile(name, data, content_type="")}
    )


def _state(round: Round) -> tuple:
    """Everything an upload could write: answers as they are, their history, the imports kept."""
    answers = sorted(Answer.objects.filter(round=round).values_list("indicator__code", "response", "level", "revision"))
    return answers, AnswerRevision.objects.filter(answer__round=round).count(), WorkbookImport.objects.count()


def _answer_of(round: Round, code: str) -> Answer:
    return Answer.objects.get(round=round, indicator__code=code)


@pytest.fixture
def editor_client(client, quito):
    client.force_login(quito.editor)
    return client


# --- the workbook as downloaded ------------------------------------------------------------------------------


def test_the_workbook_has_a_locked_sheet_per_kept_dimension_with_the_answers_and_a_signed_hidden_meta(
    editor_client, quito, draft
):
    answer(draft, "HC-01", quito.editor, level=2, justification="Council minutes")
    services.evidence_add(
        round=draft,
        indicator=_answer_of(draft, "HC-01").indicator,
        actor=quito.editor,
        description="Minutes",
        url="https://example.org/m.pdf",
    )
    services.round_dimension_toggle(
        round=draft, dimension=Dimension.objects.get(version=draft.version, code="DC"), actor=quito.approver
    )

    response = editor_client.get(reverse("workbook_download", args=[draft.pk]))

    assert response["Content-Disposition"] == 'attachment; filename="coherence-quito-2025.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    titles = book.sheetnames
    assert titles[1:] == [
        "HC Horizontal coherence",
        "VC Vertical coherence",
        "SP Stakeholder participation",  # 31 characters at most
        "IN Institutionalisation",
        "DE Data and evidence",
        "_meta",
    ]  # DC was left out of the round
    assert all(len(title) <= 31 for title in titles)
    assert book["_meta"].sheet_state == "veryHidden"
    hc = book["HC Horizontal coherence"]
    header = [cell.value for cell in hc[1]]
    assert header[:3] == ["Code", "Question", f"0 — {Level.NOT_IN_PLACE.label}"]
    row = {cell.column: cell for cell in hc[2]}
    assert row[workbook.CODE].value == "HC-01"
    assert row[workbook.RESPONSE].value == 2
    assert row[workbook.JUSTIFICATION].value == "Council minutes"
    assert row[workbook.EVIDENCE].value == "Minutes — https://example.org/m.pdf"
    assert row[workbook.REVISION].value == _answer_of(draft, "HC-01").revision
    assert hc.column_dimensions["K"].hidden
    assert hc.protection.sheet
    assert row[workbook.QUESTION].protection.locked and row[workbook.EVIDENCE].protection.locked
    assert not row[workbook.RESPONSE].protection.locked and not row[workbook.JUSTIFICATION].protection.locked
    # The drop-down offers N/A only where the indicator allows it (HC-03 does, HC-01 does not).
    lists = {str(dv.sqref): dv.formula1 for dv in hc.data_validations.dataValidation}
    with_na = next(formula for cells, formula in lists.items() if "N3" in cells or "H4" in cells)
    without_na = next(formula for cells, formula in lists.items() if "H2" in cells.split())
    assert "N/A" in with_na and "Don't know" in with_na
    assert "N/A" not in without_na and "0,1,2,3,4" in without_na
    meta = {r[0].value: r[1].value for r in book["_meta"].iter_rows()}
    assert meta["round"] == draft.pk and meta["version"] == draft.version_id and meta["authority"] == "quito"
    assert meta["signature"] and meta["generated_at"]


def test_the_workbook_speaks_the_users_language(editor_client, draft):
    editor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    book = load_workbook(io.BytesIO(_download(editor_client, draft)))

    with translation.override("es"):
        expected = f"0 — {Level.NOT_IN_PLACE.label}"
    with translation.override("en"):
        assert expected != f"0 — {Level.NOT_IN_PLACE.label}"
    assert book.worksheets[1].cell(row=1, column=workbook.FIRST_DESCRIPTOR).value == expected
    assert book.worksheets[1].title == "HC Coherencia horizontal"


# --- the round trip ----------------------------------------------------------------------------------------


def test_a_workbook_filled_in_offline_shows_exactly_its_changes_then_saves_them_with_history(
    editor_client, quito, draft
):
    answer(draft, "HC-01", quito.approver, level=1, justification="Ad hoc meetings")
    answer(draft, "VC-02", quito.approver, level=2, justification="A protocol")
    data = _download(editor_client, draft)
    filled = _edit(
        data,
        {
            "HC-01": {"response": 3, "justification": "A standing committee meets monthly."},
            "HC-03": {"response": "N/A"},
            "VC-02": {"justification": "A protocol signed with the province"},
        },
    )
    revisions_before = AnswerRevision.objects.filter(answer__round=draft).count()

    response = _upload(editor_client, draft, filled)

    assert response.status_code == 200
    check = response.context["check"]
    assert not check.errors
    assert [(c.code, c.response, c.level, c.justification) for c in check.changes] == [
        ("HC-01", "level", 3, "A standing committee meets monthly."),
        ("HC-03", "na", None, ""),
        ("VC-02", "level", 2, "A protocol signed with the province"),
    ]
    assert check.changes[0].old_level == 1 and check.changes[0].old_justification == "Ad hoc meetings"
    page = response.content.decode()
    assert "A standing committee meets monthly." in page and "Ad hoc meetings" in page
    # Nothing is written by the dry run.
    assert _answer_of(draft, "HC-01").level == 1
    pending = WorkbookImport.objects.get(round=draft)
    assert pending.status == WorkbookImport.Status.PENDING and pending.uploaded_by == quito.editor
    assert reverse("workbook_apply", args=[draft.pk, pending.pk]) in page

    response = editor_client.post(reverse("workbook_apply", args=[draft.pk, pending.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("round_detail", args=[draft.pk])
    hc01 = _answer_of(draft, "HC-01")
    assert (hc01.level, hc01.justification, hc01.updated_by) == (3, "A standing committee meets monthly.", quito.editor)
    assert _answer_of(draft, "HC-03").response == "na"
    assert _answer_of(draft, "VC-02").justification == "A protocol signed with the province"
    new_revisions = AnswerRevision.objects.filter(answer__round=draft).order_by("id")[revisions_before:]
    assert all(r.new == r.answer.state() for r in new_revisions)
    assert {(r.answer.indicator.code, r.changed_by_id) for r in new_revisions} == {
        ("HC-01", quito.editor.pk),
        ("HC-03", quito.editor.pk),
        ("VC-02", quito.editor.pk),
    }
    pending.refresh_from_db()
    assert pending.status == WorkbookImport.Status.APPLIED and pending.applied_at is not None
    # Confirming twice writes nothing more.
    again = editor_client.post(reverse("workbook_apply", args=[draft.pk, pending.pk]))
    assert again.status_code == 409


def test_an_unchanged_workbook_changes_nothing_and_keeps_no_import(editor_client, quito, draft):
    answer(draft, "HC-01", quito.editor, level=1, justification="Line one\nline two")
    answer(draft, "HC-02", quito.editor, level=2, justification="From a browser's form\r\nline two ")
    answer(draft, "HC-03", quito.editor, response="na", justification="=not a formula, typed online")
    answer(draft, "HC-04", quito.editor, response="dk")

    response = _upload(editor_client, draft, _download(editor_client, draft))

    assert response.status_code == 200
    assert response.context["check"].changes == [] and not response.context["check"].errors
    assert not WorkbookImport.objects.exists()


def test_discarding_an_upload_writes_nothing(editor_client, quito, draft):
    response = _upload(editor_client, draft, _edit(_download(editor_client, draft), {"HC-01": {"response": 2}}))
    pending = response.context["check"].workbook_import
    before = _state(draft)

    response = editor_client.post(reverse("workbook_discard", args=[draft.pk, pending.pk]))

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == WorkbookImport.Status.DISCARDED
    assert _state(draft) == before
    assert editor_client.post(reverse("workbook_apply", args=[draft.pk, pending.pk])).status_code == 409


# --- conflicts ---------------------------------------------------------------------------------------------


def test_a_row_changed_in_the_workbook_and_saved_online_since_is_a_conflict_and_nothing_is_written(
    editor_client, quito, draft
):
    answer(draft, "HC-01", quito.editor, level=1)
    answer(draft, "HC-02", quito.editor, level=1)
    data = _download(editor_client, draft)
    # A colleague autosaves both after the download; the workbook changes HC-01 only.
    answer(draft, "HC-01", quito.approver, level=2, justification="Colleague's version")
    answer(draft, "HC-02", quito.approver, level=4)
    filled = _edit(data, {"HC-01": {"response": 3}, "HC-05": {"response": 0}})
    before = _state(draft)

    response = _upload(editor_client, draft, filled)

    assert response.status_code == 422
    check = response.context["check"]
    assert [(c.code, c.conflict) for c in check.changes] == [("HC-01", True), ("HC-05", False)]
    assert check.changes[0].theirs_by == quito.approver.username
    # HC-02 was not changed in the workbook: its stale revision is no conflict, the colleague's level stands.
    assert "HC-02" not in {c.code for c in check.changes}
    assert not check.ok and "Confirm" not in response.content.decode()
    assert "table-warning" in response.content.decode()
    assert _state(draft) == before


def test_a_save_online_between_the_dry_run_and_the_confirmation_rolls_everything_back(editor_client, quito, draft):
    answer(draft, "HC-01", quito.editor, level=1)
    filled = _edit(_download(editor_client, draft), {"HC-01": {"response": 3}, "HC-02": {"response": 2}})
    pending = _upload(editor_client, draft, filled).context["check"].workbook_import
    answer(draft, "HC-01", quito.approver, level=4)  # the colleague is quicker
    before = _state(draft)

    response = editor_client.post(reverse("workbook_apply", args=[draft.pk, pending.pk]))

    assert response.status_code == 409
    assert "HC-01" in response.content.decode()
    assert _state(draft) == before  # HC-02, first in the workbook or not, is not written either
    assert not Answer.objects.filter(round=draft, indicator__code="HC-02").exists()
    pending.refresh_from_db()
    assert pending.status == WorkbookImport.Status.PENDING


# --- bad files: refused whole, nothing written -----------------------------------------------------------


def _other_version_round(quito):
    version = VersionFactory(published=True)
    dimension = DimensionFactory(version=version, code="HC")
    IndicatorFactory(dimension=dimension, code="HC-01", complete=True)
    return services.round_create(authority=quito.authority, period="2023", actor=quito.approver, version=version)


def _tamper_meta(key, value):
    def edit(book):
        for row in book["_meta"].iter_rows():
            if row[0].value == key:
                row[1].value = value

    return edit


def _with_member(data: bytes, name: str) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, b"\x00" * 64)
    return output.getvalue()


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (lambda c, q, r: b"just some text, not a spreadsheet", "answers.xlsx", "not an XLSX workbook"),
        (lambda c, q, r: b"PK\x03\x04 broken zip", "answers.xlsx", "not an XLSX workbook"),
        (lambda c, q, r: _download(c, r), "answers.xlsm", "macros"),
        (lambda c, q, r: _with_member(_download(c, r), "xl/vbaProject.bin"), "answers.xlsx", "macros"),
        (
            lambda c, q, r: _download(c, services.round_create(authority=q.authority, period="2024", actor=q.approver)),
            "answers.xlsx",
            "another round (quito 2024",
        ),
        (lambda c, q, r: _download(c, _other_version_round(q)), "answers.xlsx", "another version of the catalogue"),
        (
            lambda c, q, r: _edit(_download(c, r), {}, sheet_edits=_tamper_meta("round", r.pk + 1)),
            "answers.xlsx",
            "changed where it must not be",
        ),
        (
            lambda c, q, r: _edit(_download(c, r), {}, sheet_edits=_tamper_meta("rows", "[]")),
            "answers.xlsx",
            "changed where it must not be",
        ),
        (
            lambda c, q, r: _edit(_download(c, r), {}, sheet_edits=lambda book: book.remove(book["_meta"])),
            "answers.xlsx",
            "not downloaded from this site",
        ),
    ],
    ids=[
        "text",
        "not-a-zip",
        "xlsm",
        "vba-project",
        "other-round",
        "other-version",
        "meta-round",
        "meta-rows",
        "no-meta",
    ],
)
def test_a_file_that_is_not_this_rounds_workbook_is_refused_whole(editor_client, quito, draft, make, name, message):
    answer(draft, "HC-01", quito.editor, level=1)
    data = make(editor_client, quito, draft)
    before = _state(draft)

    response = _upload(editor_client, draft, data, name=name)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert "check" not in response.context
    assert _state(draft) == before


def test_a_50_mb_file_is_refused_before_it_is_read(quito, draft):
    upload = TemporaryUploadedFile("huge.xlsx", "application/octet-stream", 50 * 1024 * 1024, None)
    upload.file.truncate(50 * 1024 * 1024)
    before = _state(draft)

    with mock.patch("openpyxl.load_workbook") as parse, pytest.raises(workbook.WorkbookRefused) as refused:
        workbook.workbook_check(draft, quito.editor, upload)

    upload.close()
    assert "at most 5.0\xa0MB" in refused.value.messages[0]
    parse.assert_not_called()
    assert _state(draft) == before


def test_a_50_mb_upload_is_answered_413_before_any_view_reads_it(editor_client, draft):
    big = SimpleUploadedFile("huge.xlsx", b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024))

    response = editor_client.post(reverse("workbook_upload", args=[draft.pk]), {"file": big})

    assert response.status_code == 413
    assert not WorkbookImport.objects.exists()


def test_the_size_limit_is_a_setting(editor_client, draft, settings):
    settings.WORKBOOK_MAX_BYTES = 1000

    response = _upload(editor_client, draft, _download(editor_client, draft))

    assert response.status_code == 422
    assert "a workbook may be at most 1000\xa0bytes" in response.content.decode()


# --- bad rows: every one listed with its sheet, row and code; nothing written ------------------------------


def test_every_bad_row_is_listed_with_its_sheet_row_and_code_and_nothing_is_kept(editor_client, quito, draft):
    answer(draft, "HC-01", quito.editor, level=1)

    def add_unknown_row(book):
        book["HC Horizontal coherence"].append(["HC-99", "A question of my own", None, None, None, None, None, 2])

    filled = _edit(
        _download(editor_client, draft),
        {
            "HC-01": {"response": "N/A"},  # HC-01 does not allow N/A
            "HC-02": {"response": 7},
            "HC-05": {"response": "high"},
            "HC-06": {"justification": '=HYPERLINK("https://evil.example")'},
            "VC-01": {"response": "=1+2"},
            "VC-02": {"response": 3},  # a good row: still nothing is kept
        },
        sheet_edits=add_unknown_row,
    )
    before = _state(draft)

    response = _upload(editor_client, draft, filled)

    assert response.status_code == 422
    errors = {(e.sheet, e.row, e.code): e.message for e in response.context["check"].errors}
    hc, vc = "HC Horizontal coherence", "VC Vertical coherence"
    assert set(errors) == {(hc, 2, "HC-01"), (hc, 3, "HC-02"), (hc, 6, "HC-05"), (hc, 7, "HC-06"), (vc, 2, "VC-01"),
                           (hc, 10, "HC-99")}  # fmt: skip
    assert "not applicable" in errors[(hc, 2, "HC-01")]
    assert "“7” is not an allowed response" in errors[(hc, 3, "HC-02")]
    assert "“high” is not an allowed response" in errors[(hc, 6, "HC-05")]
    assert "formula (in I7)" in errors[(hc, 7, "HC-06")]
    assert "formula (in H2)" in errors[(vc, 2, "VC-01")]
    assert "Unknown code" in errors[(hc, 10, "HC-99")]
    page = response.content.decode()
    assert "HC-99" in page and hc in page and "Confirm" not in page
    assert _state(draft) == before


def test_a_changed_hidden_revision_is_an_error_of_its_row(editor_client, quito, draft):
    answer(draft, "HC-01", quito.editor, level=1)
    filled = _edit(_download(editor_client, draft), {"HC-01": {"response": 2, workbook.REVISION: 99}})

    response = _upload(editor_client, draft, filled)

    assert response.status_code == 422
    [error] = response.context["check"].errors
    assert error.code == "HC-01" and "hidden revision" in error.message
    assert not WorkbookImport.objects.exists()


def test_in_a_returned_round_only_the_returned_indicators_can_change(client, quito, draft, reviewer):
    answer_everything(draft, quito.editor)
    services.round_submit(round=draft, actor=quito.approver)
    hc01 = _answer_of(draft, "HC-01").indicator
    services.round_review(
        round=draft,
        actor=reviewer,
        decisions={hc01.pk: services.Decision(comment="Say more", send_back=True)},
        action=services.ReviewAction.RETURN,
    )
    client.force_login(quito.editor)
    filled = _edit(_download(client, draft), {"HC-01": {"response": 3}, "HC-02": {"response": 3}})

    response = _upload(client, draft, filled)

    assert response.status_code == 422
    check = response.context["check"]
    assert [c.code for c in check.changes] == ["HC-01"]
    assert [(e.code, e.message) for e in check.errors] == [
        ("HC-02", "Only the indicators the reviewer returned can be changed now.")
    ]


# --- who may do what -----------------------------------------------------------------------------------------


def test_another_citys_people_get_a_404_for_everything(client, quito, draft):
    filled = _edit(_download_as(client, quito.editor, draft), {"HC-01": {"response": 2}})
    pending = _upload(client, draft, filled).context["check"].workbook_import
    other = make_city("lima")
    client.force_login(other.approver)
    before = _state(draft)

    assert client.get(reverse("workbook_download", args=[draft.pk])).status_code == 404
    assert client.get(reverse("workbook_upload", args=[draft.pk])).status_code == 404
    assert _upload(client, draft, filled).status_code == 404
    assert client.post(reverse("workbook_apply", args=[draft.pk, pending.pk])).status_code == 404
    assert client.post(reverse("workbook_discard", args=[draft.pk, pending.pk])).status_code == 404
    assert _state(draft) == before


def _download_as(client, user, round):
    client.force_login(user)
    return _download(client, round)


def test_an_editor_may_download_a_submitted_round_but_not_upload_to_it(client, quito, submitted):
    data = _download_as(client, quito.editor, submitted)

    assert client.get(reverse("workbook_upload", args=[submitted.pk])).status_code == 403
    response = _upload(client, submitted, _edit(data, {"HC-01": {"response": 4}}))
    assert response.status_code == 403
    assert "You cannot change this round now." in response.content.decode()
    assert not WorkbookImport.objects.exists()


def test_a_reviewer_may_download_a_submitted_round_but_not_upload(client, reviewer, submitted):
    assert _download_as(client, reviewer, submitted)
    assert client.get(reverse("workbook_upload", args=[submitted.pk])).status_code == 403


def test_only_the_uploader_may_confirm(client, quito, draft):
    filled = _edit(_download_as(client, quito.editor, draft), {"HC-01": {"response": 2}})
    pending = _upload(client, draft, filled).context["check"].workbook_import
    client.force_login(quito.approver)

    response = client.post(reverse("workbook_apply", args=[draft.pk, pending.pk]))

    assert response.status_code == 403
    assert not Answer.objects.filter(round=draft, indicator__code="HC-01").exists()


def test_applying_is_refused_once_the_round_was_submitted_in_between(client, quito, draft):
    answer_everything(draft, quito.editor)
    filled = _edit(_download_as(client, quito.editor, draft), {"HC-01": {"response": 4, "justification": "Done"}})
    pending = _upload(client, draft, filled).context["check"].workbook_import
    services.round_submit(round=draft, actor=quito.approver)
    before = _state(draft)

    response = client.post(reverse("workbook_apply", args=[draft.pk, pending.pk]))

    assert response.status_code == 403
    assert _state(draft) == before


def test_applying_is_refused_when_the_round_changed_status_since_the_upload_even_if_it_is_open_again(quito, draft):
    answer(draft, "HC-01", quito.editor, level=1)
    pending = WorkbookImport.objects.create(
        round=draft,
        uploaded_by=quito.editor,
        filename="w.xlsx",
        changes=[{"code": "HC-01", "base_revision": 1, "response": "level", "level": 3, "justification": ""}],
    )
    draft.events.create(from_status=Round.Status.DRAFT, to_status=Round.Status.SUBMITTED, actor=quito.approver)
    draft.events.create(from_status=Round.Status.SUBMITTED, to_status=Round.Status.RETURNED, actor=quito.approver)
    before = _state(draft)

    with pytest.raises(services.WorkflowError, match="status changed since the upload"):
        workbook.workbook_apply(workbook_import=pending, actor=quito.editor)

    assert _state(draft) == before


def test_an_upload_older_than_a_day_cannot_be_confirmed(client, quito, draft):
    filled = _edit(_download_as(client, quito.editor, draft), {"HC-01": {"response": 2}})
    pending = _upload(client, draft, filled).context["check"].workbook_import
    WorkbookImport.objects.filter(pk=pending.pk).update(
        uploaded_at=pending.uploaded_at - workbook.PENDING_MAX_AGE - datetime.timedelta(minutes=1)
    )

    response = client.post(reverse("workbook_apply", args=[draft.pk, pending.pk]))

    assert response.status_code == 409
    assert "more than a day old" in response.content.decode()
    assert not Answer.objects.filter(round=draft, indicator__code="HC-01").exists()


# --- the round page ----------------------------------------------------------------------------------------


def test_the_round_page_offers_the_workbook_and_the_upload_only_to_who_may_edit_now(client, quito, reviewer, draft):
    client.force_login(quito.editor)
    page = client.get(reverse("round_detail", args=[draft.pk])).content.decode()
    assert "Work offline" in page
    assert reverse("workbook_download", args=[draft.pk]) in page
    assert reverse("workbook_upload", args=[draft.pk]) in page

    answer_everything(draft, quito.editor)
    services.round_submit(round=draft, actor=quito.approver)
    for person in (quito.editor, reviewer):
        client.force_login(person)
        page = client.get(reverse("round_detail", args=[draft.pk])).content.decode()
        assert reverse("workbook_download", args=[draft.pk]) in page
        assert reverse("workbook_upload", args=[draft.pk]) not in page


def test_the_upload_page_has_a_labelled_file_field_that_says_what_it_accepts(editor_client, draft):
    page = editor_client.get(reverse("workbook_upload", args=[draft.pk])).content.decode()

    assert 'for="id_file"' in page and "Filled-in workbook (XLSX)" in page
    assert 'accept=".xlsx,' in page
    assert "at most 5.0\xa0MB" in page


def test_responses_are_read_in_any_of_the_sites_languages(editor_client, draft):
    filled = _edit(
        _download(editor_client, draft),
        {"HC-03": {"response": "S.O."}, "HC-04": {"response": "No sabe"}, "HC-05": {"response": "3"}},
    )

    response = _upload(editor_client, draft, filled)

    assert response.status_code == 200
    assert [(c.code, c.response, c.level) for c in response.context["check"].changes] == [
        ("HC-03", "na", None),
        ("HC-04", "dk", None),
        ("HC-05", "level", 3),
    ]


def test_a_row_of_a_dimension_left_out_since_the_download_is_an_error(editor_client, quito, draft):
    data = _download(editor_client, draft)
    services.round_dimension_toggle(
        round=draft, dimension=Dimension.objects.get(version=draft.version, code="DC"), actor=quito.approver
    )

    response = _upload(editor_client, draft, _edit(data, {"DC-01": {"response": 2}}))

    assert response.status_code == 422
    [error] = response.context["check"].errors
    assert error.code == "DC-01" and "left out of the round" in error.message


# --- query counts ----------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_download_and_the_round_page_section_cost_the_same_whatever_the_number_of_answers(
    editor_client, quito, draft
):
    download = reverse("workbook_download", args=[draft.pk])
    answer(draft, "HC-01", quito.editor, level=2, evidence_url="https://example.org/a.pdf")
    few = _queries(editor_client, download)
    answer_everything(draft, quito.editor)

    assert _queries(editor_client, download) == few


def test_the_round_page_section_costs_one_query(rf, quito, draft, django_assert_num_queries):
    request = rf.get("/")
    request.user = quito.editor
    quito.editor.has_perm("assessments.review_round")  # the page has asked already: its answer is cached

    with django_assert_num_queries(1):
        html = round_page_section(request, draft)

    assert reverse("workbook_upload", args=[draft.pk]) in html


def test_an_upload_without_a_file_is_a_form_error(editor_client, draft):
    response = editor_client.post(reverse("workbook_upload", args=[draft.pk]), {})

    assert response.status_code == 422
    assert response.context["form"].errors["file"]
    assert not WorkbookImport.objects.exists()


# --- texts a workbook cannot hold as they are -------------------------------------------------------------


def test_control_characters_pasted_into_texts_are_left_out_of_the_workbook_and_an_untouched_row_is_unchanged(
    editor_client, quito, draft
):
    # Word's Shift+Enter pastes a vertical tab (\x0b); the answer form accepts it, a workbook cannot hold it.
    answer(draft, "HC-01", quito.editor, level=2, justification="Line one\x0bline two\x02")
    answer(draft, "HC-02", quito.editor, level=1, justification="=not a formula\x1f")
    hc01 = _answer_of(draft, "HC-01").indicator
    hc01.question = "Is there a committee?\x0c"
    hc01.save(update_fields=["question"])
    hc01.dimension.name = "Horizontal\x01 coherence"
    hc01.dimension.save(update_fields=["name"])
    quito.authority.name = "Quito\x08"
    quito.authority.save(update_fields=["name"])

    data = _download(editor_client, draft)

    book = load_workbook(io.BytesIO(data))
    assert book.worksheets[0]["A1"].value.startswith("Quito — round 2025")
    hc = book["HC Horizontal coherence"]
    assert hc.cell(row=2, column=workbook.JUSTIFICATION).value == "Line oneline two"
    assert hc.cell(row=2, column=workbook.QUESTION).value == "Is there a committee?"
    assert hc.cell(row=3, column=workbook.JUSTIFICATION).value == "=not a formula"
    assert hc.cell(row=3, column=workbook.JUSTIFICATION).data_type == "s"
    response = _upload(editor_client, draft, data)
    assert response.status_code == 200
    assert response.context["check"].changes == [] and not response.context["check"].errors


# --- damaged, oversized and crafted files: refused before anything is written ------------------------------


def _rezip(data: bytes, replace: dict | None = None, add: dict | None = None) -> bytes:
    """The workbook's zip with parts replaced ({name: function of the old bytes}) or added ({name: bytes})."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if replace and item.filename in replace:
                content = replace[item.filename](content)
            target.writestr(item.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return output.getvalue()


def _hc_sheet(content: bytes, old: bytes, new: bytes) -> bytes:
    assert old in content
    return content.replace(old, new, 1)


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10))
    + b"]>"
)


@pytest.mark.parametrize(
    "damage",
    [
        lambda sheet: _hc_sheet(sheet, b"</sheetData>", b'<row r="40"><c r="A40" t="inlineStr"><is><t>&bogus;</t></is></c></row></sheetData>'),
        lambda sheet: BOMB + sheet.split(b"?>", 1)[-1].replace(b"</sheetData>", b"<row r='40'><c r='B40' t='inlineStr'><is><t>&lol9;</t></is></c></row></sheetData>"),
        lambda sheet: sheet[: len(sheet) // 2],
        # Well-formed XML that openpyxl fails on only when it reads the sheet: a number that is none.
        lambda sheet: _hc_sheet(sheet, b"</sheetData>", b'<row r="40"><c r="A40" t="n"><v>many</v></c></row></sheetData>'),
        lambda sheet: _hc_sheet(sheet, b"</sheetData>", b"</sheetData>" + b"<a>" * 100_000 + b"</a>" * 100_000),
    ],
    ids=["unknown-entity", "entity-bomb", "truncated", "bad-number", "deep-nesting"],
)  # fmt: skip
def test_a_damaged_or_tampered_sheet_is_refused_as_unreadable(editor_client, quito, draft, damage):
    answer(draft, "HC-01", quito.editor, level=1)
    data = _rezip(_download(editor_client, draft), replace={"xl/worksheets/sheet2.xml": damage})
    before = _state(draft)

    response = _upload(editor_client, draft, data)

    assert response.status_code == 422
    assert "cannot be read" in response.content.decode()
    assert _state(draft) == before


def _barely_compressible(size: int) -> bytes:
    """``size`` bytes that compress about 17 times: below the ratio any upload may have, above its size limit unpacked."""
    noise = random.Random(0)
    return b"".join(bytes([noise.randrange(256)]) + b" " * 40 for _ in range(size // 41))


def _sheet_of(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet2.xml")


def _one_row_of(cells: int):
    return lambda sheet: _hc_sheet(sheet, b"</sheetData>", b'<row r="40">' + b"<c/>" * cells + b"</row></sheetData>")


@pytest.mark.parametrize(
    ("craft", "message"),
    [
        # Two parts of 13 MB: neither is too large, together they are (26 MB unpacked, 1.5 MB zipped).
        (lambda data: _rezip(data, add={f"xl/media/part{n}.xml": _barely_compressible(13 * 1024 * 1024) for n in (1, 2)}),
         "far larger once unpacked"),
        (lambda data: _rezip(data, add={"xl/media/big.xml": _barely_compressible(16 * 1024 * 1024)}),
         "far larger once unpacked"),
        # A row of a million cells held 610 MB in openpyxl; these 200,000 fit in 800 KB.
        (lambda data: _rezip(data, replace={"xl/worksheets/sheet2.xml": _one_row_of(200_000)}),
         "a row of more than 500 cells"),
        # The same sheet under a name that does not say it is XML (its relationship can point anywhere).
        (lambda data: _rezip(data, add={"xl/media/image1.png": _one_row_of(200_000)(_sheet_of(data))}),
         "a row of more than 500 cells"),
        (lambda data: _edit(data, {}, sheet_edits=lambda book: book.create_sheet("Mine")),
         "has 9 sheets; the round's workbook has at most 8"),
    ],
    ids=["unpacked-total", "unpacked-part", "wide-row", "wide-row-in-disguise", "added-sheets"],
)  # fmt: skip
def test_a_workbook_too_costly_to_read_is_refused_before_openpyxl_loads_it(editor_client, quito, draft, craft, message):
    data = craft(_download(editor_client, draft))
    assert len(data) < workbook.max_bytes()
    upload = SimpleUploadedFile("filled-in.xlsx", data)
    before = _state(draft)

    with mock.patch("openpyxl.load_workbook") as parse, pytest.raises(workbook.WorkbookRefused) as refused:
        workbook.workbook_check(draft, quito.editor, upload)

    assert message in refused.value.messages[0]
    parse.assert_not_called()
    assert _state(draft) == before


def test_a_workbook_declared_macro_enabled_by_its_content_types_is_refused(editor_client, quito, draft):
    def macro_enabled(types: bytes) -> bytes:
        return types.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )

    data = _rezip(_download(editor_client, draft), replace={"[Content_Types].xml": macro_enabled})

    response = _upload(editor_client, draft, data)

    assert response.status_code == 422
    assert "macros" in response.content.decode()


def test_only_the_first_200_problems_are_listed_and_the_page_says_there_are_more(editor_client, quito, draft):
    def add_unknown_rows(book):
        for n in range(250):
            book["HC Horizontal coherence"].append([f"XX-{n}", "Not ours", None, None, None, None, None, 2])

    response = _upload(editor_client, draft, _edit(_download(editor_client, draft), {}, sheet_edits=add_unknown_rows))

    assert response.status_code == 422
    assert len(response.context["check"].errors) == workbook.MAX_ERRORS == 200
    assert "Only the first 200 problems are listed, and there are more" in response.content.decode()
    assert not WorkbookImport.objects.exists()


# --- the rules of an answer, whatever saves it -------------------------------------------------------------


def test_a_justification_longer_than_the_forms_limit_is_an_error_of_its_row(editor_client, quito, draft):
    filled = _edit(_download(editor_client, draft), {"HC-01": {"response": 2, "justification": "x" * 30_000}})

    response = _upload(editor_client, draft, filled)

    assert response.status_code == 422
    [error] = response.context["check"].errors
    assert error.code == "HC-01" and "30000 characters; it may have at most 10000" in error.message
    assert not WorkbookImport.objects.exists() and not Answer.objects.filter(round=draft).exists()


def test_answers_carried_over_are_marked_in_the_workbook_and_listed_as_still_to_confirm(client, quito):
    earlier = services.round_create(authority=quito.authority, period="2024", actor=quito.approver)
    answer(earlier, "HC-01", quito.editor, level=2, justification="A committee")
    answer(earlier, "HC-02", quito.editor, level=3, justification="A protocol")
    later = services.round_create(authority=quito.authority, period="2025", actor=quito.approver, start_from=earlier)
    data = _download_as(client, quito.editor, later)

    hc = load_workbook(io.BytesIO(data))["HC Horizontal coherence"]
    assert hc.cell(row=1, column=workbook.NOTE).value == "Note"
    assert hc.cell(row=2, column=workbook.NOTE).value == (
        "Carried over from 2024, not confirmed: change it here, or confirm it online."
    )
    assert hc.cell(row=4, column=workbook.NOTE).value is None  # HC-03 has no answer

    response = _upload(client, later, data)

    assert response.status_code == 200
    assert response.context["check"].carried_over == ["HC-01", "HC-02"]
    assert "2 answers carried over still wait for confirmation online" in response.content.decode()

    # Changed in the workbook, a carried answer is confirmed by the save; the other still waits.
    response = _upload(client, later, _edit(data, {"HC-01": {"response": 3}}))
    assert response.context["check"].carried_over == ["HC-02"]
    client.post(reverse("workbook_apply", args=[later.pk, response.context["check"].workbook_import.pk]))
    assert not _answer_of(later, "HC-01").carried_over and _answer_of(later, "HC-02").carried_over


def test_only_the_response_and_justification_are_checked_for_formulas(editor_client, quito, draft):
    hc01 = Dimension.objects.get(version=draft.version, code="HC").indicators.get(code="HC-01")
    hc01.question = "=Is there a committee?"
    hc01.save(update_fields=["question"])
    answer(draft, "HC-01", quito.approver, level=1, evidence_url="https://example.org/a.pdf")
    _answer_of(draft, "HC-01").evidence.update(description="=SUM of the minutes")

    def formula_in_a_descriptor(book):
        book["HC Horizontal coherence"].cell(row=2, column=workbook.FIRST_DESCRIPTOR).value = "=1+1"

    filled = _edit(_download(editor_client, draft), {"HC-01": {"response": 3}}, sheet_edits=formula_in_a_descriptor)

    response = _upload(editor_client, draft, filled)

    assert response.status_code == 200, response.context["check"].errors
    assert [(c.code, c.level) for c in response.context["check"].changes] == [("HC-01", 3)]


def test_confirming_locks_the_round_before_the_import_as_every_service_does(client, quito, draft):
    filled = _edit(_download_as(client, quito.editor, draft), {"HC-01": {"response": 2}})
    pending = _upload(client, draft, filled).context["check"].workbook_import

    with CaptureQueriesContext(connection) as queries:
        workbook.workbook_apply(workbook_import=pending, actor=quito.editor)

    locks = [query["sql"] for query in queries.captured_queries if "FOR UPDATE" in query["sql"]]
    assert '"assessments_round"' in locks[0].split("FOR UPDATE")[0].split("WHERE")[0]
    assert any('"collaboration_workbookimport"' in sql for sql in locks)


def test_a_changed_justification_reads_as_plain_text_labelled_now_and_in_the_workbook(editor_client, quito, draft):
    answer(draft, "HC-01", quito.approver, level=1, justification="")
    answer(draft, "HC-02", quito.approver, level=1, justification="Ad hoc meetings")
    filled = _edit(
        _download(editor_client, draft),
        {"HC-01": {"justification": "A standing committee meets monthly."}, "HC-02": {"justification": ""}},
    )

    page = _upload(editor_client, draft, filled).content.decode()

    changes = page[page.index('id="changes-heading"') : page.index("</table>")]
    # No <ins>/<del> (underlined like a link, struck through) and no bold dash for an empty value.
    assert "<ins>" not in changes and "<del>" not in changes and "<strong>—</strong>" not in changes
    hc01 = changes[changes.index("<strong>HC-01</strong>") : changes.index("<strong>HC-02</strong>")]
    assert re.search(
        r"Now</dt>\s*<dd[^>]*><span class=\"text-body-secondary\">\(empty\)</span></dd>\s*"
        r"<dt[^>]*>In the workbook</dt>\s*<dd[^>]*>A standing committee meets monthly.</dd>",
        hc01,
    )
    hc02 = changes[changes.index("<strong>HC-02</strong>") :]
    assert re.search(r"Now</dt>\s*<dd[^>]*>Ad hoc meetings</dd>", hc02)
    assert re.search(r"In the workbook</dt>\s*<dd[^>]*><span class=\"text-body-secondary\">\(empty\)</span>", hc02)
