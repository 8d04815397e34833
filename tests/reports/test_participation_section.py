"""The report's "Who took part": consultations, groups by category, migrant voices, and the perception gap.

Quito's 2025 round (a draft, or validated at level 2 throughout) is read through the HTML preview,
which the PDF shares its context and template with; one real PDF is rendered with its charts
exported by kaleido. Perceptions stand beside the scores and never change them.
"""

import io
import json
import re

import plotly.graph_objects as go
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from assessments.models import Round
from dashboard import charts
from participation.models import Stakeholder
from participation.perception import MIN_RESPONSES
from reports import context as report_module
from reports import services
from reports.context import REPORT_FORMAT, report_context, report_facts
from reports.models import ReportJob
from tests.participation.factories import (
    ConsultationFactory,
    StakeholderFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.reports.test_reports import RENDER_QUERIES
from tests.world import answer_everything

pytestmark = pytest.mark.django_db

Category = Stakeholder.Category


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _loaded(round: Round) -> Round:
    return Round.objects.select_related("authority", "version").get(pk=round.pk)


def _preview(client, round: Round, user, language: str = "en") -> str:
    client.force_login(user)
    response = client.get(reverse("report_preview", args=[round.pk]), {"language": language})
    assert response.status_code == 200
    return response.content.decode()


def _section(body: str) -> str:
    """The "Who took part" section of the report's HTML, tags and runs of white space flattened."""
    found = re.search(r'<section class="participation".*?</section>', body, re.DOTALL)
    assert found, "the report has no participation section"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).replace("&#x27;", "'")


def _figures(body: str) -> dict[str, dict]:
    found = re.findall(r'<script id="([^"]+)" type="application/json">(.*?)</script>', body, re.DOTALL)
    return {name: json.loads(text) for name, text in found}


def _survey(round: Round, responses: int, answers: dict) -> None:
    survey = SurveyFactory(round=round, indicators=list(answers))
    SurveyResponseFactory.create_batch(responses, survey=survey, answers=answers)


@pytest.fixture
def groups(quito) -> dict[str, Stakeholder]:
    authority = quito.authority
    return {
        "diaspora": StakeholderFactory(
            authority=authority, name="Venezuelan diaspora network", category=Category.MIGRANT_ASSOCIATION
        ),
        "ngo": StakeholderFactory(authority=authority, name="Casa de Acogida", category=Category.CIVIL_SOCIETY),
        "university": StakeholderFactory(authority=authority, name="Universidad Central", category=Category.ACADEMIA),
        "union": StakeholderFactory(authority=authority, name="Workers' union", category=Category.TRADE_UNION),
        "refugees": StakeholderFactory(authority=authority, name="Refugiados Unidos", category=Category.REFUGEE_LED),
    }


# --- who took part ---------------------------------------------------------------------------------


def test_the_section_lists_each_consultation_with_its_groups_breakdown_languages_and_indicators(
    client, draft, quito, groups
):
    ConsultationFactory(
        round=draft,
        method="hearing",
        participants=40,
        women=22,
        men=17,
        migrants=25,
        languages="Spanish, Kichwa",
        groups=[groups["diaspora"], groups["ngo"]],
        indicators=["SP-01", "HC-02"],
        dimensions=["SP"],
    )
    ConsultationFactory(round=draft, method="online", participants=8, groups=[groups["university"]])

    section = _section(_preview(client, draft, quito.editor))

    assert "Public hearing" in section and "Online consultation" in section
    assert "Venezuelan diaspora network (Migrant or diaspora association)" in section
    assert "Universidad Central (Academia)" in section
    assert "women: 22" in section and "men: 17" in section and "migrants or displaced persons: 25" in section
    assert "other or not stated" not in section  # a part of the breakdown not given is not shown
    assert "Spanish, Kichwa" in section
    assert "SP; HC-02, SP-01" in section or "SP; SP-01, HC-02" in section
    assert "Participants, all consultations together 48" in section
    assert "Consultations 2" in section


def test_groups_are_counted_by_category_once_each_however_many_consultations(client, draft, quito, groups):
    ConsultationFactory(round=draft, groups=[groups["diaspora"], groups["ngo"], groups["university"]])
    ConsultationFactory(round=draft, groups=[groups["ngo"], groups["union"]])
    StakeholderFactory(authority=quito.authority, name="Never consulted", category=Category.PRIVATE_SECTOR)

    context = report_context(_loaded(draft), "en", charts=None)

    categories = {str(c["label"]): c["count"] for c in context["participation"]["categories"]}
    assert categories == {
        "Migrant or diaspora association": 1,
        "Civil society": 1,
        "Academia": 1,
        "Trade union": 1,
    }
    assert context["participation"]["groups"] == 4
    section = _section(_preview(client, draft, quito.editor))
    assert "Groups consulted 4" in section and "Civil society 1" in section
    assert "Private sector" not in section


