"""Participation in the read-only JSON API, through ``assessments.slots``.

``GET /api/v1/assessments/<id>/`` gains ``consultations`` (the round's, with the groups that took
part and the indicators discussed) and each of its answers gains ``perception`` (the survey's
responses and median, the median null below ``perception.MIN_RESPONSES``). Both are read by whoever
may read the round: the API shows only rounds the user may see.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments import slots
from assessments.models import Round
from indicators.models import Indicator

from .models import Consultation, Stakeholder
from .perception import MIN_RESPONSES, round_perceptions


class GroupSerializer(serializers.Serializer):
    name = serializers.CharField()
    category = serializers.ChoiceField(choices=Stakeholder.Category.choices)


class ConsultationSerializer(serializers.Serializer):
    date = serializers.DateField()
    method = serializers.ChoiceField(choices=Consultation.Method.choices)
    groups = GroupSerializer(many=True, help_text=_("The groups of the authority's register that took part."))
    participants = serializers.IntegerField(min_value=1)
    indicators = serializers.ListField(
        child=serializers.CharField(), help_text=_("The codes of the indicators discussed.")
    )


@extend_schema_field(ConsultationSerializer(many=True))
class RoundConsultationsField(serializers.Field):
    """The round's consultations, latest first (three queries: the consultations, their groups, their indicators)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("Who the authority consulted for this round."))
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, round: Round) -> list:
        consultations = Consultation.objects.filter(round_id=round.pk).prefetch_related(
            Prefetch("groups", queryset=Stakeholder.objects.order_by("name", "id")),
            Prefetch("indicators", queryset=Indicator.objects.in_catalogue_order()),
        )
        rows = [
            {
                "date": c.date,
                "method": c.method,
                "groups": [{"name": g.name, "category": g.category} for g in c.groups.all()],
                "participants": c.participants,
                "indicators": [i.code for i in c.indicators.all()],
            }
            for c in consultations
        ]
        return ConsultationSerializer(rows, many=True).data


class PerceptionSerializer(serializers.Serializer):
    responses = serializers.IntegerField(
        min_value=0,
        help_text=_("Survey respondents who gave this indicator a level (“don't know” left out)."),
    )
    median = serializers.FloatField(
        allow_null=True,
        # Lazy: the schema is read in the requester's language, long after this module was imported.
        help_text=format_lazy(_("The median of their levels; null below {minimum} responses."), minimum=MIN_RESPONSES),
    )


def _perception_field():
    return PerceptionSerializer(
        read_only=True, help_text=_("What stakeholders think (the perception survey); never part of a score.")
    )


def _perceptions(round: Round, indicators) -> dict[int, dict]:
    return {
        pk: {"responses": p.responses, "median": p.median} for pk, p in round_perceptions(round, indicators).items()
    }


slots.add_round_detail_field("consultations", RoundConsultationsField)
slots.add_answer_field("perception", _perception_field, _perceptions, default={"responses": 0, "median": None})
