"""The campaign pages: list, open, board (with its CSV), extend one authority's due date, close.

Only programme coordinators and administrators (``services.can_run_campaigns``) see them; anyone else gets a 404.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from assessments.access import AccessDenied
from assessments.services import WorkflowError
from coherence_site.spreadsheets import csv_safe

from . import services
from .forms import BoardFilterForm, CampaignForm, ExtensionForm
from .models import Campaign, Participant

BOARD_PAGE_SIZE = 50
CSV_CHUNK_SIZE = 500


def _require_coordinator(request: HttpRequest) -> None:
    if not services.can_run_campaigns(request.user):
        raise Http404


def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns, open ones first, each with its number of authorities, rounds opened and skips."""
    _require_coordinator(request)
    campaigns = list(Campaign.objects.with_counts().select_related("version__framework"))
    return render(
        request,
        "programme/campaign_list.html",
        {
            "open_campaigns": [c for c in campaigns if c.is_open],
            "closed_campaigns": [c for c in campaigns if not c.is_open],
        },
    )


def _opened_message(campaign: Campaign, participants: list[Participant]) -> str:
    opened = sum(1 for p in participants if p.opened)
    skipped = len(participants) - opened
    text = ngettext("%(n)d round opened", "%(n)d rounds opened", opened) % {"n": opened}
    if skipped:
        text += "; " + ngettext(
            "%(n)d authority skipped because it already had a round for %(period)s",
            "%(n)d authorities skipped because they already had a round for %(period)s",
            skipped,
        ) % {"n": skipped, "period": campaign.period}
    return text + "."


@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    """Open a campaign: one round per authority chosen (by filters or a list), skipping those that have one."""
    _require_coordinator(request)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign, participants = services.campaign_open(actor=request.user, **form.campaign_kwargs())
        except WorkflowError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _opened_message(campaign, participants))
            return redirect("campaign_board", campaign.pk)
    return render(request, "programme/campaign_form.html", {"form": form}, status=422 if form.errors else 200)


def _board_rows(request: HttpRequest, campaign: Campaign):
    """The board's filter form and the rows it keeps (none when a filter is invalid)."""
    countries = (
        Participant.objects.filter(campaign=campaign).order_by().values_list("authority__country", flat=True).distinct()
    )
    form = BoardFilterForm(request.GET or None, countries=list(countries))
    rows = Participant.objects.board(campaign)
    if form.is_bound:
        rows = form.filter(rows) if form.is_valid() else rows.none()
    return form, rows


def campaign_board(request: HttpRequest, pk: int) -> HttpResponse:
    """Each authority of the campaign: status, share answered, days to the due date, last activity; filterable."""
    _require_coordinator(request)
    campaign = get_object_or_404(Campaign.objects.with_counts().select_related("version__framework"), pk=pk)
    form, rows = _board_rows(request, campaign)
    page = Paginator(rows, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    skipped = (
        Participant.objects.filter(campaign=campaign, opened=False)
        .select_related("authority")
        .order_by("authority__name")
    )
    return render(
        request,
        "programme/campaign_board.html",
        {
            "campaign": campaign,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "skipped": list(skipped),
        },
        status=422 if form.errors else 200,
    )


class _Echo:
    """A file-like object that hands back what is written, for csv.writer to format one row at a time."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)  # the byte-order mark: Excel then reads accents correctly
    for row in rows:
        yield writer.writerow([csv_safe(value) for value in row])


def _export_rows(rows) -> Iterator[list]:
    for row in rows.iterator(chunk_size=CSV_CHUNK_SIZE):
        yield [
            row.authority.name,
            row.authority.slug,
            row.authority.country_name,
            row.round.get_status_display(),
            row.answered,
            row.indicator_total,
            row.percent_answered,
            row.round.due_date.isoformat() if row.round.due_date else "",
            "" if row.days_left is None else row.days_left,
            _("yes") if row.is_overdue else _("no"),
            row.last_activity.isoformat() if row.last_activity else "",
            _("no") if row.opened else _("yes"),
        ]


def campaign_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The board's rows as CSV (all of them, with the board's filters), streamed."""
    _require_coordinator(request)
    campaign = get_object_or_404(Campaign, pk=pk)
    form, rows = _board_rows(request, campaign)
    if form.errors:
        return HttpResponseBadRequest(_("These filters are not valid: %(errors)s") % {"errors": form.errors.as_text()})
    header = [
        _("Authority"),
        _("Slug"),
        _("Country"),
        _("Status"),
        _("Answered"),
        _("Indicators"),
        _("Answered (%)"),
        _("Due date"),
        _("Days to the due date"),
        _("Overdue"),
        _("Last activity"),
        _("Skipped: had a round already"),
    ]
    response = StreamingHttpResponse(_csv_lines(header, _export_rows(rows)), content_type="text/csv; charset=utf-8")
    name = slugify(f"{campaign.name}-{campaign.period}") or f"campaign-{campaign.pk}"
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.csv")
    return response


@require_http_methods(["GET", "POST"])
def campaign_extend(request: HttpRequest, pk: int) -> HttpResponse:
    """Move one authority's due date in a campaign (recorded, with the reason); the page lists earlier moves."""
    _require_coordinator(request)
    participant = get_object_or_404(Participant.objects.select_related("campaign", "authority", "round"), pk=pk)
    form = ExtensionForm(request.POST or None, initial={"due_date": participant.round.due_date})
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_extend(
                participant=participant,
                actor=request.user,
                due_date=form.cleaned_data["due_date"],
                reason=form.cleaned_data["reason"],
            )
        except (WorkflowError, AccessDenied) as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The due date of %(authority)s is now %(date)s.")
                % {
                    "authority": participant.authority.name,
                    "date": date_format(form.cleaned_data["due_date"], "DATE_FORMAT"),
                },
            )
            return redirect("campaign_board", participant.campaign_id)
    return render(
        request,
        "programme/campaign_extend.html",
        {
            "participant": participant,
            "campaign": participant.campaign,
            "form": form,
            "extensions": participant.extensions.select_related("by"),
        },
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a campaign after a confirmation (GET shows it, POST closes)."""
    _require_coordinator(request)
    campaign = get_object_or_404(Campaign.objects.with_counts(), pk=pk)
    error = None
    if request.method == "POST":
        try:
            services.campaign_close(campaign=campaign, actor=request.user)
        except WorkflowError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, _("The campaign is closed. Its rounds go on as they are."))
            return redirect("campaign_board", campaign.pk)
    return render(
        request,
        "programme/campaign_close.html",
        {"campaign": campaign, "error": error},
        status=409 if error else 200,
    )
