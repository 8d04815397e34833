"""What stakeholders think, beside the city's levels: the 5-response threshold, "don't know", the results page, scores.

Quito's draft round has a survey; responses are written with the factory (each answers every asked
indicator unless told otherwise). Perceptions stand beside scores and never change them.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from assessments import services as assessment_services
from assessments.models import ReviewItem, Round
from indicators.models import Indicator
from participation.perception import MIN_RESPONSES, perception, round_perceptions
from tests.participation.factories import SurveyFactory, SurveyResponseFactory
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db


def results(round) -> str:
    return reverse("survey_results", args=[round.pk])


def as_user(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def respond(survey, *levels, comment="") -> None:
    """One response per level, each giving SP-01 that level (None: don't know)."""
    for level in levels:
        SurveyResponseFactory(survey=survey, answers={"SP-01": (level, comment)})


def article(html: str, code: str) -> str:
    """The results page's block of one indicator."""
    start = html.index(f'id="indicator-{code}"')
    end = html.find("</article>", start)
    return html[start:end]


# --- the pure function ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "responses", "dont_know", "median"),
    [
        ([], 0, 0, None),
        ([2, 3, 3, 4], 4, 0, None),  # four levels: not shown
        ([2, 3, 3, 4, None, None], 4, 2, None),  # "don't know" is no response to the median
        ([0, 1, 2, 3, 4], 5, 0, 2.0),
        ([1, 1, 2, 3, 4, 4], 6, 0, 2.5),
        ([4, 4, 4, 4, 4, None], 5, 1, 4.0),
    ],
)
def test_a_median_only_from_five_levels_and_dont_know_counted_apart(levels, responses, dont_know, median):
    result = perception(levels)

    assert (result.responses, result.dont_know, result.median) == (responses, dont_know, median)
    assert result.shown == (median is not None)
    assert sum(result.distribution.values()) == responses


@given(st.lists(st.one_of(st.none(), st.integers(0, 4)), max_size=40))
def test_a_median_is_on_the_scale_and_shown_exactly_from_the_threshold(levels):
    result = perception(levels)

    given_levels = [level for level in levels if level is not None]
    assert result.shown == (len(given_levels) >= MIN_RESPONSES)
    if result.shown:
        assert min(given_levels) <= result.median <= max(given_levels)


def test_the_gap_is_the_median_minus_the_citys_level():
    assert perception([3, 3, 3, 4, 4]).gap(2) == 1.0
    assert perception([0, 0, 1, 1, 1]).gap(3) == -2.0
    assert perception([3, 3, 3, 3]).gap(2) is None  # too few to say
    assert perception([3, 3, 3, 3, 3]).gap(None) is None  # the city gave no level


# --- the results page: thresholds ----------------------------------------------------------------


def test_with_four_responses_the_results_page_says_so_and_shows_no_distribution_median_or_comment(quito, draft):
    survey = SurveyFactory(round=draft, indicators=["SP-01"])
    respond(survey, 3, 3, 4, 4, comment="A REMARK THAT COULD BETRAY ITS AUTHOR")

    html = article(as_user(quito.editor).get(results(draft)).content.decode(), "SP-01")

    assert "Fewer than 5 responses: results are shown from 5 responses." in html
    assert "How respondents answered" not in html
    assert "A REMARK" not in html
    assert "<strong>" not in html  # no median


def test_from_five_responses_the_distribution_median_gap_and_comments_are_shown(quito, draft):
    answer(draft, "SP-01", quito.editor, level=1)
    survey = SurveyFactory(round=draft, indicators=["SP-01"])
    respond(survey, 3, 3, 4, 4)
    SurveyResponseFactory(survey=survey, answers={"SP-01": (2, "Interpreters are rare.")})
    SurveyResponseFactory(survey=survey, answers={"SP-01": (None, "I cannot tell.")})

    html = article(as_user(quito.editor).get(results(draft)).content.decode(), "SP-01")

    assert "<strong>3</strong>" in html  # the median of 2, 3, 3, 4, 4
    assert "levels given: 5; “I don't know”: 1" in html
    assert "+2 · stakeholders see more than the city" in html  # 3 − the city's level 1
    assert "1 · Initial" in html  # the city's level
    counts = dict(
        re.findall(r'<th scope="row" class="fw-normal">(\d) · [^<]*</th>\s*<td class="text-end">(\d+) ', html)
    )
    assert counts == {"0": "0", "1": "0", "2": "1", "3": "2", "4": "2"}
    assert "(40 %)" in html
    assert "Interpreters are rare." in html and "I cannot tell." in html  # a "don't know" may comment too


