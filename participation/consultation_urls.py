"""The stakeholder register and a round's consultations (``views``), under /participation/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.participation_home, name="participation_home"),
    path("rounds/<int:pk>/consultations/", views.consultation_list, name="consultation_list"),
    path("rounds/<int:pk>/consultations/new/", views.consultation_create, name="consultation_create"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation_detail"),
    path("consultations/<int:pk>/edit/", views.consultation_edit, name="consultation_edit"),
    path("consultations/<int:pk>/delete/", views.consultation_delete, name="consultation_delete"),
    path("consultations/<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("attachments/<int:pk>/file/", views.attachment_file, name="attachment_file"),
    path("<slug:slug>/groups/", views.stakeholder_list, name="stakeholder_list"),
    path("<slug:slug>/groups/<int:pk>/edit/", views.stakeholder_edit, name="stakeholder_edit"),
    path("<slug:slug>/groups/<int:pk>/delete/", views.stakeholder_delete, name="stakeholder_delete"),
]
