from django.urls import path

from . import exports, views

urlpatterns = [
    path("dashboard/", views.reviewer_dashboard, name="reviewer_dashboard"),
    path("dashboard/data.json", views.reviewer_dashboard_data, name="reviewer_dashboard_data"),
    path("my-dashboard/", views.authority_dashboard, name="authority_dashboard"),
    path("public/", views.public_dashboard, name="public_dashboard"),
    path("exports/indicators.<str:fmt>", exports.export_indicators, name="export_indicators"),
    path("exports/scores.<str:fmt>", exports.export_scores, name="export_scores"),
    path("exports/actions.<str:fmt>", exports.export_actions, name="export_actions"),
]
