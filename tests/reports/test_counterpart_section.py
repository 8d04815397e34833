"""The report's "National or regional counterpart": its levels beside the city's on the mirrored indicators.

Quito's 2025 round, answered at level 2 throughout, and a counterpart invited, answering and
submitting through ``territories.services``. The section is read through the HTML preview, which
the PDF shares its context and template with; one real PDF is rendered. Neither side's levels show
until both have submitted, and the counterpart's never change the city's scores.
"""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from assessments import services as assessment_services
from assessments.models import Round
from indicators.models import Indicator
from reports import services
from reports.context import fingerprint, report_context, report_facts
from reports.models import ReportJob
from territories import services as territory_services
from territories.models import Counterpart
from tests.reports.test_reports import RENDER_QUERIES

pytestmark = pytest.mark.django_db

# The mirrored indicators of the shipped catalogue: every VC indicator, and those it marks.
MIRRORED = [f"VC-0{n}" for n in range(1, 7)] + ["DE-02", "DE-04", "DC-04"]
# The counterpart's levels (None: don't know) where they differ from the city's level 2.
LEVELS = {"VC-01": 4, "VC-02": None, "VC-03": 1, "DE-04": 3, "DC-04": 4}
# An open comparison reads the counterpart's answers and the round's mirrored indicators.
COMPARISON_QUERIES = 2


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _loaded(round: Round) -> Round:
    return Round.objects.select_related("authority", "version").get(pk=round.pk)


def _invite(round: Round, quito) -> Counterpart:
    return territory_services.counterpart_invite(
        round=round,
        actor=quito.approver,
        email="ana@migration.gob.example",
        name="Ana Torres",
        organisation="Vice-Ministry of Human Mobility",
        level=Counterpart.Level.NATIONAL,
    )


def _answer(counterpart: Counterpart, levels: dict[str, int | None] = LEVELS) -> None:
    for indicator in territory_services.mirrored_indicators(counterpart.round):
        level = levels.get(indicator.code, 2)
        territory_services.counterpart_answer_save(
            counterpart=counterpart,
            actor=counterpart.user,
            indicator=indicator,
            response="dk" if level is None else "level",
            level=level,
            justification=f"The ministry's view of {indicator.code}.",
        )


def _submit(counterpart: Counterpart) -> Counterpart:
    return territory_services.counterpart_submit(counterpart=counterpart, actor=counterpart.user)


def _section(client, round: Round, user) -> str:
    """The counterpart section of the report's HTML preview, tags and runs of white space flattened."""
    client.force_login(user)
    response = client.get(reverse("report_preview", args=[round.pk]), {"language": "en"})
    assert response.status_code == 200
    found = re.search(r'<section class="counterpart".*?</section>', response.content.decode(), re.DOTALL)
    assert found, "the report has no counterpart section"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).replace("&#x27;", "'")


def _row(section: str, code: str) -> str:
    """The text of one indicator's row: from its code to the next mirrored indicator's (or the table's end)."""
    start = section.index(f" {code} ")
    ends = [section.find(f" {other} ", start + 1) for other in MIRRORED if other != code]
    return section[start : min([end for end in ends if end > 0], default=len(section))]


def test_the_section_comes_after_who_took_part(client, draft, quito):
    client.force_login(quito.editor)
    body = client.get(reverse("report_preview", args=[draft.pk])).content.decode()
    assert body.index('<section class="participation"') < body.index('<section class="counterpart"')
    assert body.index('<section class="counterpart"') < body.index('<section class="sdg"')


def test_without_a_counterpart_the_section_says_none_was_invited(client, submitted, quito):
    section = _section(client, submitted, quito.editor)
    assert "No national or regional counterpart was invited" in section


def test_before_the_counterpart_submits_the_section_says_so_and_shows_no_level(client, submitted, quito):
    _answer(_invite(submitted, quito))  # every answer saved, none submitted

    section = _section(client, submitted, quito.editor)

    assert "Vice-Ministry of Human Mobility (National government)" in section
    assert "The counterpart has not submitted its answers yet" in section
    assert "Institutionalised" not in section and "Counterpart's level" not in section


def test_once_the_counterpart_submits_before_the_city_the_section_waits_for_the_city(client, draft, quito):
    counterpart = _invite(draft, quito)
    _answer(counterpart)
    _submit(counterpart)

    section = _section(client, draft, quito.editor)

    assert "the comparison is shown once the city has submitted the round too" in section
    assert "Institutionalised" not in section and "Counterpart's level" not in section


