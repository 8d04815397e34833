"""Partner territories (``partnership_views``), under /territories/."""

from django.urls import path

from . import partnership_views as views

urlpatterns = [
    path("partnerships/", views.partnership_list, name="partnership_list"),
    path("partnerships/<int:pk>/", views.partnership_detail, name="partnership_detail"),
    path("partnerships/<int:pk>/confirm/", views.partnership_confirm, name="partnership_confirm"),
    path("partnerships/<int:pk>/end/", views.partnership_end, name="partnership_end"),
    path("partnerships/<int:pk>/evidence/", views.partnership_evidence_add, name="partnership_evidence_add"),
    path(
        "partnerships/evidence/<int:pk>/remove/",
        views.partnership_evidence_remove,
        name="partnership_evidence_remove",
    ),
    path("partnerships/evidence/<int:pk>/file/", views.partnership_evidence_file, name="partnership_evidence_file"),
]
