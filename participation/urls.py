"""Participation's pages: the register and consultations (``views``), and the surveys (``survey_urls``)."""

from django.urls import include, path

urlpatterns = [
    path("", include("participation.consultation_urls")),
    path("", include("participation.survey_urls")),
]
