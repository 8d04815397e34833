from django.urls import path

from . import views

urlpatterns = [
    path("methodology/", views.methodology, name="methodology"),
]