def test_the_threshold_is_per_indicator(quito, draft):
    survey = SurveyFactory(round=draft, indicators=["SP-01", "HC-01"])
    for _n in range(5):
        SurveyResponseFactory(survey=survey, answers={"SP-01": 2, "HC-01": None})

    html = as_user(quito.editor).get(results(draft)).content.decode()

    assert "<strong>2</strong>" in article(html, "SP-01")
    assert "Fewer than 5 responses" in article(html, "HC-01")  # five "don't know" make no median


def test_a_validated_round_shows_the_validated_level_and_measures_the_gap_from_it(quito, submitted, reviewer):
    sp01 = Indicator.objects.get(version=submitted.version, code="SP-01")
    assessment_services.round_review(
        round=submitted,
        actor=reviewer,
        decisions={sp01.pk: assessment_services.Decision(validated_level=0, comment="No proof.")},
        action=assessment_services.ReviewAction.VALIDATE,
    )
    assert ReviewItem.objects.get(round=submitted, indicator=sp01).validated_level == 0
    survey = SurveyFactory(round=submitted, indicators=["SP-01"])
    respond(survey, 1, 1, 1, 1, 1)

    html = article(as_user(quito.editor).get(results(submitted)).content.decode(), "SP-01")

    assert "Validated level" in html and "0 · Not in place" in html
    assert "2 · Partial" in html  # the city's own level (answer_everything gives 2)
    assert "+1 · stakeholders see more than the city" in html


def test_the_results_page_says_that_perceptions_never_change_scores(quito, draft):
    SurveyFactory(round=draft)

    html = as_user(quito.editor).get(results(draft)).content.decode()

    assert "Perceptions never change scores." in html


def test_without_a_survey_the_results_page_says_so_and_offers_the_approver_to_open_one(quito, draft):
    approver = as_user(quito.approver).get(results(draft)).content.decode()
    editor = as_user(quito.editor).get(results(draft)).content.decode()

    assert "No perception survey was opened for this round." in approver
    assert reverse("survey_manage", args=[draft.pk]) in approver
    assert "Open a survey" not in editor


# --- scores stay what they are -------------------------------------------------------------------


def test_ten_responses_change_neither_score_set_of_a_round_in_progress(quito, draft):
    answer_everything(draft, quito.editor, level=1)
    before = draft.scores()
    survey = SurveyFactory(round=draft)

    for n in range(10):
        SurveyResponseFactory(survey=survey, answers=4 if n % 2 else 0)

    assert round_perceptions(draft)  # they are there, beside the scores
    assert Round.objects.get(pk=draft.pk).scores() == before


def test_ten_responses_change_neither_the_frozen_scores_nor_the_round_page(quito, validated):
    client = as_user(quito.editor)
    page_before = client.get(reverse("round_detail", args=[validated.pk])).context
    frozen = validated.snapshot.scores()
    survey = SurveyFactory(round=validated)

    for _n in range(10):
        SurveyResponseFactory(survey=survey, answers=4)

    page_after = client.get(reverse("round_detail", args=[validated.pk])).context
    assert Round.objects.get(pk=validated.pk).snapshot.scores() == frozen
    assert page_after["score_rows"] == page_before["score_rows"]
    assert page_after["official_scores"] == page_before["official_scores"]


# --- query count ---------------------------------------------------------------------------------

# Measured: session, user and their permissions (4), the round and the survey with its count (2),
# the approver check (2), the indicators asked and the levels given (2), the answer sheet (4, with
# the consultations as evidence), the comments (1), the menu's membership check (1).
RESULTS_QUERIES = 16


@pytest.mark.parametrize(("indicators", "responses"), [(2, 5), (14, 40)])
def test_the_results_page_costs_the_same_whatever_the_responses_and_indicators(
    quito, draft, django_assert_max_num_queries, indicators, responses
):
    codes = list(
        Indicator.objects.filter(version=draft.version)
        .order_by("dimension__order", "order")
        .values_list("code", flat=True)[:indicators]
    )
    survey = SurveyFactory(round=draft, indicators=codes)
    for n in range(responses):
        SurveyResponseFactory(survey=survey, answers={code: (n % 5, f"Comment {n}") for code in codes})
    client = as_user(quito.editor)

    with django_assert_max_num_queries(RESULTS_QUERIES):
        response = client.get(results(draft))

    assert response.status_code == 200
    assert len(response.context["rows"]) == indicators
    assert all(row["perception"].shown for row in response.context["rows"])


def test_the_results_page_makes_as_many_queries_with_5_as_with_40_responses(quito, draft):
    survey = SurveyFactory(round=draft)
    client = as_user(quito.editor)
    counts = []
    for total in (5, 40):
        while survey.responses.count() < total:
            SurveyResponseFactory(survey=survey, answers=3)
        with CaptureQueriesContext(connection) as queries:
            client.get(results(draft))
        counts.append(len(queries))

    assert counts[0] == counts[1]