def test_once_both_have_submitted_the_levels_stand_side_by_side_with_the_gap(client, submitted, quito, reviewer):
    counterpart = _invite(submitted, quito)
    _answer(counterpart)
    _submit(counterpart)

    section = _section(client, submitted, quito.editor)

    assert "City's level (self-assessed) Counterpart's level Gap" in section
    table = section[section.index("Counterpart's level Gap") :]
    codes = re.findall(r" ([A-Z]{2}-\d\d) ", table)
    assert codes == MIRRORED  # catalogue order; an indicator that is not mirrored (HC-01 …) is not there
    assert "2 · Partial 4 · Institutionalised +2" in _row(section, "VC-01")
    assert "2 · Partial Don't know —" in _row(section, "VC-02")
    assert "2 · Partial 1 · Initial \u22121" in _row(section, "VC-03")
    assert "2 · Partial 2 · Partial 0" in _row(section, "VC-04")
    assert "2 · Partial 3 · Operational +1" in _row(section, "DE-04")
    # Eight indicators with two levels; gaps +2 −1 +1 +2 (and zeros): a mean of +0.5.
    assert "Indicators both sides gave a level to 8" in section
    assert "Mean gap, in levels +0.5" in section
    assert "Apart by 2 levels or more VC-01, DC-04" in section
    # The reviewer reads the same report.
    assert _section(client, submitted, reviewer) == section


def test_a_validated_round_compares_the_validated_level(client, submitted, quito, reviewer):
    counterpart = _invite(submitted, quito)
    _answer(counterpart)
    _submit(counterpart)
    vc01 = Indicator.objects.get(version=submitted.version, code="VC-01")
    assessment_services.round_review(
        round=submitted,
        actor=reviewer,
        decisions={vc01.pk: assessment_services.Decision(validated_level=1, comment="No agreement signed.")},
        action=assessment_services.ReviewAction.VALIDATE,
    )

    section = _section(client, submitted, quito.editor)

    assert "City's level (validated)" in section
    assert "1 · Initial 4 · Institutionalised +3" in _row(section, "VC-01")


def test_the_counterpart_never_changes_the_city_scores(submitted, quito):
    before = report_context(_loaded(submitted), "en", charts=None)
    counterpart = _invite(submitted, quito)
    _answer(counterpart, {code: 4 for code in MIRRORED})
    _submit(counterpart)

    after = report_context(_loaded(submitted), "en", charts=None)

    assert after["counterpart"]["state"] == "open"
    assert after["official"] == before["official"]
    assert [row["self"].score for row in after["score_rows"]] == [row["self"].score for row in before["score_rows"]]


def test_the_fingerprint_changes_when_the_counterpart_submits_not_while_it_answers(submitted, quito):
    def current() -> str:
        return fingerprint(report_facts(_loaded(submitted)), "en")

    alone = current()
    counterpart = _invite(submitted, quito)
    invited = current()
    _answer(counterpart)
    answered = current()
    _submit(counterpart)
    compared = current()

    assert alone != invited  # the section now names the counterpart
    assert answered == invited  # answers not submitted are not shown, so they do not make a new report
    assert compared != answered
    facts = report_facts(_loaded(submitted))["counterpart"]
    counterpart.refresh_from_db()
    assert facts["id"] == counterpart.pk and facts["submitted_at"] == counterpart.submitted_at.isoformat()
    levels = {indicator_id: level for _pk, indicator_id, _response, level in facts["answers"]}
    by_code = dict(Indicator.objects.filter(version=submitted.version).values_list("pk", "code"))
    assert {by_code[pk]: level for pk, level in levels.items()} == {code: LEVELS.get(code, 2) for code in MIRRORED}


def test_an_open_comparison_adds_a_constant_number_of_queries(submitted, quito, django_assert_num_queries):
    counterpart = _invite(submitted, quito)
    _answer(counterpart)
    round = _loaded(submitted)
    with CaptureQueriesContext(connection) as waiting:
        report_context(round, "en", charts=None)
    _submit(counterpart)
    round = _loaded(submitted)
    with CaptureQueriesContext(connection) as open_:
        report_context(round, "en", charts=None)

    assert len(open_) == len(waiting) + COMPARISON_QUERIES
    # A submitted round reads what a draft does (no snapshot yet), as pinned in tests/reports/test_reports.py, with
    # its review items (a draft never submitted has none to ask for), and the examples of its priorities (its
    # indicators at level 2, below "operational").
    with django_assert_num_queries(RENDER_QUERIES["draft"] + 1 + COMPARISON_QUERIES + 1):
        report_context(round, "en", charts=None)


def test_the_pdf_shows_the_counterpart_beside_the_city(submitted, quito, django_capture_on_commit_callbacks):
    counterpart = _invite(submitted, quito)
    _answer(counterpart)
    _submit(counterpart)

    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(round=submitted, user=quito.approver, language="en")
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE

    with job.file.open("rb") as handle:
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages]
    text = " ".join(" ".join(pages).split())
    assert "National or regional counterpart" in text
    assert "Vice-Ministry of Human Mobility" in text
    assert "Counterpart's level" in text and "Mean gap, in levels" in text
    assert text.index("Who took part") < text.index("National or regional counterpart")
