"""Assessment rounds in the read-only JSON API: only the rounds ``Round.objects.visible_to`` allows."""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response

from indicators.api import BAD_REQUEST, UNAUTHORIZED
from indicators.rules import HIGHEST_LEVEL, LOWEST_LEVEL

from . import scoring, slots, trends
from .crosswalk import LeftOutReason
from .models import Answer, Authority, Band, Round
from .sheet import AnswerSheet, answer_sheet, round_scores


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
    answered = serializers.IntegerField(
        read_only=True, help_text=_("Indicators answered with a level or N/A (don't know is not an answer).")
    )
    indicator_total = serializers.IntegerField(
        read_only=True, help_text=_("Indicators of the round (optional dimensions left out excluded).")
    )
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


SCORE_STATES = [
    (scoring.SCORED, _("Scored")),
    (scoring.INSUFFICIENT, _("Insufficient: too few applicable indicators")),
    (scoring.NOT_STARTED, _("Not started: no indicator answered yet")),
]


@extend_schema_field(serializers.ChoiceField(choices=SCORE_STATES), component_name="ScoreState")
class ScoreStateField(serializers.ChoiceField):
    """Whether a dimension has a score, too few applicable indicators, or no answer yet."""

    def __init__(self, **kwargs):
        super().__init__(choices=SCORE_STATES, **kwargs)


class ProgressFieldsSerializer(serializers.Serializer):
    """The counts and shares a dimension's score and a round's headline both report."""

    answered = serializers.IntegerField(
        allow_null=True, help_text=_("Answered with a level or N/A; null in scores frozen before it was recorded.")
    )
    dont_know = serializers.IntegerField(
        allow_null=True, help_text=_("Answered don't know; null in scores frozen before it was recorded.")
    )
    completeness = serializers.FloatField(
        allow_null=True, help_text=_("0 to 1: answered applicable indicators out of all applicable ones.")
    )
    evidence_coverage = serializers.FloatField(allow_null=True, help_text=_("0 to 1."))


class DimensionScoreSerializer(ProgressFieldsSerializer):
    code = serializers.CharField()
    core = serializers.BooleanField()
    state = ScoreStateField(help_text=_("Why score is null: insufficient or not_started; scored otherwise."))
    score = serializers.FloatField(allow_null=True, help_text=_("0 to 100; null when insufficient or not started."))
    band = BandField(allow_null=True)
    indicators = serializers.IntegerField()
    applicable = serializers.IntegerField()


class RoundScoreSerializer(ProgressFieldsSerializer):
    dimensions = DimensionScoreSerializer(many=True)
    headline = serializers.FloatField(
        allow_null=True, help_text=_("0 to 100; null unless every core dimension has a score.")
    )
    band = BandField(allow_null=True)
    indicators = serializers.IntegerField(allow_null=True, help_text=_("Null in scores frozen before it was recorded."))


class ScoreSetsSerializer(serializers.Serializer):
    self = RoundScoreSerializer(help_text=_("The city's own levels."))
    validated = RoundScoreSerializer(help_text=_("The reviewer's levels."))


class AnswerSerializer(serializers.Serializer):
    indicator = serializers.CharField(help_text=_("Indicator code."))
    response = serializers.ChoiceField(
        choices=Answer.Response.choices, help_text=_("level, na (not applicable), dk (don't know), or empty.")
    )
    level = serializers.IntegerField(
        allow_null=True, min_value=LOWEST_LEVEL, max_value=HIGHEST_LEVEL, help_text=_("The city's level.")
    )
    validated_level = serializers.IntegerField(
        allow_null=True, min_value=LOWEST_LEVEL, max_value=HIGHEST_LEVEL, help_text=_("The reviewer's level.")
    )
    na_accepted = serializers.BooleanField(allow_null=True, help_text=_("The reviewer's decision on an N/A."))
    carried_over = serializers.BooleanField(
        help_text=_(
            "Carried over from an earlier round and not yet confirmed by the city: not counted as answered or "
            "scored, and its response and level stay empty until confirmed."
        )
    )

    def get_fields(self):
        """The answer's own fields, then those the apps above assessments add (``slots.ANSWER_FIELDS``)."""
        fields = super().get_fields()
        for name, extra in slots.ANSWER_FIELDS.items():
            fields[name] = extra.field()
        return fields


