"""The national or regional counterpart's pages: the invitation, the counterpart's answers, the comparison.

- The invitation is for the round's approvers and the programme reviewers who may see it
  (``access.can_invite_counterpart``): the round is fetched through ``access_round`` (another city's
  round is a 404), and others who may see it get a 403 page. They may also withdraw it
  (``counterpart_withdraw``) until the counterpart submits.
- The answer page is the counterpart's alone (``access.require_counterpart``): anyone else, a member
  of the city included, gets a 404, and so does the counterpart on any other round. It never shows
  the city's answers.
- The comparison opens once both sides have submitted (``access.can_see_comparison``); before, the
  counterpart and whoever may see the round get a page that says so, everyone else a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.access import AccessDenied, access_round
from assessments.http import refused_page
from assessments.models import Round

from . import access, services
from .comparison import FAR_APART
from .comparison import counterpart_comparison as side_by_side
from .counterpart_forms import CounterpartAnswersForm, CounterpartInviteForm
from .models import Counterpart

# --- the invitation ------------------------------------------------------------------------------


def counterpart_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite the round's national or regional counterpart (its approvers, programme reviewers)."""
    round = access_round(request.user, pk, rounds=Round.objects.select_related("authority"))
    back = reverse("round_detail", args=[round.pk])
    if not access.can_invite_counterpart(request.user, round):
        if round.status == Round.Status.VALIDATED:
            message = _("This round is validated: it takes no counterpart any more.")
        else:
            message = _("Only an approver of the authority or a programme reviewer can invite a counterpart.")
        return refused_page(request, message, back, status=403)
    counterpart = Counterpart.objects.filter(round=round).select_related("user").first()
    context = {"round": round, "mirrored": services.mirrored_indicators(round)}
    if counterpart is not None:
        if request.method == "POST":
            return refused_page(request, _("This round already has a counterpart."), back, status=409)
        can_withdraw = not counterpart.submitted  # the page checked can_invite_counterpart above
        return render(
            request,
            "territories/counterpart/invite.html",
            {**context, "counterpart": counterpart, "can_withdraw": can_withdraw},
        )
    form = CounterpartInviteForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            counterpart = services.counterpart_invite(round=round, actor=request.user, **form.cleaned_data)
        except services.TerritoryError as error:
            form.add_error(None, error)
        except AccessDenied as denied:
            return refused_page(request, str(denied), back, status=403)
        else:
            messages.success(
                request,
                _("%(name)s is invited. The invitation is on its way to %(email)s.")
                % {"name": form.cleaned_data["name"], "email": counterpart.user.email},
            )
            return redirect("round_detail", round.pk)
    return render(
        request,
        "territories/counterpart/invite.html",
        {**context, "form": form},
        status=422 if form.errors else 200,
    )


@require_POST
def counterpart_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw the round's counterpart invitation, once the confirmation box is ticked (whoever may invite)."""
    round = access_round(request.user, pk, rounds=Round.objects.select_related("authority"))
    back = reverse("round_detail", args=[round.pk]) + "#counterpart"
    counterpart = Counterpart.objects.filter(round=round).select_related("round").first()
    if counterpart is None:
        return refused_page(request, _("This round has no counterpart invitation to withdraw."), back, status=409)
    if request.POST.get("confirm") != "yes":
        return refused_page(request, _("Tick the box to confirm that the invitation is withdrawn."), back, status=400)
    try:
        services.counterpart_withdraw(counterpart=counterpart, actor=request.user)
    except AccessDenied as denied:
        return refused_page(request, str(denied), back, status=403)
    except services.TerritoryError as error:
        return refused_page(request, " ".join(error.messages), back, status=409)
    messages.success(request, _("The counterpart's invitation is withdrawn."))
    return redirect(back)


# --- the counterpart's answers -------------------------------------------------------------------


def counterpart_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The counterpart answers the round's mirrored indicators, saves, then submits; read-only afterwards."""
    counterpart = access.require_counterpart(request.user, pk)
    round = counterpart.round
    back = reverse("counterpart_answer", args=[round.pk])
    indicators = list(services.mirrored_indicators(round))
    answers = {a.indicator_id: a for a in counterpart.answers.all()}
    if counterpart.submitted:
        if request.method == "POST":
            return refused_page(
                request, _("Your answers are submitted; they cannot change any more."), back, status=409
            )
        return render(request, "territories/counterpart/answer.html", _answer_context(counterpart, indicators, answers))
    form = CounterpartAnswersForm(request.POST or None, indicators=indicators, answers=answers)
    missing: list = []
    if request.method == "POST":
        if form.unexpected_fields():
            message = _("The form carried answers to indicators this page does not ask; nothing was saved.")
            return refused_page(request, message, back, status=400)
        if form.is_valid() and _save(form, counterpart, request.user):
            if not form.submitting:
                messages.success(request, _("Your answers are saved."))
                anchor = request.POST.get("save", "")
                return redirect(back + (f"#indicator-{anchor}" if anchor in {i.code for i in indicators} else ""))
            try:
                services.counterpart_submit(counterpart=counterpart, actor=request.user)
            except services.TerritoryError as refused:
                form.add_error(None, refused)
                answers = {a.indicator_id: a for a in counterpart.answers.all()}
                missing = [indicator for indicator in indicators if indicator.pk not in answers]
            else:
                messages.success(request, _("Your answers are submitted. Thank you."))
                return redirect(back)
    context = _answer_context(counterpart, indicators, answers)
    return render(
        request,
        "territories/counterpart/answer.html",
        {**context, "form": form, "missing": missing},
        status=422 if form.errors else 200,
    )


def _save(form: CounterpartAnswersForm, counterpart: Counterpart, actor) -> bool:
    """Save every changed answer, or none (the form keeps what was typed and says why)."""
    try:
        with transaction.atomic():
            for change in form.changes():
                services.counterpart_answer_save(counterpart=counterpart, actor=actor, **change)
    except services.TerritoryError as error:
        form.add_error(None, error)
        return False
    return True


def _answer_context(counterpart: Counterpart, indicators: list, answers: dict) -> dict:
    round = counterpart.round
    return {
        "counterpart": counterpart,
        "round": round,
        "indicators": indicators,
        "rows": [{"indicator": indicator, "answer": answers.get(indicator.pk)} for indicator in indicators],
        "answered": sum(1 for indicator in indicators if indicator.pk in answers),
        "total": len(indicators),
        "comparison_open": access.comparison_open(counterpart, round),
    }


# --- the comparison ------------------------------------------------------------------------------


def counterpart_comparison(request: HttpRequest, pk: int) -> HttpResponse:
    """Both sides' answers to the mirrored indicators, with the gap, once both have submitted."""
    counterpart = (
        Counterpart.objects.filter(round_id=pk).select_related("round__authority", "round__version", "user").first()
    )
    if counterpart is None or not access.follows_comparison(request.user, counterpart, counterpart.round):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    round = counterpart.round
    is_counterpart = counterpart.user_id == request.user.pk
    context = {
        "round": round,
        "counterpart": counterpart,
        "is_counterpart": is_counterpart,
        "round_link": not is_counterpart,
        "far": FAR_APART,
    }
    if not access.can_see_comparison(request.user, counterpart, round):
        return render(request, "territories/counterpart/comparison_waiting.html", context)
    comparison = side_by_side(round, counterpart)
    return render(request, "territories/counterpart/comparison.html", {**context, "comparison": comparison})
