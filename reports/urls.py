from django.urls import path

from . import rollup_views, views

urlpatterns = [
    path("rounds/<int:pk>/reports/", views.report_request, name="report_request"),
    path("rounds/<int:pk>/reports/panel/", views.report_panel, name="report_panel"),
    path("rounds/<int:pk>/reports/preview/", views.report_preview, name="report_preview"),
    path("reports/<int:pk>/", views.report_status, name="report_status"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    # A parent authority's roll-up report (its roll-up page loads the panel through slots.ROLLUP_PAGE).
    path("reports/rollup/<slug:slug>/", rollup_views.rollup_report, name="rollup_report"),
    path("reports/rollup/<slug:slug>/jobs/<int:pk>/", rollup_views.rollup_report_status, name="rollup_report_status"),
    path(
        "reports/rollup/<slug:slug>/jobs/<int:pk>/download/",
        rollup_views.rollup_report_download,
        name="rollup_report_download",
    ),
]
