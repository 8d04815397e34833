from django.urls import path

from . import suggestion_views, views

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("rounds/<int:pk>/suggestions/", suggestion_views.plan_suggestions, name="plan_suggestions"),
    path("<slug:slug>/", views.plan_detail, name="plan_detail"),
    path("<slug:slug>/actions/new/", views.action_create, name="plan_action_create"),
    path("<slug:slug>/actions/<int:pk>/", views.action_detail, name="plan_action_detail"),
    path("<slug:slug>/actions/<int:pk>/edit/", views.action_edit, name="plan_action_edit"),
    path("<slug:slug>/actions/<int:pk>/status/", views.action_status, name="plan_action_status"),
    path("<slug:slug>/actions/<int:pk>/updates/", views.update_add, name="plan_update_add"),
    path("<slug:slug>/actions/<int:pk>/comments/", views.comment_add, name="plan_comment_add"),
    path("<slug:slug>/actions/<int:pk>/history/", views.action_history, name="plan_action_history"),
    path("<slug:slug>/updates/<int:pk>/file/", views.update_file, name="plan_update_file"),
]
