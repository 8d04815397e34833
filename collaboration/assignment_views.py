"""The assignments page of a round: who has what and how far they are; approvers assign, change and take back.

The round is fetched through ``access_round`` (a round the user cannot see is a 404). Its members
see the page (``WorkCapability.VIEW``), anyone else who sees the round gets a 403 page; so does a
member who posts without ``WorkCapability.ASSIGN`` (an editor). Every write goes through
``services.assignment_set`` / ``assignment_remove``, which check again after locking the round.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.access import AccessDenied, access_round
from assessments.http import refused_page
from assessments.models import Round
from assessments.services import WorkflowError
from assessments.sheet import request_sheet

from . import services
from .access import WorkCapability, work_capabilities
from .assignment_forms import AssignmentForm, subject_value
from .assignment_progress import AssignmentRow, assignment_rows
from .models import Assignment


def _round(request: HttpRequest, pk: int) -> Round:
    return access_round(request.user, pk, rounds=Round.objects.select_related("authority", "version"))


def _refused_not_member(request: HttpRequest, round: Round) -> HttpResponse:
    message = _("Only members of %(authority)s see who has what.") % {"authority": round.authority}
    return refused_page(request, message, reverse("round_detail", args=[round.pk]), status=403)


def _initial(rows: list[AssignmentRow], subject: str) -> dict:
    """The form filled in with an assignment to change (``?subject=indicator:HC-01``), if there is one."""
    for row in rows:
        assignment = row.assignment
        if subject_value(dimension=assignment.dimension, indicator=assignment.indicator) == subject:
            return {"subject": subject, "assignee": assignment.assignee_id, "due_date": assignment.due_date}
    return {"subject": subject}


def assignment_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Who has what in the round, with each assignment's progress; approvers assign (POST) from the same page."""
    round = _round(request, pk)
    capabilities = work_capabilities(request.user, round.authority_id)
    if WorkCapability.VIEW not in capabilities:
        return _refused_not_member(request, round)
    back = reverse("assignment_list", args=[round.pk])
    can_assign = WorkCapability.ASSIGN in capabilities
    if request.method == "POST":
        if not can_assign:
            message = _("Only an approver of %(authority)s can assign work.") % {"authority": round.authority}
            return refused_page(request, message, back, status=403)
        if not round.is_editable:
            message = _("Work can be assigned only while the round's answers can change.")
            return refused_page(request, message, back, status=409)
    sheet = request_sheet(request, round)
    rows = assignment_rows(Assignment.objects.for_round(round), {round.pk: sheet}, timezone.localdate())
    form = AssignmentForm(
        request.POST or None,
        round=round,
        indicators=sheet.indicators,
        initial=_initial(rows, request.GET.get("subject", "")),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment = services.assignment_set(
                round=round,
                actor=request.user,
                assignee=data["assignee"],
                due_date=data["due_date"],
                **data["subject"],
            )
        except AccessDenied as denied:
            return refused_page(request, str(denied), back, status=403)
        except WorkflowError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(code)s is assigned to %(person)s.")
                % {"code": assignment.subject_code, "person": services.person_name(assignment.assignee)},
            )
            return redirect(back)
    return render(
        request,
        "collaboration/assignment_list.html",
        {
            "round": round,
            "rows": rows,
            "form": form,
            "can_assign": can_assign and round.is_editable,
            "changing": bool(form.initial.get("assignee")),
        },
        status=422 if form.errors else 200,
    )


@require_POST
def assignment_remove(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    """Take an assignment back (approvers, while the round is open)."""
    round = _round(request, pk)
    if WorkCapability.VIEW not in work_capabilities(request.user, round.authority_id):
        return _refused_not_member(request, round)
    back = reverse("assignment_list", args=[round.pk])
    assignment = get_object_or_404(
        Assignment.objects.select_related("assignee", "dimension", "indicator"), round=round, pk=assignment_pk
    )
    try:
        services.assignment_remove(assignment=assignment, actor=request.user)
    except AccessDenied as denied:
        return refused_page(request, str(denied), back, status=403)
    except WorkflowError as error:
        return refused_page(request, " ".join(error.messages), back, status=409)
    messages.success(
        request,
        _("%(code)s is no longer assigned to %(person)s.")
        % {"code": assignment.subject_code, "person": services.person_name(assignment.assignee)},
    )
    return redirect(back)
