"""What the counterpart adds to the assessment pages (``assessments.slots``).

- the home page: the rounds the user is the counterpart of, with what waits for them (one query;
  nothing at all for everyone else);
- the round page: "National or regional counterpart": who is invited, whether they submitted, and the
  comparison once both sides have submitted;
- the review page: under each mirrored indicator, the counterpart's level and justification beside
  the city's, once the comparison is open.

Each filler loads what it needs once per request, whatever the number of indicators.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from assessments import slots
from assessments.models import Round

from . import access
from .comparison import counterpart_comparison
from .models import Counterpart

TO_ANSWER, SUBMITTED, COMPARISON_OPEN = "to_answer", "submitted", "comparison_open"


def _counterpart(request, round: Round) -> Counterpart | None:
    return slots.per_request(
        request,
        ("territories", "counterpart", round.pk),
        lambda: Counterpart.objects.filter(round_id=round.pk).select_related("user", "invited_by").first(),
    )


# --- the home page -------------------------------------------------------------------------------


def _status(counterpart: Counterpart) -> str:
    if not counterpart.submitted:
        return TO_ANSWER
    return COMPARISON_OPEN if access.comparison_open(counterpart, counterpart.round) else SUBMITTED


def home_section(request) -> str:
    """The rounds the user is invited to answer as a counterpart (one query; nothing for everyone else)."""
    roles = list(
        Counterpart.objects.filter(user_id=request.user.pk)
        .select_related("round__authority")
        .order_by("submitted_at", "round__authority__name", "-round__period")
    )
    if not roles:
        return ""
    rows = [
        {"counterpart": counterpart, "round": counterpart.round, "status": _status(counterpart)}
        for counterpart in roles
    ]
    return render_to_string("territories/panels/counterpart_home.html", {"rows": rows}, request=request)


# --- the round page ------------------------------------------------------------------------------


def round_page_section(request, round: Round) -> str:
    """The round page's "National or regional counterpart", for whoever may see the round (the page checked it)."""
    counterpart = _counterpart(request, round)
    return render_to_string(
        "territories/panels/counterpart_round.html",
        {
            "round": round,
            "counterpart": counterpart,
            "comparison_open": counterpart is not None and access.comparison_open(counterpart, round),
            "can_invite": counterpart is None and access.can_invite_counterpart(request.user, round),
            "can_withdraw": counterpart is not None
            and not counterpart.submitted
            and access.can_invite_counterpart(request.user, round),
        },
        request=request,
    )


# --- the review page -----------------------------------------------------------------------------


def review_indicator_parts(request, round: Round, indicators) -> dict[int, str]:
    """Under each mirrored indicator on the review page: the counterpart's answer and the gap, once both submitted."""
    counterpart = _counterpart(request, round)
    if counterpart is None or not access.can_see_comparison(request.user, counterpart, round):
        return {}
    comparison = slots.per_request(
        request, ("territories", "comparison", round.pk), lambda: counterpart_comparison(round, counterpart)
    )
    rows = {row.indicator.pk: row for row in comparison.rows}
    return {
        indicator.pk: render_to_string(
            "territories/panels/counterpart_review.html",
            {"round": round, "counterpart": counterpart, "row": rows[indicator.pk]},
            request=request,
        )
        for indicator in indicators
        if indicator.pk in rows
    }


slots.HOME.register(home_section, order=70)
slots.ROUND_PAGE.register(round_page_section, order=70)
slots.REVIEW_INDICATOR.register(review_indicator_parts, order=70)
