"""The report's trend across catalogue editions: the comparable basis in its facts, its chart and its text."""

import json
import subprocess
from pathlib import Path

import pytest

from assessments import services as assessment_services
from assessments.models import Round
from reports.context import REPORT_FORMAT, fingerprint, report_context, report_facts
from reports.services import render_document, render_report_html
from tests.indicators.editions import second_edition
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def validated_on(city, version, period: str, reviewer, level: int, levels: dict[str, int] | None = None) -> Round:
    round = assessment_services.round_create(
        authority=city.authority, period=period, actor=city.approver, version=version
    )
    answer_everything(round, city.editor, level=level)
    for code, value in (levels or {}).items():
        answer(round, code, city.editor, level=value)
    assessment_services.round_submit(round=round, actor=city.approver)
    return assessment_services.round_review(
        round=round, actor=reviewer, decisions={}, action=assessment_services.ReviewAction.VALIDATE
    )


def _loaded(round: Round) -> Round:
    return Round.objects.select_related("authority", "version").get(pk=round.pk)


@pytest.fixture
def across(quito, catalogue, reviewer) -> dict[str, Round]:
    """Quito: 2023 on edition 1 (50 points, DE-05 at 100), 2025 on edition 2 (75 points, SP-07 at 0)."""
    first = validated_on(quito, catalogue, "2023", reviewer, 2, {"DE-05": 4})
    edition = second_edition(catalogue)
    second = validated_on(quito, edition, "2025", reviewer, 3, {"SP-07": 0})
    return {"2023": _loaded(first), "2025": _loaded(second)}


def test_the_reports_facts_hold_both_editions_rounds_and_the_basis(across):
    facts = report_facts(across["2025"])

    assert facts["format"] == REPORT_FORMAT == 9
    assert {row[0] for row in facts["trend"]} == {"2023", "2025"}
    scores = {(period, code): score for period, code, score in facts["trend"]}
    assert scores["2023", "DE"] == 50 and scores["2025", "SP"] == 75  # DE-05 and SP-07 left out
    basis = facts["trend_basis"]
    assert basis["kind"] == "comparable" and basis["editions"] == [1, 2]
    assert {"code": "DE-05", "edition": 1, "reason": "retired"} in basis["left_out"]
    assert {"code": "SP-07", "edition": 2, "reason": "new"} in basis["left_out"]
    assert any(item["kind"] == "split" and item["second"] == ["HC-03", "HC-09"] for item in basis["compared"])
    assert json.loads(json.dumps(facts)) == facts  # plain, JSON-ready data


def test_the_earlier_rounds_report_stays_on_its_own_edition(across):
    facts = report_facts(across["2023"])  # the trend stops at the report's round

    assert {row[0] for row in facts["trend"]} == {"2023"}
    assert facts["trend_basis"] == {"kind": "same_edition", "editions": [1], "compared": [], "left_out": []}
    context = report_context(across["2023"], "en", charts=None)
    assert context["trend_basis_text"] == ""
    assert "all on catalogue edition 1" in context["trend_note"]


def test_the_report_says_and_draws_the_comparable_basis(across):
    context = report_context(across["2025"], "en", charts="figures")

    assert context["trend_periods"] == ["2023", "2025"]
    assert "catalogue editions 1, 2" in context["trend_note"]
    text = context["trend_basis_text"]
    assert "HC-03 as HC-03 + HC-09 (split)" in text and "VC-05 + VC-06 as VC-05 (merged)" in text
    assert "Left out: DE-05 (edition 1, retired), SP-07 (edition 2, new)." in text
    assert "Comparable basis across catalogue editions 1, 2." in json.dumps(context["trend_figure"]["layout"])
    html, _fingerprint = render_report_html(across["2025"], "en", charts="figures")
    assert 'id="trend-basis"' in html and "SP-07 (edition 2, new)" in html


def test_the_pdf_prints_the_basis_when_editions_differ(across, tmp_path):
    pdf, _fingerprint = render_document(across["2025"], "en", "full")
    path = Path(tmp_path) / "report.pdf"
    path.write_bytes(pdf)

    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split()
    )

    assert "compared on the indicators both editions share" in text
    assert "DE-05 (edition 1, retired)" in text and "SP-07 (edition 2, new)" in text
    assert "HC-03 as HC-03 + HC-09 (split)" in text


def test_the_basis_is_part_of_the_fingerprint(across):
    facts = report_facts(across["2025"])
    changed = {**facts, "trend_basis": {**facts["trend_basis"], "left_out": []}}

    assert fingerprint(facts, "en") != fingerprint(changed, "en")


def test_a_published_rounds_report_compares_only_with_published_rounds_and_never_another_citys(
    across, catalogue, reviewer
):
    lima = make_city("lima")
    theirs = validated_on(lima, catalogue, "2021", reviewer, 4)
    Round.objects.filter(pk__in=[across["2025"].pk, theirs.pk]).update(publication_consent=True)

    facts = report_facts(_loaded(across["2025"]))

    # 2023 was validated without consent; Lima's published 2021 is another city's.
    assert {row[0] for row in facts["trend"]} == {"2025"}
    assert facts["trend_basis"]["kind"] == "same_edition" and facts["trend_basis"]["editions"] == [2]
