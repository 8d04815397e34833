"""What the perception survey shows on the assessment pages (``assessments.slots``).

The round page gets a "What stakeholders think" section: the survey's status and responses, with
links to manage it (approvers) and to its results. The review page gets, under each indicator the
survey asked, the stakeholders' median beside the city's level and the reviewer's (or "fewer than 5
responses"). Each page loads the survey once, whatever the number of indicators: the fillers of one
request share what they loaded (``slots.per_request``), and the review page's answer sheet
(``request_sheet``).
"""

from __future__ import annotations

from django.db.models import Count
from django.template.loader import render_to_string

from assessments import slots
from assessments.models import Round
from assessments.sheet import request_sheet

from .access import can_run_survey
from .models import Survey
from .perception import MIN_RESPONSES, perception_rows, round_perceptions


def _survey(request, round: Round) -> Survey | None:
    """The round's survey with its number of responses (one query), or None."""
    return slots.per_request(
        request,
        ("participation", "survey", round.pk),
        lambda: Survey.objects.filter(round_id=round.pk).annotate(response_count=Count("responses")).first(),
    )


def _asked(request, survey: Survey) -> frozenset[int]:
    """The ids of the indicators the survey asks (one query)."""
    return slots.per_request(
        request,
        ("participation", "asked", survey.pk),
        lambda: frozenset(survey.indicators.values_list("pk", flat=True)),
    )


def _can_run(request, round: Round) -> bool:
    return slots.per_request(
        request, ("participation", "can_run", round.pk), lambda: can_run_survey(request.user, round)
    )


# --- the round page ------------------------------------------------------------------------------


def round_page_section(request, round: Round) -> str:
    """The round page's "What stakeholders think" section (the page has checked that the user may read the round)."""
    survey = _survey(request, round)
    return render_to_string(
        "participation/panels/survey_round_section.html",
        {"round": round, "survey": survey, "can_run": _can_run(request, round), "min_responses": MIN_RESPONSES},
        request=request,
    )


# --- the review page -----------------------------------------------------------------------------


def review_indicator_parts(request, round: Round, indicators) -> dict[int, str]:
    """Under each indicator the survey asked: the stakeholders' median beside the city's level and the reviewer's."""
    survey = _survey(request, round)
    if survey is None:
        return {}
    asked = _asked(request, survey)
    perceptions = slots.per_request(
        request, ("participation", "perceptions", round.pk), lambda: round_perceptions(round)
    )
    rows = perception_rows(
        request_sheet(request, round), perceptions, indicators=[i for i in indicators if i.pk in asked]
    )
    return {
        row.indicator.pk: render_to_string(
            "participation/panels/survey_review_indicator.html",
            {
                "indicator": row.indicator,
                "perception": row.perception,
                "answer": row.answer,
                "validated_level": row.validated_level,
                "min_responses": MIN_RESPONSES,
            },
            request=request,
        )
        for row in rows
    }


slots.ROUND_PAGE.register(round_page_section, order=65)
slots.REVIEW_INDICATOR.register(review_indicator_parts, order=65)
