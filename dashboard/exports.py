"""Exports of assessment data as CSV and XLSX: tidy rows, streamed, in constant memory whatever their number.

Each export has one row generator, fed by database queries read in chunks with
``QuerySet.iterator(chunk_size=...)`` (a server-side cursor on PostgreSQL); the CSV writer streams its
rows as they come, the XLSX writer appends them to a write-only workbook on disk. Neither holds the
rows in memory. The exports of rounds read them a batch of rounds at a time, in the export's order, so
that the first bytes leave before the database has joined and sorted every row of every round.
"""

from __future__ import annotations

import csv
import functools
import tempfile
from collections.abc import Callable, Iterable, Iterator

from django import forms
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from assessments import scoring
from assessments.models import Round, RoundQuerySet, ScoreSnapshot, SnapshotDimension
from coherence_site.spreadsheets import csv_safe
from indicators.models import Indicator
from plans.models import Action, ActionQuerySet, ActionUpdate

CHUNK_SIZE = 2000
ROUNDS_PER_QUERY = 100
# Rows joined into one chunk of the CSV stream: fewer, larger writes to the socket.
CSV_ROWS_PER_CHUNK = 500
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

INDICATOR_COLUMNS = (
    "authority",
    "authority_slug",
    "country",
    "period",
    "round_status",
    "catalogue_version",
    "dimension",
    "indicator",
    "response",
    "self_level",
    "validated_level",
    "points",
    "na",
    "na_accepted",
    "carried_over",
)
SCORE_COLUMNS = (
    "authority",
    "authority_slug",
    "country",
    "period",
    "catalogue_version",
    "dimension",
    "self_score",
    "validated_score",
    "validated_band",
    "completeness",
    "evidence_coverage",
    "core",
)
ACTION_COLUMNS = (
    "authority",
    "authority_slug",
    "action_id",
    "title",
    "status",
    "owner",
    "start_date",
    "due_date",
    "overdue",
    "budget",
    "budget_amount",
    "indicator",
    "target_level",
    "origin_period",
    "last_update",
)
HEADLINE = "headline"


class ExportFilterForm(forms.Form):
    """The optional filters of both exports, from the query string."""

    period = forms.RegexField(
        regex=r"^\d{4}$", required=False, error_messages={"invalid": _("Give the period as a year, such as 2025.")}
    )
    country = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(
        choices=Round.Status.choices,
        required=False,
        error_messages={"invalid_choice": _("Unknown status “%(value)s”.")},
    )

    # Each filter → the lookup it narrows the exported rows by.
    lookups = {"period": "period", "country": "authority__country__iexact", "status": "status"}

    def filter(self, rows: QuerySet) -> QuerySet:
        """Narrow the rows (rounds, or actions) to the filters given (a valid form only)."""
        given = {self.lookups[name]: value for name, value in self.cleaned_data.items() if value}
        return rows.filter(**given)

    def error_text(self) -> str:
        return " ".join(f"{field}: {' '.join(errors)}" for field, errors in self.errors.items())


class ActionExportFilterForm(ExportFilterForm):
    """The action export's filters: the period of the round an action was made in, the country, the action's status."""

    status = forms.ChoiceField(
        choices=Action.Status.choices,
        required=False,
        error_messages={"invalid_choice": _("Unknown status “%(value)s”.")},
    )
    lookups = {"period": "origin_round__period", "country": "plan__authority__country__iexact", "status": "status"}


# --- rows -------------------------------------------------------------------------------------------


INDICATOR_FIELDS = (
    "round__authority__name",
    "round__authority__slug",
    "round__authority__country",
    "round__period",
    "round__status",
    "version__number",
    "dimension__code",
    "code",
    "answer__response",
    "answer__level",
    "review__validated_level",
    "review__na_accepted",
    "answer__carried_over",
)


def _in_round_batches(rounds: RoundQuerySet, rows_of: Callable[[list[int]], Iterator[tuple]]) -> Iterator[tuple]:
    """Yield ``rows_of`` each batch of ``ROUNDS_PER_QUERY`` rounds, by authority name, slug and period."""
    ids = list(rounds.order_by("authority__name", "authority__slug", "period", "pk").values_list("pk", flat=True))
    for start in range(0, len(ids), ROUNDS_PER_QUERY):
        yield from rows_of(ids[start : start + ROUNDS_PER_QUERY])


def indicator_rows(rounds: RoundQuerySet) -> Iterator[tuple]:
    """Yield one row per round × indicator (dimensions the city left out excluded), in catalogue order.

    An answer carried over from an earlier round and not yet confirmed counts as not answered
    (``Answer.counts``): its row is an unanswered one, with ``carried_over`` true.
    """
    return _in_round_batches(rounds, _indicator_rows)


