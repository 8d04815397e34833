from django.urls import include, path

urlpatterns = [
    path("", include("territories.counterpart_urls")),
    path("", include("territories.region_urls")),
    path("", include("territories.partnership_urls")),
]
