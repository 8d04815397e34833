"""What the plans app shows on the assessment pages and in the round API (``assessments.slots``).

The round page gets an "Improvement plan" section (the actions the round follows up and, once it is
validated, how their indicators moved); each indicator's card on the form, the actions linked to it
with a progress-update form; the review page, the same actions read-only with a comment field.

Each page loads the plan once, whatever the number of indicators and actions: the fillers of one
request share what they loaded (``slots.per_request``), so the review page's two slots cost one load.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Prefetch, prefetch_related_objects
from django.template.loader import render_to_string

from assessments import slots
from assessments.models import Round

from .access import PlanCapability, plan_capabilities
from .followup import actions_for_round, followed_up, movements
from .forms import UpdateForm
from .models import Action, ActionComment


def _capabilities(request, round: Round) -> frozenset[PlanCapability]:
    """The user's capabilities on the round's plan."""
    return slots.per_request(
        request,
        ("plans", "capabilities", round.authority_id),
        lambda: plan_capabilities(request.user, round.authority_id),
    )


def _followed(request, round: Round) -> list[Action]:
    """The actions this round follows up that are open or were updated in it (``followup.followed_up``)."""
    return slots.per_request(
        request, ("plans", "followed", round.pk), lambda: followed_up(actions_for_round(round), round)
    )


def _by_code(actions: list[Action]) -> dict[str, list[Action]]:
    by_code: dict[str, list[Action]] = defaultdict(list)
    for action in actions:
        for link in action.links.all():
            by_code[link.indicator.code].append(action)
    return by_code


# --- the round page ------------------------------------------------------------------------------


def round_page_section(request, round: Round) -> str:
    """The round page's "Improvement plan" section ("" for users who may not see the plan)."""
    capabilities = _capabilities(request, round)
    if PlanCapability.VIEW not in capabilities:
        return ""
    actions = list(actions_for_round(round))
    validated = round.status == Round.Status.VALIDATED
    moved = movements(actions, round) if validated else {}
    return render_to_string(
        "plans/panels/round_section.html",
        {
            "round": round,
            "authority": round.authority,
            "validated": validated,
            # An action made in this round has no movement yet: its levels here are its starting point.
            "rows": [
                {"action": a, "movements": moved.get(a.pk, []), "baseline": a.origin_round_id == round.pk}
                for a in actions
            ],
            "can_edit": PlanCapability.EDIT in capabilities,
        },
        request=request,
    )


# --- the form: under each indicator's card -------------------------------------------------------


def indicator_card_parts(request, round: Round, indicators) -> dict[int, str]:
    """Under each indicator's card: the actions linked to its code, with a progress-update form for editors."""
    actions = _followed(request, round)  # first: a round that follows up no action costs no access check
    capabilities = _capabilities(request, round) if actions else frozenset()
    if PlanCapability.VIEW not in capabilities:
        return {}
    by_code = _by_code(actions)
    can_edit = PlanCapability.EDIT in capabilities
    parts = {}
    for indicator in indicators:
        actions = by_code.get(indicator.code)
        if not actions:
            continue
        entries = [
            {
                "action": action,
                "last_update": next(iter(action.updates.all()), None),  # newest first (ActionUpdate.Meta)
                "form": UpdateForm(action=action, auto_id=f"update-{action.pk}-{indicator.code}-%s")
                if can_edit
                else None,
            }
            for action in actions
        ]
        parts[indicator.pk] = render_to_string(
            "plans/panels/indicator_actions.html",
            {
                "round": round,
                "indicator": indicator,
                "entries": entries,
                "next": f"{request.path}#indicator-{indicator.code}",
            },
            request=request,
        )
    return parts


# --- the review page -----------------------------------------------------------------------------


def _with_comments(request, round: Round) -> list[Action]:
    """The followed-up actions with their updates' authors and their comments (two more queries)."""
    actions = _followed(request, round)

    def load():
        prefetch_related_objects(
            actions, "updates__author", Prefetch("comments", ActionComment.objects.select_related("author"))
        )
        return actions

    return slots.per_request(request, ("plans", "comments", round.pk), load) if actions else actions


def review_indicator_parts(request, round: Round, indicators) -> dict[int, str]:
    """Under each indicator on the review page: its actions, their updates and comments, a comment field.

    The review page is one form, and forms do not nest: the comment's fields name their form
    (``form="comment-<id>"``), which ``review_page_forms`` places after the review form. An action
    linked to several indicators gets its comment field once, under the first of them.
    """
    actions = _followed(request, round)  # first: a round that follows up no action costs no access check
    capabilities = _capabilities(request, round) if actions else frozenset()
    if PlanCapability.VIEW not in capabilities:
        return {}
    by_code = _by_code(_with_comments(request, round))
    can_comment = PlanCapability.COMMENT in capabilities
    commented: set[int] = set()
    parts = {}
    for indicator in indicators:
        actions = by_code.get(indicator.code)
        if not actions:
            continue
        entries = []
        for action in actions:
            entries.append({"action": action, "comment_field": can_comment and action.pk not in commented})
            commented.add(action.pk)
        parts[indicator.pk] = render_to_string(
            "plans/panels/review_actions.html",
            {"round": round, "indicator": indicator, "entries": entries},
            request=request,
        )
    return parts


def review_page_forms(request, round: Round) -> str:
    """After the review form: the (empty) comment forms whose fields sit under the indicators."""
    actions = _followed(request, round)
    if not actions or PlanCapability.COMMENT not in _capabilities(request, round):
        return ""
    return render_to_string(
        "plans/panels/review_forms.html",
        {"round": round, "actions": actions, "next": request.path},
        request=request,
    )


slots.ROUND_PAGE.register(round_page_section, order=50)
slots.INDICATOR_CARD.register(indicator_card_parts, order=50)
slots.REVIEW_INDICATOR.register(review_indicator_parts, order=50)
slots.REVIEW_PAGE.register(review_page_forms, order=50)
