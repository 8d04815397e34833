"""The suggested actions page: a round's gaps, each with the catalogue's suggestion drafted as an action.

Members of the round's authority take a suggestion up ("Add to the plan"), change the target, or
dismiss it; reviewers read the page; anyone else gets a 404. Nothing is written unless a person
presses a button, and a refused change is a form error (422) with nothing written.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from assessments.access import AccessDenied, access_round
from assessments.models import Round
from indicators.rules import Level

from . import services, suggestions
from .access import PlanCapability, plan_capabilities, require
from .forms import DismissForm, SuggestedActionForm, TargetForm
from .models import DEFAULT_TARGET_LEVEL

ADD, DISMISS, TARGET = "add", "dismiss", "target"


def _page(round: Round) -> str:
    return reverse("plan_suggestions", args=[round.pk])


def plan_suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    """List the round's gaps with a drafted action each; take one up, change a target, or dismiss (members)."""
    round = access_round(request.user, pk, rounds=Round.objects.select_related("authority", "version"))
    gaps = suggestions.gaps(round, request.user)  # a 404 unless the user may read the plan
    bound: dict[str, forms.Form] = {}
    if request.method == "POST":
        try:
            require(request.user, PlanCapability.EDIT, round.authority)
        except AccessDenied as denied:
            return render(request, "refused.html", {"message": str(denied), "back": _page(round)}, status=403)
        gap = next((g for g in gaps if g.code == request.POST.get("indicator")), None)
        if gap is None:
            message = _("This indicator is not below its target in this round (any more): nothing was changed.")
            return render(request, "refused.html", {"message": message, "back": _page(round)}, status=422)
        if request.POST.get("do") not in (ADD, TARGET, DISMISS):
            message = _("Choose what to do: add the action, change the target or dismiss the suggestion.")
            return render(request, "refused.html", {"message": message, "back": _page(round)}, status=422)
        done, form = _act(request, round, gap)
        if done:
            return redirect(f"{_page(round)}#gap-{gap.code}")
        bound[gap.code] = form
        messages.error(request, _("%(code)s: nothing was changed, see why below.") % {"code": gap.code})
    return render(
        request,
        "plans/suggestions.html",
        _context(request, round, gaps, bound),
        status=422 if bound else 200,
    )


def _act(request: HttpRequest, round: Round, gap: suggestions.Gap) -> tuple[bool, forms.Form]:
    """Do what the pressed button asks for one gap; return whether it was done, and the form (with its errors)."""
    action = request.POST["do"]
    if action == ADD:
        form = SuggestedActionForm(request.POST, prefix=gap.code)
    elif action == TARGET:
        form = TargetForm(request.POST, prefix=f"{gap.code}-target")
    else:
        form = DismissForm(request.POST)
    if not form.is_valid():
        return False, form
    try:
        if action == ADD:
            data = form.cleaned_data
            services.action_create(
                authority=round.authority,
                origin_round=round,
                actor=request.user,
                title=data["title"],
                description=data["description"],
                owner=data["owner"],
                start_date=data["start_date"],
                due_date=data["due_date"],
                targets={gap.indicator: data["target_level"]},
            )
            done = _("%(code)s: the action is added to the plan.")
        elif action == TARGET:
            services.target_set(
                authority=round.authority, indicator_code=gap.code, level=form.cleaned_data["level"], actor=request.user
            )
            done = _("%(code)s: the target is changed.")
        else:
            services.suggestion_dismiss(round=round, indicator=gap.indicator, actor=request.user)
            done = _("%(code)s: the suggestion is dismissed; it stays under “Dismissed suggestions”.")
    except services.PlanError as refused:
        form.add_error(None, refused)
        return False, form
    messages.success(request, done % {"code": gap.code})
    return True, form


def _context(request: HttpRequest, round: Round, gaps: list[suggestions.Gap], bound: dict[str, forms.Form]) -> dict:
    today = timezone.localdate()
    indicators = [gap.indicator for gap in gaps]
    peers = suggestions.peer_examples(indicators, exclude_authority=round.authority)
    examples = suggestions.catalogue_examples(indicators)
    new_action = reverse("plan_action_create", args=[round.authority.slug])
    cards = []
    for gap in gaps:
        form = bound.get(gap.code)
        cards.append(
            {
                "gap": gap,
                "form": form
                if isinstance(form, SuggestedActionForm)
                else SuggestedActionForm(
                    prefix=gap.code, initial=suggestions.action_draft(gap.indicator, gap.target, today)
                ),
                "target_form": form
                if isinstance(form, TargetForm)
                else TargetForm(prefix=f"{gap.code}-target", initial={"level": gap.target}),
                # plans-core's new-action page, pre-filled from the same suggestion.
                "edit_url": f"{new_action}?{urlencode({'round': round.pk, 'indicator': gap.code})}",
                "dismiss_form": form if isinstance(form, DismissForm) else DismissForm(),
                "peers": peers.get(gap.code, []),
                "examples": examples.get(gap.code, []),
            }
        )
    return {
        "round": round,
        "validated": round.status == Round.Status.VALIDATED,
        "default_target": Level(DEFAULT_TARGET_LEVEL),
        "peer_level": suggestions.PEER_LEVEL,
        "can_edit": PlanCapability.EDIT in plan_capabilities(request.user, round.authority_id),
        "cards": [card for card in cards if not card["gap"].dismissed],
        "dismissed": [card for card in cards if card["gap"].dismissed],
    }
