"""The approver's survey pages: open, share, extend and close a round's survey; its results beside the city's levels.

Rounds are fetched through ``assessments.access.access_round`` (another city's round is a 404 for
everyone), and opening, extending and closing are the approvers' (``access.can_run_survey``: a 403
page for others). The results are read by whoever may read the round; what stakeholders think never
changes a score.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from assessments.access import AccessDenied, access_round
from assessments.http import refused_page
from assessments.models import Round
from assessments.scoring import IndicatorInput
from assessments.sheet import answer_sheet
from indicators.rules import Level, Response

from . import access, services
from .models import Survey, SurveyAnswer
from .perception import MIN_RESPONSES, perception_rows, round_perceptions
from .survey_forms import SurveyCloseForm, SurveyExtendForm, SurveyOpenForm, catalogue_order, scale


def _round(request: HttpRequest, pk: int) -> Round:
    """The round, if the user may see it (a 404 otherwise, whoever owns it)."""
    return access_round(request.user, pk, rounds=Round.objects.select_related("authority", "version"))


def _survey(round: Round) -> Survey | None:
    """The round's survey with its number of responses, or None."""
    return Survey.objects.filter(round=round).annotate(response_count=Count("responses")).first()


def survey_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the round's survey; once open: its link to share, status, responses, a later last day, closing."""
    round = _round(request, pk)
    survey = _survey(round)
    can_run = access.can_run_survey(request.user, round)
    action = request.POST.get("action") if request.method == "POST" else None
    if action is not None:
        try:
            access.require_survey(request.user, round)
        except AccessDenied as denied:
            return refused_page(request, str(denied), reverse("survey_manage", args=[round.pk]), status=403)
    data = request.POST if action else None
    running = can_run and survey is not None and survey.closed_at is None
    open_form = SurveyOpenForm(data if action == "open" else None, round=round) if can_run and not survey else None
    extend_form = SurveyExtendForm(data if action == "extend" else None, survey=survey) if running else None
    close_form = SurveyCloseForm(data if action == "close" else None) if running else None
    form = {"open": open_form, "extend": extend_form, "close": close_form}.get(action)
    if action is not None and form is None:
        return refused_page(
            request, _out_of_turn(survey, action), reverse("survey_manage", args=[round.pk]), status=409
        )
    if form is not None and form.is_valid():
        try:
            if action == "open":
                services.survey_open(round=round, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The survey is open. Share its link with stakeholders."))
            elif action == "extend":
                services.survey_extend(survey=survey, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The survey's last day is changed."))
            else:
                services.survey_close(survey=survey, actor=request.user)
                messages.success(request, _("The survey is closed: its link takes no more answers."))
        except services.ParticipationError as error:
            form.add_error(None, error)
        else:
            return redirect("survey_manage", round.pk)
    link = request.build_absolute_uri(reverse("survey_respond", args=[survey.token])) if survey and can_run else ""
    return render(
        request,
        "participation/survey/manage.html",
        {
            "round": round,
            "survey": survey,
            "can_run": can_run,
            "link": link,
            "open_form": open_form,
            "extend_form": extend_form,
            "close_form": close_form,
            "min_responses": MIN_RESPONSES,
        },
        status=422 if form is not None and form.errors else 200,
    )


def _out_of_turn(survey: Survey | None, action: str) -> str:
    """Why ``action`` cannot be done to the round's survey as it is (nothing was changed)."""
    if survey is None:
        return _("This round has no survey yet.")
    if action == "open":
        return _("This round already has a survey.")
    if survey.closed_at is not None:
        return _("This survey is closed; it cannot be reopened.")
    return _("Choose what to do with the survey.")


def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    """The survey's results per indicator: the city's level, the stakeholders' distribution, median and gap.

    An indicator's distribution, median and comments are shown only from ``MIN_RESPONSES`` levels
    given: fewer could let a respondent be recognised.
    """
    round = _round(request, pk)
    survey = _survey(round)
    context = {
        "round": round,
        "survey": survey,
        "can_run": access.can_run_survey(request.user, round),
        "min_responses": MIN_RESPONSES,
        "scale": scale(),
        "validated": round.status == Round.Status.VALIDATED,
        "rows": _result_rows(round, survey) if survey else [],
    }
    return render(request, "participation/survey/results.html", context)


def _result_rows(round: Round, survey: Survey) -> list[dict]:
    """One row per indicator asked: the city's levels, the perception, its distribution in percent, comments."""
    indicators = list(catalogue_order(survey.indicators.all()))
    perceptions = round_perceptions(round)
    shown = [i.pk for i in indicators if (p := perceptions.get(i.pk)) and p.shown]
    comments: dict[int, list[str]] = {pk: [] for pk in shown}
    # Sorted by indicator and text, not by response: comments on several questions cannot be matched up by position.
    for indicator_id, comment in (
        SurveyAnswer.objects.filter(response__survey=survey, indicator_id__in=shown)
        .exclude(comment="")
        .order_by("indicator_id", "comment")
        .values_list("indicator_id", "comment")
    ):
        comments[indicator_id].append(comment)
    rows = []
    for row in perception_rows(answer_sheet(round), perceptions, indicators=indicators):
        perception = row.perception
        rows.append(
            {
                "indicator": row.indicator,
                "self": _level_text(row.own),
                "validated": _level_text(row.checked) if row.checked else "",
                "perception": perception,
                "gap": row.gap,
                "distribution": [
                    {"level": level, "label": label, "count": count, "percent": _percent(count, perception)}
                    for (level, label, _meaning), count in zip(
                        scale(), perception.distribution.values() if perception else [], strict=False
                    )
                ],
                "comments": comments.get(row.indicator.pk, []),
            }
        )
    return rows


def _percent(count: int, perception) -> int:
    """``count`` as a whole percentage of the respondents who gave a level."""
    return round(100 * count / perception.responses) if perception and perception.responses else 0


def _level_text(item: IndicatorInput) -> str:
    """An answer as a score set reads it, in words: "3 · Operational", "Not applicable" …"""
    if item.response == Response.LEVEL and item.level is not None:
        return f"{item.level} \u00b7 {Level(item.level).label}"
    return str(Response(item.response).label)
