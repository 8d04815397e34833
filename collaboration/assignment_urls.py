"""The assignments page of a round, under /work/."""

from django.urls import path

from . import assignment_views

urlpatterns = [
    path("rounds/<int:pk>/assignments/", assignment_views.assignment_list, name="assignment_list"),
    path(
        "rounds/<int:pk>/assignments/<int:assignment_pk>/remove/",
        assignment_views.assignment_remove,
        name="assignment_remove",
    ),
]
