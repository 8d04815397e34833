from django.urls import path

from . import import_views

urlpatterns = [
    path("imports/new/", import_views.import_new, name="import_new"),
    path("imports/template.csv", import_views.import_template, name="import_template"),
    path("imports/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/cancel/", import_views.import_cancel, name="import_cancel"),
]
