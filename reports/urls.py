from django.urls import path

from . import views

urlpatterns = [
    path("rounds/<int:pk>/reports/", views.report_request, name="report_request"),
    path("rounds/<int:pk>/reports/panel/", views.report_panel, name="report_panel"),
    path("rounds/<int:pk>/reports/preview/", views.report_preview, name="report_preview"),
    path("reports/<int:pk>/", views.report_status, name="report_status"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
]
