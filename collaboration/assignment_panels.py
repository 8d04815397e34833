"""What assignments add to the assessment pages (``assessments.slots``).

- the home page: "Assigned to you", each of the user's assignments on the open rounds they may see,
  with its due date (late ones marked), how far it is answered and a link to answer it; four queries
  whatever the number of assignments and rounds, one (and nothing shown) for someone with none;
- the round page: "Who has what", for the authority's members: a short table and a link to the
  assignments page; with none yet, approvers are told they can assign. Its progress reads the
  page's answer sheet (``assessments.sheet.request_sheet``).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from assessments import slots
from assessments.access import OPEN
from assessments.models import Round
from assessments.sheet import request_sheet

from .access import WorkCapability, work_capabilities
from .assignment_progress import assignment_rows, progress_sheets
from .models import Assignment

ROUND_PAGE_ROWS = 8  # the round page's table stops there; the assignments page has them all


def round_work_capabilities(request, round: Round) -> frozenset[WorkCapability]:
    """What the user may do with the round's assignments, asked once per request."""
    return slots.per_request(
        request,
        ("collaboration", "work_capabilities", round.authority_id),
        lambda: work_capabilities(request.user, round.authority_id),
    )


# --- the home page -------------------------------------------------------------------------------


def home_section(request) -> str:
    """ "Assigned to you": the user's assignments on open rounds they may see (nothing when they have none)."""
    mine = Assignment.objects.filter(assignee_id=request.user.pk).values("round_id")
    rounds = Round.objects.visible_to(request.user).filter(status__in=OPEN)
    # Every assignment of those rounds: a dimension's count leaves out the indicators someone has on their own.
    of_rounds = list(
        Assignment.objects.filter(round_id__in=mine, round__in=rounds)
        .select_related("round__authority", "dimension", "indicator__dimension")
        .order_by("due_date", "round__authority__name", "round__period", "dimension__order", "indicator__order")
    )
    assignments = [a for a in of_rounds if a.assignee_id == request.user.pk]
    if not assignments:
        return ""
    sheets = progress_sheets({a.round_id: a.round for a in assignments}.values())
    rows = assignment_rows(assignments, sheets, timezone.localdate(), of_round=of_rounds)
    return render_to_string("collaboration/_assignment_home.html", {"rows": rows}, request=request)


# --- the round page ------------------------------------------------------------------------------


def round_page_section(request, round: Round) -> str:
    """The round page's "Who has what", for the authority's members while its answers can change (the page checked
    that the user sees the round); once submitted, the history keeps who had what."""
    if not round.is_editable:
        return ""
    capabilities = round_work_capabilities(request, round)
    if WorkCapability.VIEW not in capabilities:
        return ""
    assignments = list(Assignment.objects.for_round(round))
    rows = []
    if assignments:
        sheet = request_sheet(request, round)
        rows = assignment_rows(assignments, {round.pk: sheet}, timezone.localdate())
    return render_to_string(
        "collaboration/_assignment_round.html",
        {
            "round": round,
            "rows": rows[:ROUND_PAGE_ROWS],
            "more": max(0, len(rows) - ROUND_PAGE_ROWS),
            "can_assign": WorkCapability.ASSIGN in capabilities,
        },
        request=request,
    )


slots.HOME.register(home_section, order=30)
slots.ROUND_PAGE.register(round_page_section, order=15)
