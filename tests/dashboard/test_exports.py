"""The CSV and XLSX exports: the values they carry, who sees which rows, their filters and query counts.

Quito's round is answered at level 2 throughout and validated with HC-01 lowered to level 1.
"""

import csv
import io
import os

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Evidence, Round, ScoreSnapshot, SnapshotDimension
from dashboard import exports
from indicators.models import Indicator
from tests.factories import AuthorityFactory
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db

INDICATORS = 36
DIMENSIONS = 6


def validate(round: Round, reviewer, **decisions: services.Decision) -> Round:
    """Validate the round as the reviewer, with decisions keyed by indicator code."""
    return services.round_review(
        round=round,
        actor=reviewer,
        decisions={
            Indicator.objects.get(version=round.version, code=code).pk: decision for code, decision in decisions.items()
        },
        action=services.ReviewAction.VALIDATE,
    )


@pytest.fixture
def validated(submitted, reviewer) -> Round:
    return validate(submitted, reviewer, **{"HC-01": services.Decision(validated_level=1, comment="x")})


def download(client, export: str, fmt: str, **filters) -> list[dict]:
    """Fetch an export as a user would and read it back as one dict per row."""
    response = client.get(reverse(f"export_{export}", args=[fmt]), filters)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def authorities(rows: list[dict]) -> set[tuple[str, str]]:
    return {(row["authority_slug"], row["period"]) for row in rows}


def test_the_indicator_csv_carries_self_and_validated_levels_and_points(client, validated, quito):
    client.force_login(quito.editor)
    response = client.get(reverse("export_indicators", args=["csv"]))

    b"".join(response.streaming_content)  # the rows are read below
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="coherence-indicators-')
    rows = download(client, "indicators", "csv")
    assert len(rows) == INDICATORS
    by_code = {row["indicator"]: row for row in rows}
    assert by_code["HC-01"] == {
        "authority": "Quito",
        "authority_slug": "quito",
        "country": "Ecuador",
        "period": "2025",
        "round_status": "validated",
        "catalogue_version": str(validated.version.number),
        "dimension": "HC",
        "indicator": "HC-01",
        "response": "level",
        "self_level": "2",
        "validated_level": "1",
        "points": "25",
        "na": "false",
        "na_accepted": "",
        "carried_over": "false",
    }
    # Levels the reviewer left alone are validated as the city gave them.
    assert {(row["validated_level"], row["points"]) for code, row in by_code.items() if code != "HC-01"} == {
        ("2", "50")
    }


def test_the_indicator_xlsx_carries_the_same_values_as_numbers(client, validated, quito):
    client.force_login(quito.editor)
    response = client.get(reverse("export_indicators", args=["xlsx"]))

    b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="coherence-indicators-')
    rows = download(client, "indicators", "xlsx")
    assert len(rows) == INDICATORS
    hc01 = next(row for row in rows if row["indicator"] == "HC-01")
    assert (hc01["self_level"], hc01["validated_level"], hc01["points"]) == (2, 1, 25)
    assert (hc01["catalogue_version"], hc01["na"], hc01["na_accepted"]) == (validated.version.number, False, None)
    assert [row["indicator"] for row in rows] == [row["indicator"] for row in download(client, "indicators", "csv")]


def test_a_round_in_progress_exports_every_indicator_with_empty_answers_and_no_validated_level(client, draft, quito):
    answer_everything(draft, quito.editor, level=3)
    Answer.objects.filter(round=draft, indicator__code="HC-02").delete()
    client.force_login(quito.editor)

    by_code = {row["indicator"]: row for row in download(client, "indicators", "csv")}

    assert len(by_code) == INDICATORS
    assert by_code["HC-01"]["self_level"] == "3"
    assert (by_code["HC-01"]["validated_level"], by_code["HC-01"]["points"]) == ("", "75")
    assert (by_code["HC-02"]["response"], by_code["HC-02"]["self_level"], by_code["HC-02"]["points"]) == ("", "", "0")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_answer_carried_over_and_not_yet_confirmed_is_exported_as_unanswered(client, draft, quito, fmt):
    """Until someone confirms it, a carried-over answer counts as not answered: no response, no level, the points of
    an unanswered indicator (0), and ``carried_over`` says why; a confirmed answer exports as any other."""
    answer_everything(draft, quito.editor, level=3)
    Answer.objects.filter(round=draft, indicator__code="HC-02").update(carried_over=True)
    client.force_login(quito.editor)

    by_code = {row["indicator"]: row for row in download(client, "indicators", fmt)}

    columns = ("response", "self_level", "validated_level", "points", "na", "carried_over")
    blank, zero, no, yes = ("", "0", "false", "true") if fmt == "csv" else (None, 0, False, True)
    assert tuple(by_code["HC-02"][c] for c in columns) == (blank, blank, blank, zero, no, yes)
    assert tuple(by_code["HC-01"][c] for c in columns) == (
        ("level", "3", blank, "75", no, no) if fmt == "csv" else ("level", 3, blank, 75, no, no)
    )


