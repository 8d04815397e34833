"""The approver's survey pages, under /participation/: manage a round's survey, read its results."""

from django.urls import path

from . import survey_views

urlpatterns = [
    path("rounds/<int:pk>/survey/", survey_views.survey_manage, name="survey_manage"),
    path("rounds/<int:pk>/survey/results/", survey_views.survey_results, name="survey_results"),
]