@pytest.mark.parametrize(
    ("consulted", "took_part"),
    [(["ngo", "university"], "No"), (["ngo", "diaspora"], "Yes"), (["refugees"], "Yes")],
)
def test_the_section_says_whether_migrant_diaspora_or_refugee_led_organisations_took_part(
    client, draft, quito, groups, consulted, took_part
):
    ConsultationFactory(round=draft, groups=[groups[name] for name in consulted])

    section = _section(_preview(client, draft, quito.editor))

    assert f"refugee-led organisations, took part {took_part} " in section


def test_a_round_without_consultations_says_so(client, draft, quito):
    section = _section(_preview(client, draft, quito.editor))

    assert "No consultation was recorded for this round." in section
    assert "Groups consulted" not in section
    assert "No perception survey was run for this round." in section


def test_another_rounds_consultations_are_not_listed(client, draft, quito, groups):
    other = ConsultationFactory(groups=[StakeholderFactory(name="Elsewhere association")])
    assert other.round.authority != quito.authority

    section = _section(_preview(client, draft, quito.editor))

    assert "Elsewhere association" not in section
    assert "No consultation was recorded for this round." in section


# --- the perception gap --------------------------------------------------------------------------


def test_the_perception_gap_shows_indicators_with_five_responses_beside_the_city_level(client, validated, quito):
    # Five levels on each indicator (SP-01 at 3, HC-01 at 1), and a sixth respondent who does not know.
    _survey(validated, MIN_RESPONSES, {"SP-01": 3, "HC-01": 1})
    SurveyResponseFactory(survey=validated.survey, answers={"SP-01": None, "HC-01": None})

    body = _preview(client, validated, quito.editor)
    section = _section(body)

    assert "Perception gap" in section and "City's level (validated)" in section
    assert re.search(r"SP-01 .*? 2 · Partial 3 5 ", section), section
    assert re.search(r"HC-01 .*? 2 · Partial 1 5 ", section), section
    assert "(6 responses)" in section  # six respondents, one of whom answered "don't know" to both
    figure = _figures(body)["figure-perception"]
    city, stakeholders = figure["data"][1], figure["data"][2]
    assert stakeholders["y"] == ["HC-01", "SP-01"] and stakeholders["x"] == [1.0, 3.0]
    assert city["x"] == [2, 2]  # the validated level, unchanged by what stakeholders think


def test_an_indicator_with_four_responses_is_left_out_and_the_section_says_why(client, draft, quito):
    answer_everything(draft, quito.editor, level=2)
    _survey(draft, MIN_RESPONSES - 1, {"SP-01": 4, "HC-01": 0})

    body = _preview(client, draft, quito.editor)
    section = _section(body)

    assert "The perception survey had fewer than 5 responses on every indicator" in section
    assert "Stakeholders' median" not in section
    assert "figure-perception" not in _figures(body)


def test_only_the_indicators_with_enough_responses_are_in_the_table(client, draft, quito):
    answer_everything(draft, quito.editor, level=1)
    _survey(draft, MIN_RESPONSES - 1, {"SP-01": 4, "HC-01": 0})
    SurveyResponseFactory(survey=draft.survey, answers={"SP-01": 4})  # SP-01 reaches five, HC-01 stays at four

    body = _preview(client, draft, quito.editor)
    section = _section(body)

    assert "City's level (self-assessed)" in section
    assert re.search(r"SP-01 .*? 1 · Initial 4 5 ", section), section
    assert "HC-01" not in section
    assert "Surveyed indicators left out, with fewer than 5 responses each: 1." in section
    assert _figures(body)["figure-perception"]["data"][2]["y"] == ["SP-01"]


def test_perceptions_never_change_a_score(draft, quito):
    answer_everything(draft, quito.editor, level=1)
    before = report_context(_loaded(draft), "en", charts=None)

    _survey(draft, 12, {"SP-01": 4, "SP-02": 4, "HC-01": 4})
    after = report_context(_loaded(draft), "en", charts=None)

    assert len(after["participation"]["perceptions"]) == 3
    assert after["official"] == before["official"]
    assert after["self_scores"] == before["self_scores"]
    assert [row["self"] for row in after["score_rows"]] == [row["self"] for row in before["score_rows"]]


def test_perception_figure_marks_city_and_stakeholders_by_shape_with_labelled_axes():
    points = [
        charts.PerceptionPoint("SP-01", "Are migrants consulted?", 1, 3.0),
        charts.PerceptionPoint("HC-01", "Does a committee meet?", None, 2.5),
    ]
    figure = charts.perception_figure(
        points, title="Gap", labels=("City", "Stakeholders"), level_labels=["a", "b", "c", "d", "e"]
    )
    go.Figure(figure)  # valid by Plotly's schema

    gaps, city, stakeholders = figure["data"]
    assert gaps["x"] == [1, 3.0, None] and gaps["y"] == ["SP-01", "SP-01", None]  # no line without a city level
    assert (city["name"], city["x"], city["text"]) == ("City", [1, None], ["1", ""])
    assert (stakeholders["x"], stakeholders["text"]) == ([3.0, 2.5], ["3", "2.5"])
    assert city["marker"]["symbol"] != stakeholders["marker"]["symbol"]  # not colour alone
    assert {city["marker"]["color"], stakeholders["marker"]["line"]["color"]} == {
        charts.VALIDATED_COLOUR,
        charts.SELF_COLOUR,
    }
    layout = figure["layout"]
    assert layout["xaxis"]["title"]["text"] == "Level" and layout["yaxis"]["title"]["text"] == "Indicator"
    assert layout["yaxis"]["categoryarray"] == ["SP-01", "HC-01"]  # the given order, whatever the traces name first
    assert layout["xaxis"]["tickvals"] == [0, 1, 2, 3, 4]


