"""Regions and their municipalities (``region_views``), under /territories/."""

from django.urls import path

from . import region_views

urlpatterns = [
    path("rounds/<int:pk>/rollup-consent/", region_views.rollup_consent, name="rollup_consent"),
    path("regions/<slug:slug>/", region_views.region_rollup, name="region_rollup"),
    path("regions/<slug:slug>/rounds/<int:pk>/", region_views.region_round, name="region_round"),
]
