"""Assessment rounds in the read-only JSON API: only the rounds ``Round.objects.visible_to`` allows."""

from __future__ import annotations

from dataclasses import asdict

import django_filters
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers

from indicators.api import BAD_REQUEST, FORBIDDEN

from . import services
from .models import Answer, Authority, Band, Round


class RoundFilter(django_filters.FilterSet):
    """Filters of the round list; a value that cannot match (bad status or period) is a 400."""

    period = django_filters.CharFilter(
        help_text=_("A year, four digits."),
        validators=[RegexValidator(r"^[0-9]{4}\Z", _("Give the period as a year of four digits, e.g. 2025."))],
    )
    country = django_filters.CharFilter(field_name="authority__country", help_text=_("The authority's country."))
    status = django_filters.ChoiceFilter(choices=Round.Status.choices)

    class Meta:
        model = Round
        fields: list[str] = []


# Named schema components: the same choice set appears in several serializers, under several names.
@extend_schema_field(serializers.ChoiceField(choices=Round.Status.choices), component_name="RoundStatus")
class RoundStatusField(serializers.ChoiceField):
    """A round's status."""

    def __init__(self, **kwargs):
        super().__init__(choices=Round.Status.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(choices=Band.choices), component_name="Band")
class BandField(serializers.ChoiceField):
    """A score band, or null for no score."""

    def __init__(self, **kwargs):
        super().__init__(choices=Band.choices, **kwargs)


class AuthoritySerializer(serializers.ModelSerializer):
    class Meta:
        model = Authority
        read_only_fields = fields = ["name", "slug", "country", "kind"]


class RoundSerializer(serializers.ModelSerializer):
    authority = AuthoritySerializer(read_only=True)
    status = RoundStatusField(read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True, help_text=_("Catalogue version."))
    answered = serializers.IntegerField(read_only=True)
    indicator_total = serializers.IntegerField(read_only=True)
    # Scores are frozen only when a round is validated; the list never scores a round live.
    self_headline = serializers.FloatField(
        source="snapshot.self_headline", read_only=True, allow_null=True, help_text=_("Validated rounds only.")
    )
    validated_headline = serializers.FloatField(
        source="snapshot.validated_headline", read_only=True, allow_null=True, help_text=_("Validated rounds only.")
    )
    validated_band = serializers.SerializerMethodField(help_text=_("Validated rounds only."))

    class Meta:
        model = Round
        read_only_fields = fields = [
            "id",
            "authority",
            "period",
            "status",
            "version",
            "answered",
            "indicator_total",
            "self_headline",
            "validated_headline",
            "validated_band",
        ]

    @extend_schema_field(BandField(allow_null=True))
    def get_validated_band(self, round: Round) -> str | None:
        snapshot = getattr(round, "snapshot", None)
        return (snapshot.validated_band or None) if snapshot else None


class DimensionScoreSerializer(serializers.Serializer):
    code = serializers.CharField()
    core = serializers.BooleanField()
    score = serializers.FloatField(allow_null=True, help_text=_("0 to 100; null when insufficient."))
    band = BandField(allow_null=True)
    indicators = serializers.IntegerField()
    applicable = serializers.IntegerField()
    completeness = serializers.FloatField(allow_null=True, help_text=_("0 to 1."))
    evidence_coverage = serializers.FloatField(allow_null=True, help_text=_("0 to 1."))


class RoundScoreSerializer(serializers.Serializer):
    dimensions = DimensionScoreSerializer(many=True)
    headline = serializers.FloatField(
        allow_null=True, help_text=_("0 to 100; null unless every core dimension has a score.")
    )
    band = BandField(allow_null=True)
    completeness = serializers.FloatField(allow_null=True, help_text=_("0 to 1."))
    evidence_coverage = serializers.FloatField(allow_null=True, help_text=_("0 to 1."))


class ScoreSetsSerializer(serializers.Serializer):
    self = RoundScoreSerializer(help_text=_("The city's own levels."))
    validated = RoundScoreSerializer(help_text=_("The reviewer's levels."))


class AnswerSerializer(serializers.Serializer):
    indicator = serializers.CharField(help_text=_("Indicator code."))
    response = serializers.ChoiceField(
        choices=Answer.Response.choices, help_text=_("level, na (not applicable), dk (don't know), or empty.")
    )
    level = serializers.IntegerField(allow_null=True, help_text=_("The city's level, 0 to 4."))
    validated_level = serializers.IntegerField(allow_null=True, help_text=_("The reviewer's level, 0 to 4."))
    na_accepted = serializers.BooleanField(allow_null=True, help_text=_("The reviewer's decision on an N/A."))


class RoundDetailSerializer(RoundSerializer):
    answers = serializers.SerializerMethodField()
    scores = serializers.SerializerMethodField()

    class Meta(RoundSerializer.Meta):
        read_only_fields = fields = [*RoundSerializer.Meta.fields, "answers", "scores"]

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, round: Round) -> list:
        """Every indicator of the round, in catalogue order, with the city's and the reviewer's answer."""
        answers = {a.indicator_id: a for a in round.answers.all()}
        reviews = {r.indicator_id: r for r in round.review_items.all()}
        rows = []
        for indicator in services.round_indicators(round):
            answer, review = answers.get(indicator.pk), reviews.get(indicator.pk)
            rows.append(
                {
                    "indicator": indicator.code,
                    "response": answer.response if answer else Answer.Response.UNANSWERED,
                    "level": answer.level if answer else None,
                    "validated_level": review.validated_level if review else None,
                    "na_accepted": review.na_accepted if review else None,
                }
            )
        return AnswerSerializer(rows, many=True).data

    @extend_schema_field(ScoreSetsSerializer)
    def get_scores(self, round: Round) -> dict:
        """A validated round's frozen scores; any other round's scores as they are now."""
        snapshot = getattr(round, "snapshot", None)
        if round.status == Round.Status.VALIDATED and snapshot is not None:
            sets = snapshot.data
        else:
            sets = {name: asdict(score) for name, score in round.scores().items()}
        return ScoreSetsSerializer(sets).data


def _rounds(request):
    return (
        Round.objects.visible_to(request.user)
        .select_related("authority", "version", "snapshot")
        .with_progress()
        .order_by("authority__name", "-period", "pk")
    )


@extend_schema(responses={200: RoundSerializer, 400: BAD_REQUEST, 403: FORBIDDEN})
class RoundList(generics.ListAPIView):
    """The rounds you may see, filterable by period, country and status; headline scores of validated rounds."""

    serializer_class = RoundSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RoundFilter

    def get_queryset(self):
        return _rounds(self.request)


@extend_schema(
    responses={
        200: RoundDetailSerializer,
        403: FORBIDDEN,
        404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such round among those you may see."),
    }
)
class RoundDetail(generics.RetrieveAPIView):
    """One round you may see: its answers and both score sets (frozen once validated)."""

    serializer_class = RoundDetailSerializer

    def get_queryset(self):
        return _rounds(self.request).prefetch_related("answers", "review_items")
