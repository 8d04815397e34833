"""Territories in the read-only JSON API.

- Each answer of ``GET /api/v1/assessments/<id>/`` gains ``counterpart_level``: the national or
  regional counterpart's level for that indicator, once both sides have submitted; null when the
  round has no counterpart, when the counterpart answered "don't know", before both have
  submitted, and for an indicator the counterpart does not answer (``comparison.counterpart_levels``).
- ``GET /api/v1/authorities/`` lists the authorities the user may see (``authorities_visible_to``),
  each with its parent's slug and its confirmed partners' slugs, as far as the user may see those
  too: an authority outside the user's set is never named.
"""

from __future__ import annotations

from django.db.models import Case, Exists, F, OuterRef, Q, When
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers

from assessments import slots
from assessments.models import Authority, Membership
from indicators.api import BAD_REQUEST, UNAUTHORIZED
from indicators.rules import HIGHEST_LEVEL, LOWEST_LEVEL

from . import access
from .comparison import counterpart_levels
from .models import Counterpart, Partnership

# --- each answer's counterpart level -------------------------------------------------------------


def _counterpart_level_field():
    return serializers.IntegerField(
        read_only=True,
        allow_null=True,
        min_value=LOWEST_LEVEL,
        max_value=HIGHEST_LEVEL,
        help_text=_(
            "The national or regional counterpart's level for this indicator, once both the authority and the "
            "counterpart have submitted; null before, without a counterpart, for “don't know”, and for an "
            "indicator the counterpart does not answer. Never part of a score."
        ),
    )


slots.add_answer_field(
    "counterpart_level", _counterpart_level_field, lambda round, indicators: counterpart_levels(round)
)


# --- the authorities -----------------------------------------------------------------------------


def authorities_visible_to(user):
    """The authorities the user may see in the API.

    Programme staff: all. Anyone else: the authorities they are a member of, their parents and
    children, their confirmed partners, and the authority of a round they are the counterpart of.
    """
    if access.is_staff(user):
        return Authority.objects.all()
    if not user.is_authenticated:
        return Authority.objects.none()
    mine = Membership.objects.filter(user=user).values("authority_id")
    partnerships = Partnership.objects.confirmed().filter(Q(first_id__in=mine) | Q(second_id__in=mine))
    return Authority.objects.filter(
        Q(pk__in=mine)
        | Q(pk__in=Authority.objects.filter(pk__in=mine, parent__isnull=False).values("parent_id"))
        | Q(parent_id__in=mine)
        | Q(pk__in=partnerships.values("first_id"))
        | Q(pk__in=partnerships.values("second_id"))
        | Q(pk__in=Counterpart.objects.filter(user=user).values("round__authority_id"))
    )


def with_partners(authorities: list[Authority], visible) -> list[Authority]:
    """Give each authority its confirmed partners' slugs among ``visible`` (a queryset), sorted: one query for all."""
    ids = [a.pk for a in authorities]
    slugs: dict[int, list[str]] = {pk: [] for pk in ids}
    pairs = (
        Partnership.objects.confirmed()
        .filter(Q(first_id__in=ids) | Q(second_id__in=ids))
        .filter(first_id__in=visible.values("pk"), second_id__in=visible.values("pk"))
        .values_list("first_id", "first__slug", "second_id", "second__slug")
    )
    for first_id, first_slug, second_id, second_slug in pairs:
        if first_id in slugs:
            slugs[first_id].append(second_slug)
        if second_id in slugs:
            slugs[second_id].append(first_slug)
    for authority in authorities:
        authority.partner_slugs = sorted(slugs[authority.pk])
    return authorities


# Named in the schema: the round list's authority (assessments.api) has the same choices under "kind".
@extend_schema_field(serializers.ChoiceField(choices=Authority.Kind.choices), component_name="AuthorityKind")
class AuthorityKindField(serializers.ChoiceField):
    """What an authority is: a municipality, a province or a region."""

    def __init__(self, **kwargs):
        super().__init__(choices=Authority.Kind.choices, **kwargs)


class TerritorySerializer(serializers.ModelSerializer):
    """An authority with its place among the others: the region it belongs to, its partners."""

    kind = AuthorityKindField(read_only=True)
    parent = serializers.SlugField(
        source="visible_parent_slug",
        read_only=True,
        allow_null=True,
        help_text=_(
            "The slug of the region or province the authority belongs to; null if none, or if you may not see it."
        ),
    )
    partners = serializers.ListField(
        child=serializers.SlugField(),
        source="partner_slugs",
        read_only=True,
        help_text=_("The slugs of the authorities in a decentralised-cooperation partnership both have confirmed."),
    )

    class Meta:
        model = Authority
        read_only_fields = fields = ["slug", "name", "kind", "country", "parent", "partners"]


@extend_schema(responses={200: TerritorySerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED})
class AuthorityList(generics.ListAPIView):
    """The authorities you may see, by name, each with its parent and its confirmed partners."""

    serializer_class = TerritorySerializer

    def get_queryset(self):
        visible = authorities_visible_to(self.request.user)
        parent_visible = visible.filter(pk=OuterRef("parent_id"))
        return visible.annotate(
            visible_parent_slug=Case(When(Exists(parent_visible), then=F("parent__slug")), default=None)
        ).order_by("name", "pk")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return with_partners(list(page), authorities_visible_to(self.request.user)) if page is not None else None
