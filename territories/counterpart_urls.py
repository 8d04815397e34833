"""The counterpart's pages, under /territories/: the invitation (and its withdrawal), the counterpart's answers, the comparison."""

from django.urls import path

from . import counterpart_views

urlpatterns = [
    path("rounds/<int:pk>/counterpart/invite/", counterpart_views.counterpart_invite, name="counterpart_invite"),
    path(
        "rounds/<int:pk>/counterpart/withdraw/",
        counterpart_views.counterpart_withdraw,
        name="counterpart_withdraw",
    ),
    path("rounds/<int:pk>/counterpart/", counterpart_views.counterpart_answer, name="counterpart_answer"),
    path(
        "rounds/<int:pk>/counterpart/comparison/",
        counterpart_views.counterpart_comparison,
        name="counterpart_comparison",
    ),
]
