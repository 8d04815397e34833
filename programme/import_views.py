"""The pages of the import of authorities and people: upload, dry run, confirm or cancel.

Only programme coordinators and administrators (``services.can_run_campaigns``) see them; anyone else gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from assessments.access import AccessDenied
from assessments.services import WorkflowError

from . import imports, services
from .import_forms import ImportForm
from .models import ImportBatch


def _require_coordinator(request: HttpRequest) -> None:
    if not services.can_run_campaigns(request.user):
        raise Http404


def _context(form: ImportForm) -> dict:
    return {
        "form": form,
        "headers": imports.HEADERS,
        "examples": imports.EXAMPLE_ROWS,
        "max_rows": number_format(imports.MAX_ROWS, force_grouping=True),
    }


@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    """The upload form; posted, the dry run: every row, what it will create, every error with its row."""
    _require_coordinator(request)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            check = imports.import_check(form.cleaned_data["file"], request.user)
            return render(request, "programme/import_check.html", {"check": check}, status=200 if check.ok else 422)
        return render(request, "programme/import_new.html", _context(form), status=422)
    return render(request, "programme/import_new.html", _context(ImportForm()))


def import_template(request: HttpRequest) -> HttpResponse:
    """The CSV template: the expected header and a few example rows."""
    _require_coordinator(request)
    response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="authorities-and-people.csv"'
    return response


def _own_batch(request: HttpRequest, pk: int) -> ImportBatch:
    _require_coordinator(request)
    return get_object_or_404(ImportBatch, pk=pk, uploaded_by=request.user)


@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _own_batch(request, pk)
    try:
        result = imports.import_apply(batch, request.user)
    except AccessDenied as denied:
        raise Http404 from denied
    except WorkflowError as refused:
        messages.error(request, str(refused))
        return redirect("import_new")
    text = "; ".join(
        [
            ngettext("%(n)d authority created", "%(n)d authorities created", result.authorities)
            % {"n": result.authorities},
            ngettext("%(n)d person created", "%(n)d people created", result.people) % {"n": result.people},
            ngettext("%(n)d invitation sent", "%(n)d invitations sent", result.invitations) % {"n": result.invitations},
        ]
    )
    messages.success(request, text + ".")
    return redirect("import_new")


@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _own_batch(request, pk)
    try:
        imports.import_discard(batch, request.user)
    except AccessDenied as denied:
        raise Http404 from denied
    except WorkflowError as refused:
        messages.error(request, str(refused))
        return redirect("import_new")
    messages.info(request, _("Import cancelled: nothing was written."))
    return redirect("import_new")
