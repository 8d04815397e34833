"""What the perception survey shows on the assessment pages (``assessments.slots``).

The round page gets a "What stakeholders think" section: the survey's status and responses, with
links to manage it (approvers) and to its results. The review page gets, under each indicator the
survey asked, the stakeholders' median beside the city's level and the reviewer's (or "fewer than 5
responses"). Each page loads the survey once, whatever the number of indicators: the fillers of one
request share what they loaded (``_memo``).
"""

from __future__ import annotations

from django.db.models import Count
from django.template.loader import render_to_string

from assessments import slots
from assessments.models import Answer, ReviewItem, Round

from .access import can_run_survey
from .models import Survey
from .perception import MIN_RESPONSES, round_perceptions


def _memo(request, key: tuple, load):
    """What ``load()`` returns, loaded once per request: the fillers of one page share what they read."""
    memo = request.__dict__.setdefault("_survey_panels", {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


def _survey(request, round: Round) -> Survey | None:
    """The round's survey with its number of responses (one query), or None."""
    return _memo(
        request,
        ("survey", round.pk),
        lambda: Survey.objects.filter(round_id=round.pk).annotate(response_count=Count("responses")).first(),
    )


def _asked(request, survey: Survey) -> frozenset[int]:
    """The ids of the indicators the survey asks (one query)."""
    return _memo(request, ("asked", survey.pk), lambda: frozenset(survey.indicators.values_list("pk", flat=True)))


def _can_run(request, round: Round) -> bool:
    return _memo(request, ("can_run", round.pk), lambda: can_run_survey(request.user, round))


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


def _levels(request, round: Round, asked: frozenset[int]) -> dict[int, dict]:
    """Indicator id → the city's counted answer and the reviewer's validated level, for the indicators asked."""

    def load():
        levels: dict[int, dict] = {pk: {"answer": None, "validated_level": None} for pk in asked}
        for answer in Answer.objects.filter(round_id=round.pk, indicator_id__in=asked).counted():
            levels[answer.indicator_id]["answer"] = answer
        reviews = ReviewItem.objects.filter(round_id=round.pk, indicator_id__in=asked, validated_level__isnull=False)
        for indicator_id, level in reviews.values_list("indicator_id", "validated_level"):
            levels[indicator_id]["validated_level"] = level
        return levels

    return _memo(request, ("levels", round.pk), load)


def review_indicator_parts(request, round: Round, indicators) -> dict[int, str]:
    """Under each indicator the survey asked: the stakeholders' median beside the city's level and the reviewer's."""
    survey = _survey(request, round)
    if survey is None:
        return {}
    asked = _asked(request, survey)
    perceptions = _memo(request, ("perceptions", round.pk), lambda: round_perceptions(round))
    levels = _levels(request, round, asked)
    parts = {}
    for indicator in indicators:
        if indicator.pk not in asked:
            continue
        parts[indicator.pk] = render_to_string(
            "participation/panels/survey_review_indicator.html",
            {
                "indicator": indicator,
                "perception": perceptions.get(indicator.pk),
                "answer": levels[indicator.pk]["answer"],
                "validated_level": levels[indicator.pk]["validated_level"],
                "min_responses": MIN_RESPONSES,
            },
            request=request,
        )
    return parts


slots.ROUND_PAGE.register(round_page_section, order=65)
slots.REVIEW_INDICATOR.register(review_indicator_parts, order=65)
