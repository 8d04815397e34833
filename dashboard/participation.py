"""Participation across authorities, for programme reviewers: who each round consulted, never a ranking.

Each round the reviewer may see, listed by authority name then period, with its number of
consultations and participants, the groups it consulted by category (each group once per round),
and whether migrant or diaspora associations or refugee-led organisations took part
(``Stakeholder.MIGRANT_VOICES``). Above the list: the share of rounds in which they took part, the
mean number of consultations per round, and the groups consulted by category over all the rounds
the filters choose. Nothing is sorted by a count. A page reads a constant number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import (
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from assessments.forms import QueueFilterForm
from assessments.models import Authority, Round, is_reviewer
from participation.models import Consultation, Stakeholder

PAGE_SIZE = 25

ConsultationGroup = Consultation.groups.through


@dataclass(frozen=True)
class ParticipationSummary:
    """The figures above the list, over every round the filters choose."""

    rounds: int
    with_migrant_voices: int
    consultations: int
    participants: int
    categories: list[dict[str, Any]]  # {"label", "count"}: groups of each category, once per round they took part in

    @property
    def migrant_voices_percent(self) -> int | None:
        """The share of rounds in which migrant or diaspora associations or refugee-led organisations took part."""
        return round(100 * self.with_migrant_voices / self.rounds) if self.rounds else None

    @property
    def consultations_per_round(self) -> float | None:
        return self.consultations / self.rounds if self.rounds else None


def with_participation(rounds: QuerySet[Round]) -> QuerySet[Round]:
    """Annotate ``consultation_count``, ``participant_total`` and ``migrant_voices``; by authority name, then period.

    Never ordered by a count: the list is not a ranking.
    """
    consultations = Consultation.objects.filter(round_id=OuterRef("pk")).order_by().values("round_id")
    migrant_voices = ConsultationGroup.objects.filter(
        consultation__round_id=OuterRef("pk"), stakeholder__category__in=Stakeholder.MIGRANT_VOICES
    )
    return (
        rounds.select_related("authority")
        .annotate(
            consultation_count=Coalesce(
                Subquery(consultations.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
            ),
            participant_total=Coalesce(
                Subquery(consultations.annotate(n=Sum("participants")).values("n"), output_field=IntegerField()), 0
            ),
            migrant_voices=Exists(migrant_voices),
        )
        .order_by("authority__name", "period", "pk")
    )


def _category_labels(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Counts by category value as {"label", "count"}, in the register's order of categories, zeros left out."""
    return [
        {"label": label, "count": counts[value]} for value, label in Stakeholder.Category.choices if counts.get(value)
    ]


def categories_by_round(round_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Round id → the groups its consultations named, counted by category, each group once (one query)."""
    rows = (
        ConsultationGroup.objects.filter(consultation__round_id__in=round_ids)
        .values("consultation__round_id", "stakeholder__category")
        .annotate(n=Count("stakeholder_id", distinct=True))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["consultation__round_id"], {})[row["stakeholder__category"]] = row["n"]
    return {round_id: _category_labels(by_category) for round_id, by_category in counts.items()}


def participation_summary(rounds: QuerySet[Round]) -> ParticipationSummary:
    """The figures over every round of ``rounds`` (two queries)."""
    totals = (
        with_participation(rounds)
        .order_by()
        .aggregate(
            rounds=Count("pk"),
            with_migrant_voices=Count("pk", filter=Q(migrant_voices=True)),
            consultations=Coalesce(Sum("consultation_count"), 0),
            participants=Coalesce(Sum("participant_total"), 0),
        )
    )
    # A group counts once in each round it took part in: distinct (round, group) pairs, by category.
    pair = Concat(
        Cast("consultation__round_id", CharField()),
        Value(":"),
        Cast("stakeholder_id", CharField()),
        output_field=CharField(),
    )
    categories = (
        ConsultationGroup.objects.filter(consultation__round__in=rounds.order_by().values("pk"))
        .values("stakeholder__category")
        .annotate(n=Count(pair, distinct=True))
        .order_by()
    )
    return ParticipationSummary(
        **totals, categories=_category_labels({row["stakeholder__category"]: row["n"] for row in categories})
    )


def participation_overview(request: HttpRequest) -> HttpResponse:
    """Participation in every round the reviewer may see, by authority then period; filterable and paginated."""
    if not is_reviewer(request.user):
        raise Http404
    rounds = Round.objects.visible_to(request.user)
    form = QueueFilterForm(
        request.GET or None,
        countries=list(Authority.objects.order_by("country").values_list("country", flat=True).distinct()),
        periods=list(rounds.order_by("-period").values_list("period", flat=True).distinct()),
    )
    status = 200
    if form.is_bound and not form.is_valid():
        rounds, status = rounds.none(), 400
    elif form.is_bound:
        rounds = form.filter(rounds)
    page = Paginator(with_participation(rounds), PAGE_SIZE).get_page(request.GET.get("page"))
    categories = categories_by_round([r.pk for r in page.object_list])
    rows = [{"round": r, "categories": categories.get(r.pk, [])} for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": {"form": form},  # the dashboard's filter form partial reads ``filter.form``
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "summary": participation_summary(rounds),
    }
    return render(request, "dashboard/participation.html", context, status=status)
