from django.urls import path

from coherence_site import converters  # noqa: F401 (registers <code:…>)

from . import export_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/dimensions/<code:code>/", views.round_dimension, name="round_dimension"),
    path("rounds/<int:pk>/dimensions/<code:code>/toggle/", views.round_dimension_toggle, name="round_dimension_toggle"),
    path("rounds/<int:pk>/answers/<code:code>/", views.answer_save, name="answer_save"),
    path("rounds/<int:pk>/answers/<code:code>/evidence/", views.evidence_add, name="evidence_add"),
    path("rounds/<int:pk>/submit/", views.round_submit, name="round_submit"),
    path("rounds/<int:pk>/edition/", views.round_move, name="round_move"),
    path("rounds/<int:pk>/consent/", views.round_consent, name="round_consent"),
    path("rounds/<int:pk>/review/", views.round_review, name="round_review"),
    path("rounds/<int:pk>/history/", views.round_history, name="round_history"),
    path("rounds/<int:pk>/threads/<code:code>/comments/", views.comment_add, name="comment_add"),
    path("threads/<int:pk>/resolve/", views.thread_resolve, name="thread_resolve"),
    path("threads/<int:pk>/reopen/", views.thread_reopen, name="thread_reopen"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("review/", views.review_queue, name="review_queue"),
    path("authorities/<slug:slug>/logo/", views.authority_logo, name="authority_logo"),
    path("authorities/<slug:slug>/export.zip", export_views.authority_export, name="authority_export"),
]
