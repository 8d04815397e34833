from django.urls import include, path

urlpatterns = [
    path("", include("collaboration.assignment_urls")),
    path("", include("collaboration.workbook_urls")),
]