def test_an_indicator_without_any_answer_is_not_carried_over(client, draft, quito):
    client.force_login(quito.editor)

    rows = download(client, "indicators", "csv")

    assert {row["carried_over"] for row in rows} == {"false"}


def test_not_applicable_and_dont_know_answers_score_as_the_methodology_says(client, draft, quito, reviewer):
    answer_everything(draft, quito.editor)
    answer(draft, "HC-03", quito.editor, response="na", justification="No harbour.")
    answer(draft, "SP-02", quito.editor, response="na", justification="No emigration.")
    answer(draft, "HC-05", quito.editor, response="dk")
    services.round_submit(round=draft, actor=quito.approver)
    client.force_login(quito.editor)

    submitted = {row["indicator"]: row for row in download(client, "indicators", "csv")}
    validate(draft, reviewer, **{"SP-02": services.Decision(na_accepted=False, comment="There is emigration.")})
    validated = {row["indicator"]: row for row in download(client, "indicators", "csv")}

    columns = ("response", "self_level", "validated_level", "points", "na", "na_accepted")
    assert [submitted[code][c] for code in ("HC-03", "SP-02", "HC-05") for c in columns] == [
        *("na", "", "", "", "true", ""),
        *("na", "", "", "", "true", ""),
        *("dk", "", "", "0", "false", ""),
    ]
    assert [validated[code][c] for code in ("HC-03", "SP-02", "HC-05") for c in columns] == [
        *("na", "", "", "", "true", "true"),
        *("na", "", "", "0", "true", "false"),
        *("dk", "", "", "0", "false", ""),
    ]


def test_dimensions_the_city_left_out_are_not_exported(client, draft, quito):
    client.force_login(quito.editor)
    client.post(reverse("round_dimension_toggle", args=[draft.pk, "DC"]))

    rows = download(client, "indicators", "csv")

    assert len(rows) == INDICATORS - Indicator.objects.filter(version=draft.version, dimension__code="DC").count()
    assert "DC" not in {row["dimension"] for row in rows}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_score_export_has_a_row_per_dimension_and_a_headline_row_with_the_snapshot_numbers(
    client, validated, quito, fmt
):
    client.force_login(quito.editor)
    rows = download(client, "scores", fmt)

    snapshot = ScoreSnapshot.objects.get(round=validated)
    frozen = {(row.score_set, row.dimension): row for row in SnapshotDimension.objects.filter(snapshot=snapshot)}
    assert len(rows) == DIMENSIONS + 1
    dimensions, headline = rows[:-1], rows[-1]
    number = float if fmt == "csv" else (lambda value: value)
    for row in dimensions:
        self_row, validated_row = frozen["self", row["dimension"]], frozen["validated", row["dimension"]]
        assert number(row["self_score"]) == self_row.score
        assert number(row["validated_score"]) == validated_row.score
        assert row["validated_band"] == validated_row.band
        assert number(row["completeness"]) == validated_row.completeness
        assert number(row["evidence_coverage"]) == validated_row.evidence_coverage
        assert row["core"] in ({"true", "false"} if fmt == "csv" else {True, False})
    assert frozen["validated", "HC"].score < frozen["self", "HC"].score  # HC-01 was lowered
    assert headline["dimension"] == "headline"
    assert (headline["authority_slug"], str(headline["period"])) == ("quito", "2025")
    assert number(headline["self_score"]) == snapshot.self_headline
    assert number(headline["validated_score"]) == snapshot.validated_headline
    assert headline["validated_band"] == snapshot.validated_band
    assert number(headline["completeness"]) == snapshot.completeness
    assert number(headline["evidence_coverage"]) == snapshot.evidence_coverage
    assert headline["core"] in ("", None)


def test_the_score_export_leaves_out_rounds_not_yet_validated(client, submitted, quito):
    client.force_login(quito.editor)

    assert download(client, "scores", "csv") == []


