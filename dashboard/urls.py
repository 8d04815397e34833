from django.urls import path, re_path

from . import exports, participation, public, views

urlpatterns = [
    path("dashboard/", views.reviewer_dashboard, name="reviewer_dashboard"),
    path("dashboard/data.json", views.reviewer_dashboard_data, name="reviewer_dashboard_data"),
    path("dashboard/participation/", participation.participation_overview, name="participation_overview"),
    path("my-dashboard/", views.authority_dashboard, name="authority_dashboard"),
    path("public/", views.public_dashboard, name="public_dashboard"),
    path("public/<slug:slug>/", public.public_profile, name="public_profile"),
    path("public/<slug:slug>/logo/", public.public_logo, name="public_logo"),
    re_path(
        r"^public/(?P<slug>[-\w]+)/(?P<period>[^/\x00-\x1f\x7f]{1,20})/(?P<kind>\w+)\.(?P<language>[a-z]{2})\.pdf$",
        public.public_report,
        name="public_report",
    ),
    path("exports/indicators.<str:fmt>", exports.export_indicators, name="export_indicators"),
    path("exports/scores.<str:fmt>", exports.export_scores, name="export_scores"),
    path("exports/actions.<str:fmt>", exports.export_actions, name="export_actions"),
]