class RoundDetailSerializer(RoundSerializer):
    answers = serializers.SerializerMethodField()
    scores = serializers.SerializerMethodField()

    class Meta(RoundSerializer.Meta):
        read_only_fields = fields = [*RoundSerializer.Meta.fields, "answers", "scores"]

    def get_fields(self):
        """The round's own fields, then those the apps above assessments add (``slots.ROUND_DETAIL_FIELDS``)."""
        fields = super().get_fields()
        for name, factory in slots.ROUND_DETAIL_FIELDS.items():
            fields[name] = factory()
        return fields

    def _sheet(self, round: Round) -> AnswerSheet:
        """The round's answer sheet, loaded once for its answers and its scores."""
        sheet = self.context.get("sheet")
        if sheet is None or sheet.round.pk != round.pk:
            sheet = self.context["sheet"] = answer_sheet(round)
        return sheet

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, round: Round) -> list:
        """Every indicator of the round, in catalogue order, with the city's and the reviewer's answer."""
        sheet = self._sheet(round)
        extras = {name: (extra, extra.values(round, sheet.indicators)) for name, extra in slots.ANSWER_FIELDS.items()}
        rows = []
        for indicator in sheet.indicators:
            # A carried answer waiting for confirmation is not the city's answer yet: empty, and flagged.
            answer, review = sheet.counted_answer(indicator), sheet.reviews.get(indicator.pk)
            rows.append(
                {
                    "indicator": indicator.code,
                    "response": answer.response if answer else Answer.Response.UNANSWERED,
                    "level": answer.level if answer else None,
                    "validated_level": review.validated_level if review else None,
                    "na_accepted": review.na_accepted if review else None,
                    "carried_over": indicator.pk in sheet.answers and answer is None,
                    **{name: values.get(indicator.pk, extra.default) for name, (extra, values) in extras.items()},
                }
            )
        return AnswerSerializer(rows, many=True).data

    @extend_schema_field(ScoreSetsSerializer)
    def get_scores(self, round: Round) -> dict:
        """A validated round's scores as its snapshot froze them; any other round's as they are now."""
        return ScoreSetsSerializer(round_scores(round, self._sheet(round))).data


def _rounds(request):
    return (
        Round.objects.visible_to(request.user)
        .select_related("authority", "version", "snapshot")
        .with_progress()
        .in_list_order()
    )


@extend_schema(responses={200: RoundSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED})
class RoundList(generics.ListAPIView):
    """The rounds you may see, filterable by period, country and status; headline scores of validated rounds."""

    serializer_class = RoundSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RoundFilter

    def get_queryset(self):
        # The list shows the snapshot's headlines only: its frozen score sets stay in the database.
        return _rounds(self.request).defer("snapshot__data", "snapshot__weights")


@extend_schema(
    responses={
        200: RoundDetailSerializer,
        401: UNAUTHORIZED,
        404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such round among those you may see."),
    }
)
class RoundDetail(generics.RetrieveAPIView):
    """One round you may see: its answers and both score sets (frozen once validated)."""

    serializer_class = RoundDetailSerializer

    def get_queryset(self):
        return _rounds(self.request)


# --- an authority's trend across rounds (and catalogue editions) --------------------------------


class TrendPointSerializer(serializers.Serializer):
    round = serializers.IntegerField(source="round_id", help_text=_("The round's id (its detail in the API)."))
    period = serializers.CharField()
    edition = serializers.IntegerField(help_text=_("The number of the catalogue edition the round is on."))
    index = serializers.FloatField(allow_null=True, help_text=_("The headline index on the trend's basis."))
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text=_("Each dimension's score on the trend's basis, by dimension code."),
    )


class TrendComparedSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    kind = serializers.ChoiceField(choices=["same", "split", "merged", "regrouped"])
    first = serializers.ListField(
        child=serializers.CharField(), help_text=_("Codes in the older edition, compared as one indicator.")
    )
    second = serializers.ListField(
        child=serializers.CharField(), help_text=_("Codes in the latest edition, compared as one indicator.")
    )
    editions = serializers.ListField(child=serializers.IntegerField(), help_text=_("The older edition, the latest."))


class TrendLeftOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    edition = serializers.IntegerField(help_text=_("The edition that has the indicator."))
    reason = serializers.ChoiceField(choices=[reason.value for reason in LeftOutReason])


class TrendBasisSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[trends.SAME_EDITION, trends.COMPARABLE],
        help_text=_(
            "same_edition: every round on one catalogue edition, with its ordinary validated scores; comparable: "
            "rounds on several editions, each scored against the latest on the indicators both editions share."
        ),
    )
    editions = serializers.ListField(child=serializers.IntegerField())
    compared = TrendComparedSerializer(
        many=True, help_text=_("Empty on the same edition: every indicator is compared.")
    )
    left_out = TrendLeftOutSerializer(many=True)


class TrendSerializer(serializers.Serializer):
    authority = serializers.CharField(help_text=_("The authority's slug."))
    basis = TrendBasisSerializer()
    points = TrendPointSerializer(many=True, help_text=_("The validated rounds, oldest first."))


@extend_schema(
    responses={
        200: TrendSerializer,
        401: UNAUTHORIZED,
        404: OpenApiResponse(OpenApiTypes.OBJECT, description="No validated round of that authority you may see."),
    }
)
class AuthorityTrend(generics.GenericAPIView):
    """An authority's validated rounds over time, on one basis across catalogue editions, and what it compares."""

    serializer_class = TrendSerializer

    def get(self, request, slug: str):
        rounds = Round.objects.visible_to(request.user).filter(authority__slug=slug, status=Round.Status.VALIDATED)
        trend = trends.round_trend(rounds)
        if not trend.points:
            raise Http404
        data = {"authority": slug, "basis": trend.basis_data(), "points": trend.points}
        return Response(self.get_serializer(data).data)
