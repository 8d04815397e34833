"""Pages of the offline workbook: download it, upload it (the dry run), confirm or discard the upload."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from assessments import access
from assessments.access import Capability
from assessments.http import refused_page
from assessments.models import Round
from assessments.services import WorkflowError

from . import workbook
from .models import WorkbookImport
from .workbook_forms import WorkbookUploadForm


def _round(request: HttpRequest, pk: int, capability: Capability = Capability.VIEW) -> Round:
    """The round if the user may see it (404 otherwise) and do ``capability`` now (AccessDenied otherwise)."""
    return access.access_round(
        request.user, pk, capability, rounds=Round.objects.select_related("authority", "version")
    )


def _back(round: Round) -> str:
    return reverse("round_detail", args=[round.pk])


@require_GET
def workbook_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The round as an XLSX workbook to fill in offline (anyone who may see the round)."""
    round = _round(request, pk)
    response = HttpResponse(workbook.workbook_build(round, request.user), content_type=workbook.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{workbook.workbook_filename(round)}"'
    return response


def workbook_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a filled-in workbook: the dry run lists its changes and problems; nothing is written yet."""
    try:
        round = _round(request, pk, Capability.EDIT_ANSWERS)
    except access.AccessDenied as denied:
        return refused_page(request, str(denied), reverse("round_detail", args=[pk]), status=403)
    posted = request.method == "POST"
    form = WorkbookUploadForm(request.POST, request.FILES) if posted else WorkbookUploadForm()
    if posted and form.is_valid():
        try:
            check = workbook.workbook_check(round, request.user, form.cleaned_data["file"])
        except access.AccessDenied as denied:
            return refused_page(request, str(denied), _back(round), status=403)
        except workbook.WorkbookRefused as refused:
            form.add_error("file", " ".join(refused.messages))
        else:
            return render(
                request,
                "collaboration/workbook_check.html",
                {"round": round, "check": check},
                status=422 if check.errors or check.conflicts else 200,
            )
    status = 422 if form.errors else 200
    return render(request, "collaboration/workbook_upload.html", {"round": round, "form": form}, status=status)


def _pending(request: HttpRequest, pk: int, import_pk: int) -> tuple[Round, WorkbookImport]:
    round = _round(request, pk)
    return round, get_object_or_404(WorkbookImport, round=round, pk=import_pk)


@require_POST
def workbook_apply(request: HttpRequest, pk: int, import_pk: int) -> HttpResponse:
    """Confirm a checked upload: its changes are saved, all of them or none."""
    round, pending = _pending(request, pk, import_pk)
    try:
        applied = workbook.workbook_apply(workbook_import=pending, actor=request.user)
    except access.AccessDenied as denied:
        return refused_page(request, str(denied), _back(round), status=403)
    except WorkflowError as refused:
        return refused_page(request, " ".join(refused.messages), reverse("workbook_upload", args=[round.pk]))
    n = len(applied.changes)
    messages.success(
        request,
        ngettext(
            "The workbook was applied: %(n)d answer changed.", "The workbook was applied: %(n)d answers changed.", n
        )
        % {"n": n},
    )
    return redirect(_back(round))


@require_POST
def workbook_discard(request: HttpRequest, pk: int, import_pk: int) -> HttpResponse:
    """Drop a checked upload; nothing of it is written."""
    round, pending = _pending(request, pk, import_pk)
    try:
        workbook.workbook_discard(workbook_import=pending, actor=request.user)
    except access.AccessDenied as denied:
        return refused_page(request, str(denied), _back(round), status=403)
    except WorkflowError as refused:
        return refused_page(request, " ".join(refused.messages), _back(round))
    messages.info(request, _("The uploaded workbook was discarded; nothing was changed."))
    return redirect(_back(round))
