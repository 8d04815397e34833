"""Improvement plans in the read-only JSON API: the actions ``Action.objects.visible_to`` allows.

``GET /api/v1/actions/`` lists them (filters: authority, status, overdue); the round detail
(``GET /api/v1/assessments/<id>/``) gains ``actions``, the actions the round follows up, through
``assessments.slots`` (registered when this module is imported, from ``PlansConfig.ready``).
"""

from __future__ import annotations

import django_filters
from django.core.validators import validate_slug
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers

from assessments import slots
from assessments.models import Round
from indicators.api import BAD_REQUEST, UNAUTHORIZED
from indicators.rules import HIGHEST_LEVEL, LOWEST_LEVEL

from .models import Action, ActionQuerySet, ActionUpdate

YES, NO = "true", "false"


class ActionFilter(django_filters.FilterSet):
    """Filters of the action list; a value that cannot match (bad status, overdue, slug) is a 400."""

    authority = django_filters.CharFilter(
        field_name="plan__authority__slug",
        validators=[validate_slug],
        help_text=_("The authority's slug; an authority you may not see, or none, gives an empty list."),
    )
    status = django_filters.ChoiceFilter(choices=Action.Status.choices)
    overdue = django_filters.ChoiceFilter(
        choices=[(YES, _("Yes")), (NO, _("No"))],
        method="filter_overdue",
        help_text=_("true: open actions past their due date; false: every other action."),
        error_messages={"invalid_choice": _("Give true or false.")},
    )

    class Meta:
        model = Action
        fields: list[str] = []

    def filter_overdue(self, actions: ActionQuerySet, name: str, value: str) -> ActionQuerySet:
        overdue = Action.objects.overdue().values("pk")
        return actions.filter(pk__in=overdue) if value == YES else actions.exclude(pk__in=overdue)


@extend_schema_field(serializers.ChoiceField(choices=Action.Status.choices), component_name="ActionStatus")
class ActionStatusField(serializers.ChoiceField):
    """An action's status."""

    def __init__(self, **kwargs):
        super().__init__(choices=Action.Status.choices, **kwargs)


class ActionUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActionUpdate
        read_only_fields = fields = ["date", "text"]


class ActionSerializer(serializers.ModelSerializer):
    """One action: what, who, when, how far, and the indicators it aims to move (by code)."""

    indicators = serializers.SerializerMethodField()
    target_levels = serializers.SerializerMethodField()
    status = ActionStatusField(read_only=True)
    origin_round = serializers.IntegerField(
        source="origin_round_id", read_only=True, help_text=_("The id of the round the action was made in.")
    )
    updates = ActionUpdateSerializer(many=True, read_only=True, help_text=_("Progress updates, newest first."))

    class Meta:
        model = Action
        read_only_fields = fields = [
            "id",
            "title",
            "indicators",
            "target_levels",
            "owner",
            "start_date",
            "due_date",
            "status",
            "origin_round",
            "updates",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_("Indicator codes.")))
    def get_indicators(self, action: Action) -> list[str]:
        return [link.indicator.code for link in action.links.all()]

    @extend_schema_field(
        serializers.DictField(
            child=serializers.IntegerField(min_value=LOWEST_LEVEL, max_value=HIGHEST_LEVEL),
            help_text=_("Indicator code → the level the action aims at."),
        )
    )
    def get_target_levels(self, action: Action) -> dict[str, int]:
        return {link.indicator.code: link.target_level for link in action.links.all()}


@extend_schema(responses={200: ActionSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED})
class ActionList(generics.ListAPIView):
    """The actions of the plans you may see, filterable by authority, status and whether they are overdue."""

    serializer_class = ActionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ActionFilter

    def get_queryset(self):
        return (
            Action.objects.visible_to(self.request.user)
            .with_details()
            .order_by("plan__authority__name", "plan__authority_id", "due_date", "id")
        )


@extend_schema_field(ActionSerializer(many=True))
class RoundActionsField(serializers.Field):
    """The actions a round follows up: its authority's, made in this round or an earlier one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("The actions the round follows up, made in it or in an earlier round."))
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, round: Round) -> list:
        actions = Action.objects.for_round(round)
        request = self.context.get("request")
        if request is not None:
            actions = actions.visible_to(request.user)
        return ActionSerializer(actions.with_details().order_by("due_date", "id"), many=True, context=self.context).data


slots.add_round_detail_field("actions", RoundActionsField)
