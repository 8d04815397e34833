"""The read-only JSON API, version 1 (filled in by indicators/api.py and assessments/api.py)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from assessments.api import AuthorityTrend, RoundDetail, RoundList
from indicators.api import CatalogueList
from plans.api import ActionList
from territories.api import AuthorityList


class EndpointsSerializer(serializers.Serializer):
    """The address of each endpoint of the API, by name."""

    catalogue = serializers.URLField(help_text=_("Published catalogue versions with their dimensions and indicators."))
    assessments = serializers.URLField(help_text=_("The rounds you may see; each links to its detail."))
    actions = serializers.URLField(help_text=_("The actions of the improvement plans you may see."))
    authorities = serializers.URLField(help_text=_("The authorities you may see, with their parent and partners."))
    schema = serializers.URLField(help_text=_("This API described in OpenAPI 3."))


ENDPOINTS = {
    "catalogue": "api_catalogue",
    "assessments": "api_round_list",
    "actions": "api_action_list",
    "authorities": "api_authority_list",
    "schema": "api_schema",
}


@extend_schema(responses=EndpointsSerializer)
@api_view(["GET"])
def api_root(request: Request) -> Response:
    """List the endpoints of version 1, with their addresses."""
    return Response(EndpointsSerializer({name: reverse(url, request=request) for name, url in ENDPOINTS.items()}).data)


urlpatterns = [
    path("", api_root, name="api_root"),
    path("catalogue/", CatalogueList.as_view(), name="api_catalogue"),
    path("assessments/", RoundList.as_view(), name="api_round_list"),
    path("assessments/<int:pk>/", RoundDetail.as_view(), name="api_round_detail"),
    path("actions/", ActionList.as_view(), name="api_action_list"),
    path("authorities/", AuthorityList.as_view(), name="api_authority_list"),
    path("authorities/<slug:slug>/trend/", AuthorityTrend.as_view(), name="api_authority_trend"),
    # drf-spectacular serves the schema to anyone unless told otherwise.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api_schema"),
]