def _indicator_rows(round_ids: list[int]) -> Iterator[tuple]:
    omitted = Round.omitted_dimensions.through.objects.filter(
        round_id=OuterRef("round__id"), dimension_id=OuterRef("dimension_id")
    )
    # Every indicator of each round's catalogue version, with the answer and the review if there are any.
    rows = (
        # Plain Django rows: modeltranslation's values_list rebuilds every row through a dict to add
        # language fallbacks, which no column here needs (at 100,000 rows that was half the time).
        Indicator.objects.rewrite(False)
        .annotate(round=FilteredRelation("version__rounds"))
        .annotate(
            answer=FilteredRelation("round__answers", condition=Q(round__answers__indicator=F("pk"))),
            review=FilteredRelation("round__review_items", condition=Q(round__review_items__indicator=F("pk"))),
        )
        .filter(round__in=round_ids)
        # An annotation, not a filter, so that the subquery reuses the join to the round.
        .alias(left_out=Exists(omitted))
        .filter(left_out=False)
        .order_by(
            "round__authority__name",
            "round__authority__slug",
            "round__period",
            "dimension__order",
            "dimension__code",
            "order",
            "code",
        )
        .values_list(*INDICATOR_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for *identity, status, version, dimension, code, response, level, validated_level, na_accepted, carried in rows:
        carried = bool(carried)  # None: no answer at all
        response, level = (scoring.UNANSWERED, None) if carried else (response or scoring.UNANSWERED, level)
        if status == Round.Status.VALIDATED:
            scored_response, scored_level, na_accepted = scoring.validated_answer(
                response, level, validated_level, na_accepted
            )
            validated_level = scored_level if scored_response == scoring.LEVEL else None
        else:
            # Until a round is validated the reviewer's levels are provisional: not exported.
            scored_response, scored_level, validated_level, na_accepted = response, level, None, None
        points = _points(scored_response, scored_level, na_accepted is not False)
        if response != scoring.NOT_APPLICABLE:
            na_accepted = None  # the column speaks of N/A answers only
        yield (
            *identity,
            status,
            version,
            dimension,
            code,
            response,
            level,
            validated_level,
            points,
            response == scoring.NOT_APPLICABLE,
            na_accepted,
            carried,
        )


@functools.cache
def _points(response: str, level: int | None, na_accepted: bool) -> int | None:
    """An answer's points by the scoring rules; there are few distinct answers, so each is scored once."""
    points = scoring.indicator_points(scoring.IndicatorInput("", response, level, na_accepted=na_accepted))
    return None if points is None else int(points)


def _snapshot_columns(prefix: str) -> dict[str, F]:
    """The columns naming a snapshot's round, from a snapshot (prefix "") or a model related to it."""
    return {
        "authority": F(f"{prefix}round__authority__name"),
        "authority_slug": F(f"{prefix}round__authority__slug"),
        "country": F(f"{prefix}round__authority__country"),
        "period": F(f"{prefix}round__period"),
        "catalogue_version": F(f"{prefix}version__number"),
    }


def score_rows(rounds: RoundQuerySet) -> Iterator[tuple]:
    """Yield the frozen scores of the validated rounds: a row per dimension, then the headline row."""
    return _in_round_batches(rounds.filter(status=Round.Status.VALIDATED), _score_rows)


def _score_rows(validated: list[int]) -> Iterator[tuple]:
    dimensions = (
        SnapshotDimension.objects.filter(score_set=SnapshotDimension.ScoreSet.VALIDATED, snapshot__round__in=validated)
        .annotate(
            self_row=FilteredRelation(
                "snapshot__dimensions",
                condition=Q(
                    snapshot__dimensions__score_set=SnapshotDimension.ScoreSet.SELF,
                    snapshot__dimensions__dimension=F("dimension"),
                ),
            ),
        )
        .annotate(
            **_snapshot_columns("snapshot__"),
            self_score=F("self_row__score"),
            validated_score=F("score"),
            validated_band=F("band"),
            # Dimensions in the order they were frozen (the catalogue's); the headline after them.
            position=F("pk"),
        )
        .values_list(*SCORE_COLUMNS, "position")
    )
    headlines = (
        ScoreSnapshot.objects.filter(round__in=validated)
        .annotate(
            **_snapshot_columns(""),
            dimension=Value(HEADLINE),
            self_score=F("self_headline"),
            validated_score=F("validated_headline"),
            core=Value(None, output_field=BooleanField()),
            position=Value(None, output_field=BigIntegerField()),
        )
        .values_list(*SCORE_COLUMNS, "position")
    )
    rows = dimensions.union(headlines, all=True).order_by(
        "authority", "authority_slug", "period", F("position").asc(nulls_last=True)
    )
    for *row, _position in rows.iterator(chunk_size=CHUNK_SIZE):
        yield tuple(row)


def action_rows(actions: ActionQuerySet) -> Iterator[tuple]:
    """Yield one row per action × linked indicator (an action without one gets one row), by authority and due date."""
    last_update = ActionUpdate.objects.filter(action=OuterRef("pk")).order_by().values("action").annotate(d=Max("date"))
    rows = (
        actions.annotate(
            authority=F("plan__authority__name"),
            authority_slug=F("plan__authority__slug"),
            action_id=F("pk"),
            overdue=Case(When(Action.overdue_condition(), then=Value(True)), default=Value(False)),
            # values_list over the reverse relation is a LEFT JOIN: one row per link.
            indicator=F("links__indicator__code"),
            target_level=F("links__target_level"),
            origin_period=F("origin_round__period"),
            last_update=Subquery(last_update.values("d")),
        )
        .order_by("plan__authority__name", "plan__authority__slug", "due_date", "pk", "links__indicator__code")
        .values_list(*ACTION_COLUMNS)
    )
    yield from rows.iterator(chunk_size=CHUNK_SIZE)


# --- formats ----------------------------------------------------------------------------------------


class _Echo:
    """A file-like object that hands back what is written, for csv.writer to format one row at a time."""

    def write(self, value: str) -> str:
        return value


BOOLEANS = {True: "true", False: "false"}


def csv_response(columns: Iterable[str], rows: Iterable[tuple], name: str) -> StreamingHttpResponse:
    """Stream the rows as UTF-8 CSV with a byte-order mark, so that Excel reads accents correctly."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        chunk = ["\ufeff", writer.writerow(columns)]
        for row in rows:
            chunk.append(
                writer.writerow(
                    [
                        BOOLEANS.get(value, value) if value is True or value is False else csv_safe(value)
                        for value in row
                    ]
                )
            )
            if len(chunk) >= CSV_ROWS_PER_CHUNK:
                yield "".join(chunk)
                chunk = []
        yield "".join(chunk)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.csv")
    return response


def xlsx_response(columns: Iterable[str], rows: Iterable[tuple], name: str) -> FileResponse:
    """Write the rows to a write-only workbook in a temporary file and send it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name.removeprefix("coherence-")[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    # Deleted when the response closes it, after the last byte is sent.
    file = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook.save(file)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX_CONTENT_TYPE)


def _xlsx_cell(sheet, value):
    # openpyxl would store a text starting with "=" as a formula: keep names text.
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value


FORMATS: dict[str, Callable[[Iterable[str], Iterable[tuple], str], HttpResponse]] = {
    "csv": csv_response,
    "xlsx": xlsx_response,
}


# --- views ------------------------------------------------------------------------------------------


def _export(
    request: HttpRequest,
    fmt: str,
    name: str,
    columns: tuple[str, ...],
    rows: Callable[[RoundQuerySet], Iterator[tuple]],
) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    form = ExportFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(form.error_text(), content_type="text/plain; charset=utf-8")
    rounds = form.filter(Round.objects.visible_to(request.user))
    return FORMATS[fmt](columns, rows(rounds), f"coherence-{name}-{timezone.localdate():%Y-%m-%d}")


def export_actions(request: HttpRequest, fmt: str) -> HttpResponse:
    """Download the actions of the plans the user may read: one row per action × linked indicator."""
    if fmt not in FORMATS:
        raise Http404
    form = ActionExportFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(form.error_text(), content_type="text/plain; charset=utf-8")
    actions = form.filter(Action.objects.visible_to(request.user))
    return FORMATS[fmt](ACTION_COLUMNS, action_rows(actions), f"coherence-actions-{timezone.localdate():%Y-%m-%d}")


def export_indicators(request: HttpRequest, fmt: str) -> HttpResponse:
    """Download one row per authority × period × indicator of the rounds the user may see."""
    return _export(request, fmt, "indicators", INDICATOR_COLUMNS, indicator_rows)


def export_scores(request: HttpRequest, fmt: str) -> HttpResponse:
    """Download the frozen scores of the validated rounds the user may see: per dimension and headline."""
    return _export(request, fmt, "scores", SCORE_COLUMNS, score_rows)
