"""The survey on the assessment pages: the round page's "What stakeholders think" and the review page's medians.

Both load the survey once per request (``slots.per_request``), whatever the number of indicators
asked or responses given; the review page's medians read the page's own answer sheet (``request_sheet``).
"""

import re

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services as assessment_services
from assessments import slots
from assessments.sheet import request_sheet
from indicators.models import Indicator
from participation import survey_panels
from tests.participation.factories import SurveyFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def section(html: str, start: str, end: str = "</section>") -> str:
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


def described(html: str, term: str) -> str:
    """The text of the <dd> that follows the <dt> ``term``."""
    found = re.search(rf"<dt[^>]*>{re.escape(term)}</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    assert found, term
    return found.group(1).strip()


def review_part(html: str, code: str) -> str:
    return section(html, f'id="review-survey-{code}"')


def _codes(round, count: int) -> list[str]:
    return list(
        Indicator.objects.filter(version=round.version)
        .order_by("dimension__order", "order")
        .values_list("code", flat=True)[:count]
    )


# --- the round page ------------------------------------------------------------------------------


def test_the_approver_is_offered_to_open_a_survey_on_the_round_page(quito, draft):
    html = as_user(quito.approver).get(reverse("round_detail", args=[draft.pk])).content.decode()

    part = section(html, 'id="survey"')
    assert "What stakeholders think" in part
    assert "No perception survey was opened for this round." in part
    assert reverse("survey_manage", args=[draft.pk]) in part


def test_an_editor_sees_the_status_and_responses_and_the_results_link_but_not_the_manage_link(quito, draft):
    survey = SurveyFactory(round=draft)
    for _n in range(3):
        SurveyResponseFactory(survey=survey, answers=2)

    html = as_user(quito.editor).get(reverse("round_detail", args=[draft.pk])).content.decode()

    part = section(html, 'id="survey"')
    assert "Taking answers" in part
    assert "Responses: 3." in part
    assert reverse("survey_results", args=[draft.pk]) in part
    assert f'href="{reverse("survey_manage", args=[draft.pk])}"' not in part


def test_the_approver_gets_the_manage_link_once_a_survey_is_open(quito, draft):
    SurveyFactory(round=draft)

    html = as_user(quito.approver).get(reverse("round_detail", args=[draft.pk])).content.decode()

    part = section(html, 'id="survey"')
    assert reverse("survey_manage", args=[draft.pk]) in part
    assert "Manage the survey" in part


def test_the_section_comes_after_the_improvement_plan():
    fillers = [f"{f.__module__}.{f.__name__}" for f in slots.ROUND_PAGE.fillers()]

    assert fillers.index("participation.survey_panels.round_page_section") > fillers.index(
        "plans.panels.round_page_section"
    )


# --- the review page -----------------------------------------------------------------------------


def test_the_reviewer_sees_the_median_beside_the_citys_level_and_their_own(quito, submitted, reviewer):
    sp01 = Indicator.objects.get(version=submitted.version, code="SP-01")
    assessment_services.round_review(
        round=submitted,
        actor=reviewer,
        decisions={sp01.pk: assessment_services.Decision(validated_level=1)},
        action=assessment_services.ReviewAction.SAVE,
    )
    survey = SurveyFactory(round=submitted, indicators=["SP-01", "HC-01", "HC-02"])
    for level in (3, 3, 4, 4, 4):
        SurveyResponseFactory(survey=survey, answers={"SP-01": level, "HC-01": 2})
    SurveyResponseFactory(survey=survey, answers={"HC-02": 1})

    html = as_user(reviewer).get(reverse("round_review", args=[submitted.pk])).content.decode()

    sp = review_part(html, "SP-01")
    assert "<strong>4</strong> (levels given: 5)" in sp
    assert described(sp, "City's level") == "2"  # answer_everything gives 2
    assert described(sp, "Your validated level") == "1"
    assert "Same as the city" in review_part(html, "HC-01")
    assert "Fewer than 5 responses (1 so far)" in review_part(html, "HC-02")
    assert 'id="review-survey-VC-01"' not in html  # not asked


def test_without_a_survey_the_review_page_shows_no_survey_part(submitted, reviewer):
    html = as_user(reviewer).get(reverse("round_review", args=[submitted.pk])).content.decode()

    assert "review-survey-" not in html


def test_the_review_part_holds_no_form_inside_the_review_form(submitted, reviewer):
    SurveyFactory(round=submitted)

    html = as_user(reviewer).get(reverse("round_review", args=[submitted.pk])).content.decode()

    assert "<form" not in review_part(html, "SP-01")


# --- query counts: constant, and shared by the fillers of one request ----------------------------

# The survey with its count (1) and the approver check (2).
ROUND_SECTION_QUERIES = 3
# The survey (1), the indicators asked (1), the levels given (1); the city's answers and the reviewer's levels
# come from the answer sheet the review page loaded (``request_sheet``).
REVIEW_PART_QUERIES = 3


@pytest.mark.parametrize(("asked", "responses"), [(2, 5), (36, 40)])
def test_the_round_section_costs_the_same_whatever_the_survey_and_costs_nothing_twice(
    quito, draft, django_assert_num_queries, asked, responses
):
    survey = SurveyFactory(round=draft, indicators=_codes(draft, asked))
    for _n in range(responses):
        SurveyResponseFactory(survey=survey, answers=3)
    request = request_of(quito.approver)

    with django_assert_num_queries(ROUND_SECTION_QUERIES):
        html = survey_panels.round_page_section(request, draft)
    with django_assert_num_queries(0):
        survey_panels.round_page_section(request, draft)

    assert f"Responses: {responses}." in html


@pytest.mark.parametrize(("asked", "responses"), [(2, 5), (36, 40)])
def test_the_review_parts_cost_the_same_whatever_the_survey_and_nothing_twice(
    submitted, reviewer, django_assert_num_queries, asked, responses
):
    survey = SurveyFactory(round=submitted, indicators=_codes(submitted, asked))
    for _n in range(responses):
        SurveyResponseFactory(survey=survey, answers=3)
    request = request_of(reviewer)
    indicators = request_sheet(request, submitted).indicators  # as the review page loads it

    with django_assert_num_queries(REVIEW_PART_QUERIES):
        parts = survey_panels.review_indicator_parts(request, submitted, indicators)
    with django_assert_num_queries(0):
        survey_panels.review_indicator_parts(request, submitted, indicators)

    assert len(parts) == asked
    assert all("<strong>3</strong>" in part for part in parts.values())


@pytest.mark.parametrize("page", ["round_detail", "round_review"])
def test_a_page_makes_as_many_queries_with_a_small_survey_as_with_a_large_one(submitted, reviewer, page):
    survey = SurveyFactory(round=submitted, indicators=_codes(submitted, 2))
    client = as_user(reviewer)
    counts = []
    for asked, responses in ((2, 5), (36, 40)):
        survey.indicators.set(Indicator.objects.filter(code__in=_codes(submitted, asked), version=submitted.version))
        while survey.responses.count() < responses:
            SurveyResponseFactory(survey=survey, answers=3)
        client.get(reverse(page, args=[submitted.pk]))  # warm caches that are not the page's doing
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(page, args=[submitted.pk]))
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
