from django.urls import path

from . import workbook_views

urlpatterns = [
    path("rounds/<int:pk>/workbook/", workbook_views.workbook_download, name="workbook_download"),
    path("rounds/<int:pk>/workbook/upload/", workbook_views.workbook_upload, name="workbook_upload"),
    path(
        "rounds/<int:pk>/workbook/imports/<int:import_pk>/apply/",
        workbook_views.workbook_apply,
        name="workbook_apply",
    ),
    path(
        "rounds/<int:pk>/workbook/imports/<int:import_pk>/discard/",
        workbook_views.workbook_discard,
        name="workbook_discard",
    ),
]
