"""The catalogue in the read-only JSON API, and the API's pagination."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers

from .models import CatalogueVersion, Dimension, Indicator
from .rules import CrosswalkKind

BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT, description="A query parameter is invalid: each one is named with what is wrong with it."
)
UNAUTHORIZED = OpenApiResponse(OpenApiTypes.OBJECT, description="Not signed in: no session and no valid token.")


@extend_schema_field(serializers.ChoiceField(choices=CatalogueVersion.Status.choices), component_name="CatalogueStatus")
class CatalogueStatusField(serializers.ChoiceField):
    """A version's status, named in the schema apart from a round's status."""

    def __init__(self, **kwargs):
        super().__init__(choices=CatalogueVersion.Status.choices, **kwargs)


@extend_schema_field(
    serializers.ChoiceField(choices=CrosswalkKind.choices, allow_null=True), component_name="CrosswalkKind"
)
class CrosswalkKindField(serializers.ChoiceField):
    """How an indicator continues the edition its version is based on; null in a first edition."""

    def __init__(self, **kwargs):
        super().__init__(choices=CrosswalkKind.choices, allow_null=True, **kwargs)

    def to_representation(self, value):
        return value or None


class IndicatorSerializer(serializers.ModelSerializer):
    question = serializers.CharField(read_only=True, help_text=_("In the language of the request."))
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False, read_only=True)
    sdg_targets = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    derived_from = serializers.SerializerMethodField(
        help_text=_(
            "Codes of the indicators of the edition this version is based on that this one continues: one for "
            "“same” and “split”, several for “merged”, none for “new” and in a first edition."
        )
    )
    kind = CrosswalkKindField(
        source="crosswalk",
        read_only=True,
        help_text=_("The crosswalk: same, split, merged or new; null in a first edition."),
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_derived_from(self, indicator: Indicator) -> list[str]:
        return [predecessor.code for predecessor in indicator.predecessors]

    class Meta:
        model = Indicator
        fields = [
            "code",
            "question",
            "weight",
            "na_allowed",
            "evidence_from_level",
            "justification_from_level",
            "sdg_targets",
            "derived_from",
            "kind",
        ]
        read_only_fields = fields


class DimensionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Dimension
        fields = ["code", "name", "kind", "optional", "indicators"]
        read_only_fields = fields


class CatalogueVersionSerializer(serializers.ModelSerializer):
    framework = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    label = serializers.CharField(read_only=True)
    status = CatalogueStatusField(read_only=True)
    dimensions = DimensionSerializer(many=True, read_only=True)
    based_on = serializers.SlugRelatedField(
        read_only=True, slug_field="number", help_text=_("The number of the edition this one is based on, if any.")
    )
    retired = serializers.SlugRelatedField(
        many=True,
        read_only=True,
        slug_field="code",
        help_text=_("Codes of the indicators of the edition this one is based on that it drops."),
    )

    class Meta:
        model = CatalogueVersion
        fields = ["id", "framework", "number", "label", "status", "published_at", "based_on", "retired", "dimensions"]
        read_only_fields = fields


@extend_schema(responses={200: CatalogueVersionSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED})
class CatalogueList(generics.ListAPIView):
    """Catalogue versions, published and retired (drafts too for staff), with dimensions and indicators.

    Each edition says which it is based on and which of its indicators it retired; each indicator,
    how it continues that edition (``kind``) and which indicators (``derived_from``).
    """

    serializer_class = CatalogueVersionSerializer

    def get_queryset(self):
        versions = CatalogueVersion.objects.select_related("framework", "based_on").prefetch_related(
            Prefetch("dimensions", Dimension.objects.with_indicators(crosswalk=True)), "retired"
        )
        if not self.request.user.is_staff:
            # Drafts are work in progress of the programme staff.
            versions = versions.exclude(status=CatalogueVersion.Status.DRAFT)
        return versions.order_by("framework__slug", "-number")
