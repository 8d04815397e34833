"""The read-only JSON API, version 1 (filled in by indicators/api.py and assessments/api.py)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from assessments.api import RoundDetail, RoundList
from indicators.api import CatalogueList

urlpatterns = [
    path("catalogue/", CatalogueList.as_view(), name="api_catalogue"),
    path("assessments/", RoundList.as_view(), name="api_round_list"),
    path("assessments/<int:pk>/", RoundDetail.as_view(), name="api_round_detail"),
    # drf-spectacular serves the schema to anyone unless told otherwise.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api_schema"),
]
