from django.urls import path

from . import invitation_views

urlpatterns = [
    path("authorities/<slug:slug>/invite/", invitation_views.person_invite, name="person_invite"),
    path(
        "authorities/<slug:slug>/invitations/<int:pk>/send/",
        invitation_views.invitation_resend,
        name="invitation_resend",
    ),
    path("invitations/<str:uidb64>/<str:token>/", invitation_views.invitation_accept, name="invitation_accept"),
]
