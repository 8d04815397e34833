"""An approver downloads everything of their authority as one ZIP, streamed; nobody else may."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Round
from indicators.models import Indicator
from tests.export.conftest import fill
from tests.factories import UserFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db


def download(client, user, authority) -> zipfile.ZipFile:
    client.force_login(user)
    response = client.get(reverse("authority_export", args=[authority.slug]))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert f"coherence-{authority.slug}-" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    return archive


def table(archive: zipfile.ZipFile, name: str) -> list[dict]:
    """The rows of a table, read from its CSV, after checking that its JSON holds the same."""
    rows = list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))
    from_json = json.loads(archive.read(f"{name}.json"))
    assert [list(row) for row in from_json] == [list(row) for row in rows]
    assert len(from_json) == len(rows)
    return rows


def test_the_archive_holds_a_readme_the_tables_as_csv_and_json_and_the_evidence_files(client, draft, quito, media):
    filled = fill(quito, draft)
    archive = download(client, quito.approver, quito.authority)
    names = archive.namelist()

    readme = archive.read("README.txt").decode()
    assert "Quito" in readme
    assert "Coherence 1" in readme or draft.version.label in readme  # the catalogue version of its rounds
    for name in ("rounds", "answers", "comments", "history/round_events", "history/answer_revisions", "evidence"):
        assert f"{name}.csv" in names and f"{name}.json" in names
        assert f"{name}.csv" in readme

    (round_row,) = table(archive, "rounds")
    assert round_row["period"] == "2025" and round_row["status"] == "Draft"
    answers = table(archive, "answers")
    first = Indicator.objects.get(version=draft.version, code=answers[0]["indicator"])
    assert answers[0]["level"] == "2"
    assert answers[0]["justification"] == f"Because of {first.code}."
    assert answers[0]["question"] == first.question_en
    assert [row["comment"] for row in table(archive, "comments")] == ["Comment 0"]
    assert {row["to_status"] for row in table(archive, "history/round_events")} == {"Draft"}
    assert table(archive, "history/answer_revisions")

    evidence = table(archive, "evidence")
    assert len(evidence) == len(filled.evidence) == 2
    for row, item in zip(evidence, filled.evidence, strict=True):
        assert row["file_name"] == item.filename
        assert row["file_in_archive"].startswith(f"evidence/2025/{item.answer.indicator.code}/")
        with item.file.open("rb") as stored:
            assert archive.read(row["file_in_archive"]) == stored.read()


def test_the_apps_above_add_their_tables_and_files(client, draft, quito, media):
    filled = fill(quito, draft)
    archive = download(client, quito.approver, quito.authority)
    readme = archive.read("README.txt").decode()

    (action,) = table(archive, "plans/actions")
    assert action["title"] == "Interpreters 0" and action["status"] == "Planned"
    assert table(archive, "plans/action_indicators")[0]["target_level"] == "3"
    (update,) = table(archive, "plans/updates")
    assert archive.read(update["file_in_archive"]) == b"update bytes"

    assert table(archive, "participation/stakeholders")[0]["name"] == "Migrant forum 0"
    assert table(archive, "participation/consultations")[0]["participants"] == "12"
    (attachment,) = table(archive, "participation/attachments")
    assert archive.read(attachment["file_in_archive"]) == b"attendance bytes"
    (result,) = table(archive, "participation/survey_results")
    assert result["responses"] == "6" and result["level_3"] == "6" and result["median"] == "3.0"

    assert table(archive, "collaboration/assignments")[0]["assigned_to"] == quito.editor.username
    assert table(archive, "territories/counterparts")[0]["organisation"] == "Ministry of the Interior"
    (partnership,) = table(archive, "territories/partnerships")
    assert partnership["partner"] == "Kasserine"
    (shared,) = table(archive, "territories/partnership_evidence")
    assert archive.read(shared["file_in_archive"]) == b"shared bytes"

    (report,) = table(archive, "reports")
    assert report["file_in_archive"] == "reports/2025/full-en.pdf"
    assert archive.read("reports/2025/full-en.pdf") == b"%PDF-1.7 the report"
    for name in ("plans/actions.csv", "participation/consultations.csv", "territories/partnerships.csv", "reports.csv"):
        assert name in readme
    assert filled.report.file.name  # kept in storage: the export only reads


def test_survey_results_below_five_levels_leave_the_distribution_and_median_out(client, quito, media, catalogue):
    from tests.participation.factories import SurveyFactory, SurveyResponseFactory

    round = Round.objects.create(authority=quito.authority, version=catalogue, period="2023")
    survey = SurveyFactory(round=round, indicators=["HC-01"])
    for _n in range(4):
        SurveyResponseFactory(survey=survey, answers={"HC-01": (2, "My neighbour Ana said so")})
    archive = download(client, quito.approver, quito.authority)
    (result,) = table(archive, "participation/survey_results")
    assert result["responses"] == "4" and result["median"] == "" and result["level_2"] == ""
    assert b"Ana" not in b"".join(archive.read(name) for name in archive.namelist())


def test_nothing_of_another_authority_is_in_the_archive(client, draft, quito, media, catalogue):
    lima = make_city("lima")
    other = Round.objects.create(authority=lima.authority, version=catalogue, period="2019")
    fill(lima, other)
    fill(quito, draft, files=1)
    archive = download(client, quito.approver, quito.authority)
    assert {row["period"] for row in table(archive, "rounds")} == {"2025"}
    assert len(table(archive, "evidence")) == 1
    assert not [name for name in archive.namelist() if "2019" in name]


def test_the_questions_are_in_the_requesters_language(client, draft, quito, media):
    fill(quito, draft, files=0)
    client.cookies["django_language"] = "fr"
    archive = download(client, quito.approver, quito.authority)
    row = table(archive, "answers")[0]
    assert row["question"] == Indicator.objects.get(version=draft.version, code=row["indicator"]).question_fr
    assert row["question"] != Indicator.objects.get(version=draft.version, code=row["indicator"]).question_en


def test_a_stored_file_gone_missing_is_listed_and_the_rest_still_comes(client, draft, quito, media):
    filled = fill(quito, draft)
    lost = filled.evidence[0]
    lost.file.storage.delete(lost.file.name)
    archive = download(client, quito.approver, quito.authority)
    missing = archive.read("missing_files.txt").decode().splitlines()
    assert len(missing) == 1 and missing[0].startswith("evidence/2025/")
    kept = table(archive, "evidence")[1]["file_in_archive"]
    assert archive.read(kept) == b"file 1 " * 50


@pytest.mark.parametrize("who", ["editor", "reviewer", "other approver", "stranger"])
def test_only_an_approver_of_the_authority_may_download(client, draft, quito, reviewer, who, media):
    lima = make_city("lima")
    user = {"editor": quito.editor, "reviewer": reviewer, "other approver": lima.approver,
            "stranger": UserFactory()}[who]  # fmt: skip
    client.force_login(user)
    response = client.get(reverse("authority_export", args=[quito.authority.slug]))
    # Those who see the authority (its editors, reviewers) are told why; others do not learn it exists.
    assert response.status_code == (403 if who in ("editor", "reviewer") else 404)
    assert not getattr(response, "streaming", False)


def test_an_administrator_may_download(client, draft, quito, admin_user, media):
    fill(quito, draft, files=1)
    archive = download(client, admin_user, quito.authority)
    assert len(table(archive, "evidence")) == 1


def test_the_round_page_offers_the_download_to_the_approver_only(client, draft, quito):
    url = reverse("authority_export", args=[quito.authority.slug])
    client.force_login(quito.approver)
    assert url in client.get(reverse("round_detail", args=[draft.pk])).content.decode()
    client.force_login(quito.editor)
    assert url not in client.get(reverse("round_detail", args=[draft.pk])).content.decode()


def _queries(client, user, authority) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("authority_export", args=[authority.slug]))
        body = b"".join(response.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    return len(queries)


# The export's queries: the session's and the view's few, then one per table and format (CSV, JSON: each
# streams its rows again, rather than holding them), one per folder of files and one for the README.
EXPORT_QUERIES = 90


def test_the_query_count_does_not_grow_with_the_data(client, quito, media, catalogue, django_assert_max_num_queries):
    small = Round.objects.create(authority=quito.authority, version=catalogue, period="2021")
    fill(quito, small, files=2, rows=1)
    few = _queries(client, quito.approver, quito.authority)
    more = Round.objects.create(authority=quito.authority, version=catalogue, period="2023")
    fill(quito, more, files=12, rows=6)
    with django_assert_max_num_queries(EXPORT_QUERIES):
        many = _queries(client, quito.approver, quito.authority)
    assert many == few