@pytest.mark.parametrize("export", ["indicators", "scores"])
def test_another_citys_editor_gets_none_of_the_first_citys_rows(client, validated, reviewer, catalogue, export):
    bogota = make_city("bogota")
    round = services.round_create(authority=bogota.authority, period="2024", actor=bogota.approver)
    answer_everything(round, bogota.editor, level=3)
    services.round_submit(round=round, actor=bogota.approver)
    validate(round, reviewer)
    client.force_login(bogota.editor)

    for fmt in ("csv", "xlsx"):
        rows = download(client, export, fmt)
        assert {row["authority_slug"] for row in rows} == {"bogota"}
        assert len(rows) == (INDICATORS if export == "indicators" else DIMENSIONS + 1)


def test_a_reviewer_gets_submitted_and_validated_rounds_of_every_city_but_no_drafts(
    client, submitted, reviewer, catalogue
):
    lima, caracas = make_city("lima"), make_city("caracas")
    lima_round = services.round_create(authority=lima.authority, period="2024", actor=lima.approver)
    answer_everything(lima_round, lima.editor)
    services.round_submit(round=lima_round, actor=lima.approver)
    validate(lima_round, reviewer)
    services.round_create(authority=caracas.authority, period="2024", actor=caracas.approver)
    client.force_login(reviewer)

    rows = download(client, "indicators", "csv")
    assert authorities(rows) == {("lima", "2024"), ("quito", "2025")}
    assert {row["round_status"] for row in rows} == {"submitted", "validated"}
    assert len(rows) == 2 * INDICATORS
    assert authorities(download(client, "scores", "xlsx")) == {("lima", "2024")}


def test_the_filters_narrow_the_rows_to_a_period_a_country_and_a_status(client, submitted, reviewer, catalogue):
    lima = make_city("lima")
    lima.authority.country = "Perú"
    lima.authority.save(update_fields=["country"])
    lima_round = services.round_create(authority=lima.authority, period="2024", actor=lima.approver)
    answer_everything(lima_round, lima.editor)
    services.round_submit(round=lima_round, actor=lima.approver)
    validate(lima_round, reviewer)
    client.force_login(reviewer)

    assert authorities(download(client, "indicators", "csv", period="2024")) == {("lima", "2024")}
    assert authorities(download(client, "indicators", "csv", country="perú")) == {("lima", "2024")}
    assert authorities(download(client, "indicators", "csv", status="submitted")) == {("quito", "2025")}
    assert authorities(download(client, "indicators", "csv", status="submitted", country="Perú")) == set()
    assert authorities(download(client, "scores", "csv", country="Perú", period="2024")) == {("lima", "2024")}


@pytest.mark.parametrize("export", ["indicators", "scores"])
@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"status": "approved"}, "status: Unknown status “approved”."),
        ({"period": "25"}, "period: Give the period as a year, such as 2025."),
        ({"period": "2025-26"}, "period: Give the period as a year, such as 2025."),
    ],
)
def test_bad_filters_are_refused_with_a_plain_message(client, quito, export, filters, message):
    client.force_login(quito.editor)

    response = client.get(reverse(f"export_{export}", args=["csv"]), filters)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == message


@pytest.mark.parametrize("export", ["indicators", "scores"])
def test_an_unknown_format_is_not_found(client, quito, export):
    client.force_login(quito.editor)

    assert client.get(reverse(f"export_{export}", args=["json"])).status_code == 404


@pytest.mark.parametrize("export", ["indicators", "scores"])
def test_anonymous_visitors_are_sent_to_log_in(client, export):
    url = reverse(f"export_{export}", args=["csv"])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_names_that_look_like_formulas_stay_text_in_the_workbook(client, validated, quito):
    quito.authority.name = "=HYPERLINK(1)"
    quito.authority.save(update_fields=["name"])
    client.force_login(quito.editor)

    rows = download(client, "indicators", "xlsx")

    assert {row["authority"] for row in rows} == {"=HYPERLINK(1)"}


# --- query counts ---------------------------------------------------------------------------------


def _validated_rounds(version, user, count: int) -> None:
    """Add validated, snapshotted rounds of other cities quickly, answered at level 2 throughout."""
    for _n in range(count):
        round = Round.objects.create(
            authority=AuthorityFactory(),
            version=version,
            period="2024",
            status=Round.Status.VALIDATED,
            submitted_at=timezone.now(),
            validated_at=timezone.now(),
        )
        answers = Answer.objects.bulk_create(
            Answer(round=round, indicator=i, response="level", level=2, revision=1, updated_by=user)
            for i in version.indicators.all()
        )
        Evidence.objects.bulk_create(
            Evidence(answer=a, url="https://example.org/e", description="e", added_by=user) for a in answers
        )
        services.snapshot_take(round=round)


