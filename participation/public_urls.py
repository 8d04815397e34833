"""The survey's public pages, mounted at /survey/: reached with the survey's token, without an account."""

from django.urls import path

from . import public_views

urlpatterns = [
    path("<str:token>/", public_views.survey_respond, name="survey_respond"),
    path("<str:token>/thanks/", public_views.survey_thanks, name="survey_thanks"),
]
