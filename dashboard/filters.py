"""Dashboard filters (django-filter): every choice is a URL parameter, so a view can be shared."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Case, Q, QuerySet, When
from django.utils.translation import gettext_lazy as _

from assessments.models import Authority, Round
from assessments.places import place_name

PEER_GROUPS = [("kind", _("Same kind of authority")), ("region", _("Same world region"))]


class RoundFilter(django_filters.FilterSet):
    """Filters over validated rounds; the choices are the values the rounds actually have."""

    country = django_filters.ChoiceFilter(
        field_name="authority__country", label=_("Country"), empty_label=_("Any country")
    )
    region = django_filters.ChoiceFilter(
        field_name="authority__region", label=_("World region"), empty_label=_("Any region")
    )
    kind = django_filters.ChoiceFilter(
        field_name="authority__kind",
        label=_("Kind of authority"),
        choices=Authority.Kind.choices,
        empty_label=_("Any kind"),
    )
    period = django_filters.ChoiceFilter(label=_("Period"), method="filter_nothing", empty_label=_("Latest"))
    version = django_filters.ChoiceFilter(
        field_name="version__number", label=_("Catalogue version"), empty_label=_("Any version")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        method="filter_status",
        empty_label=_("Validated"),
        choices=[("published", _("Validated and published"))],
    )
    # A search, not a list: a programme has thousands of authorities. ``is_valid`` puts the matching one's slug in.
    authority = django_filters.CharFilter(
        label=_("Authority (trend and profile)"),
        method="filter_nothing",
        max_length=200,
        help_text=_("Its name or part of it; empty: the first by name."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    peer = django_filters.ChoiceFilter(
        label=_("Peer group"), method="filter_nothing", choices=PEER_GROUPS, empty_label=None
    )

    class Meta:
        model = Round
        fields: list[str] = []

    def __init__(self, data=None, queryset: QuerySet | None = None, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        # One query for every choice (not one per filter, each reading every round).
        rows = set(
            self.queryset.order_by()
            .values_list("authority__country", "authority__region", "period", "version__number")
            .distinct()
        )
        self.filters["country"].extra["choices"] = _places(row[0] for row in rows)
        self.filters["region"].extra["choices"] = _places(row[1] for row in rows)
        self.filters["period"].extra["choices"] = _pairs((row[2] for row in rows), reverse=True)
        self.filters["version"].extra["choices"] = _pairs(row[3] for row in rows)

    def is_valid(self) -> bool:
        """Valid choices, and an authority searched for that some filtered round has (its slug then put in)."""
        if not super().is_valid():
            return False
        text = self.form.cleaned_data.get("authority", "").strip()
        if not text:
            return True
        # Its slug exactly (a shared link), else the first by name of those whose name holds the text.
        found = (
            self.qs.filter(Q(authority__slug=text) | Q(authority__name__icontains=text))
            .order_by(Case(When(authority__slug=text, then=0), default=1), "authority__name")
            .values_list("authority__slug", flat=True)
            .first()
        )
        if found is None:
            self.form.add_error(
                "authority", _("No authority among the chosen rounds is called “%(text)s”.") % {"text": text}
            )
            return False
        self.form.cleaned_data["authority"] = found
        return True

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(publication_consent=True) if value == "published" else queryset

    def filter_nothing(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Period, authority and peer group choose what the charts show, not which rounds count."""
        return queryset


def _places(values) -> list[tuple[str, str]]:
    """Countries or regions as stored, named and ordered in the active language."""
    return sorted(((v, place_name(v)) for v in {str(v) for v in values if v}), key=lambda pair: pair[1])


def _pairs(values, reverse: bool = False) -> list[tuple[str, str]]:
    distinct = sorted({str(v) for v in values if v not in (None, "")}, reverse=reverse)
    return [(v, v) for v in distinct]