@pytest.mark.parametrize("rounds", [1, 10])
def test_query_counts_stay_the_same_whatever_the_number_of_rounds(
    client, reviewer, catalogue, django_assert_max_num_queries, rounds
):
    _validated_rounds(catalogue, reviewer, rounds)
    client.force_login(reviewer)

    for export in ("indicators", "scores"):
        for fmt in ("csv", "xlsx"):
            # Session, user, the reviewer's two permission queries, the rounds' ids, the rows (one per
            # ROUNDS_PER_QUERY rounds).
            with django_assert_max_num_queries(6):
                response = client.get(reverse(f"export_{export}", args=[fmt]))
                content = b"".join(response.streaming_content)
            assert len(content) > 0


def test_rounds_read_in_batches_come_out_in_the_same_order_as_in_one(client, reviewer, catalogue, monkeypatch):
    _validated_rounds(catalogue, reviewer, 5)
    client.force_login(reviewer)
    whole = {export: download(client, export, "csv") for export in ("indicators", "scores")}

    monkeypatch.setattr(exports, "ROUNDS_PER_QUERY", 2)

    assert {export: download(client, export, "csv") for export in ("indicators", "scores")} == whole
    assert len({row["authority_slug"] for row in whole["scores"]}) == 5


def test_a_reviewers_provisional_levels_are_not_exported_before_validation(client, submitted, quito, reviewer):
    hc01 = Indicator.objects.get(version=submitted.version, code="HC-01")
    services.round_review(
        round=submitted,
        actor=reviewer,
        decisions={hc01.pk: services.Decision(validated_level=0, comment="Provisional")},
        action=services.ReviewAction.SAVE,
    )
    client.force_login(quito.editor)
    row = next(r for r in download(client, "indicators", "csv") if r["indicator"] == "HC-01")
    assert (row["self_level"], row["validated_level"], row["points"]) == ("2", "", "50")


# --- streaming and sources ------------------------------------------------------------------------


def test_the_indicator_export_streams_its_rows_from_a_server_side_cursor_a_chunk_at_a_time(
    client, validated, quito, reviewer, catalogue, monkeypatch
):
    # Constant memory: the rows stay in PostgreSQL's cursor and come over a chunk at a time.
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("this test needs PostgreSQL (DATABASE_URL) in CI")
        pytest.skip("needs PostgreSQL: SQLite has no server-side cursors")
    _validated_rounds(catalogue, reviewer, 2)
    monkeypatch.setattr(exports, "CHUNK_SIZE", 10)
    monkeypatch.setattr(exports, "CSV_ROWS_PER_CHUNK", 5)
    client.force_login(reviewer)

    stream = iter(client.get(reverse("export_indicators", args=["csv"])).streaming_content)
    first = next(stream)  # the header and the first rows are out; the others are still in the cursor

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '\\_django\\_curs\\_%%'")
        assert cursor.fetchone()[0] == 1
    lines = first.count(b"\n") + sum(chunk.count(b"\n") for chunk in stream)
    assert lines == 1 + 3 * INDICATORS


def test_the_score_export_gives_the_snapshots_numbers_not_scores_computed_again(client, validated, quito):
    # Numbers no scoring of the round's answers gives: only a reader of the snapshot can export them.
    snapshot = ScoreSnapshot.objects.get(round=validated)
    ScoreSnapshot.objects.filter(pk=snapshot.pk).update(self_headline=11.5, validated_headline=12.5)
    frozen = SnapshotDimension.objects.filter(snapshot=snapshot, score_set=SnapshotDimension.ScoreSet.VALIDATED)
    frozen.update(score=13.5)
    client.force_login(quito.editor)

    rows = download(client, "scores", "csv")

    assert (rows[-1]["self_score"], rows[-1]["validated_score"]) == ("11.5", "12.5")
    assert {row["validated_score"] for row in rows[:-1]} == {"13.5"}
    assert len(rows[:-1]) == frozen.count()


def test_a_text_that_a_spreadsheet_would_run_as_a_formula_is_written_as_plain_text():
    response = exports.csv_response(
        ["name", "value", "flag"],
        [
            ('=HYPERLINK("http://evil.example","x")', -2, True),
            ("+33 1 23", "-minus", False),
            ("@SUM(A1)", "\tTab", None),
            ("\rCR", 1.5, "plain - text"),
        ],
        "coherence-test",
    )
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[1:] == [
        ['\'=HYPERLINK("http://evil.example","x")', "-2", "true"],
        ["'+33 1 23", "'-minus", "false"],
        ["'@SUM(A1)", "'\tTab", ""],
        ["'\rCR", "1.5", "plain - text"],
    ]
