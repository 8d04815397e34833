from django.urls import include, path

from . import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_board, name="campaign_board"),
    path("campaigns/<int:pk>/export.csv", views.campaign_export, name="campaign_export"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("participants/<int:pk>/extend/", views.campaign_extend, name="campaign_extend"),
    path("", include("programme.import_urls")),
    path("", include("programme.invitation_urls")),
]