def test_the_chart_and_table_come_out_in_the_report_language(client, draft, quito):
    _survey(draft, 3, {"SP-01": 2})
    SurveyResponseFactory.create_batch(3, survey=draft.survey, answers={"SP-01": 3})  # a median of 2.5

    body = _preview(client, draft, quito.editor, "es")

    figure = _figures(body)["figure-perception"]
    assert figure["layout"]["xaxis"]["title"]["text"] == "Nivel"
    assert figure["layout"]["separators"].startswith(",")  # the Spanish decimal comma, in the chart
    assert figure["data"][2]["text"] == ["2,5"]  # and on its marker
    assert re.search(r"SP-01 .*? 2,5 6 ", _section(body))  # and in the table


# --- the fingerprint and the format ----------------------------------------------------------------


def test_the_report_format_is_six_or_more():
    assert REPORT_FORMAT >= 6  # 6 brought "Who took part"; later sections raise it again


def test_the_fingerprint_changes_when_a_consultation_is_added_changed_or_a_group_renamed(draft, quito, groups):
    def current() -> str:
        return report_context(_loaded(draft), "en", charts=None)["fingerprint"]

    empty = current()
    assert report_facts(_loaded(draft))["format"] == REPORT_FORMAT
    consultation = ConsultationFactory(round=draft, groups=[groups["ngo"]])
    added = current()
    assert added != empty

    consultation.participants = 30
    consultation.save()
    changed = current()
    assert changed != added

    groups["ngo"].name = "Casa de Acogida Quito"
    groups["ngo"].save()
    assert current() != changed


def test_the_fingerprint_changes_with_each_survey_response(draft):
    _survey(draft, 2, {"SP-01": 3})
    two = report_facts(_loaded(draft))
    SurveyResponseFactory(survey=draft.survey, answers={"SP-01": None})
    three = report_facts(_loaded(draft))

    assert three["participation"]["respondents"] == 3
    assert report_module.fingerprint(two, "en") != report_module.fingerprint(three, "en")


# --- queries -----------------------------------------------------------------------------------


# A round with consultations reads their groups, indicators and dimensions: three queries, however many.
CONSULTATION_LINKS = 3


@pytest.mark.parametrize(("consultations", "responses"), [(1, 5), (6, 14)])
def test_who_took_part_adds_a_constant_number_of_queries(
    draft, quito, groups, django_assert_num_queries, consultations, responses
):
    answer_everything(draft, quito.editor, level=3)  # no priority below level 3: no examples to read
    for n in range(consultations):
        ConsultationFactory(
            round=draft, groups=list(groups.values())[: n % 5 + 1], indicators=["SP-01", "SP-02"], dimensions=["SP"]
        )
    _survey(draft, responses, {"SP-01": 3, "SP-02": 2, "HC-01": None})
    round = _loaded(draft)

    with django_assert_num_queries(RENDER_QUERIES["draft"] + CONSULTATION_LINKS):
        context = report_context(round, "en", charts=None)
    assert len(context["participation"]["consultations"]) == consultations
    assert len(context["participation"]["perceptions"]) == 2


def test_the_preview_reads_the_same_number_of_queries_with_more_consultations(client, draft, quito, groups):
    client.force_login(quito.editor)
    url = reverse("report_preview", args=[draft.pk])
    ConsultationFactory(round=draft, groups=[groups["ngo"]])
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _n in range(4):
        ConsultationFactory(round=draft, groups=list(groups.values()), indicators=["SP-01"])
    _survey(draft, 7, {"SP-01": 3})
    with CaptureQueriesContext(connection) as more:
        client.get(url)

    assert len(more) == len(one)


# --- the PDF -------------------------------------------------------------------------------------


def test_the_pdf_shows_who_took_part_and_the_perception_gap(
    validated, quito, groups, django_capture_on_commit_callbacks
):
    ConsultationFactory(
        round=validated,
        participants=35,
        women=20,
        languages="Spanish, Kichwa",
        groups=[groups["diaspora"], groups["ngo"]],
        indicators=["SP-01"],
    )
    _survey(validated, 6, {"SP-01": 4, "SP-02": 3, "HC-01": 1})

    html, _fingerprint = services.render_report_html(_loaded(validated), "en")
    assert html.count('<svg class="main-svg"') == 3  # the profile, the trend and the perception gap
    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(round=validated, user=quito.approver, language="en")
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE

    with job.file.open("rb") as handle:
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages]
    text = " ".join(" ".join(pages).split())
    assert "Who took part" in text
    assert "Venezuelan diaspora network" in text and "Casa de Acogida" in text
    assert "Perception gap" in text and "Stakeholders' median" in text
    assert "Spanish, Kichwa" in text
