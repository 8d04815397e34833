"""Load the signed-in user's roles at most once per request (``access.roles_on_demand``)."""

from __future__ import annotations

from . import access


class RolesMiddleware:
    """Have each request's user load every role they hold in one query, the first time something asks for one.

    The view's access checks, its QuerySet scopes, the slots of the apps above and the header's menu
    (``context_processors.menu``) then read the same roles instead of asking the database (and Django's
    permission cache, two queries) each. After ``AuthenticationMiddleware``; an anonymous visitor costs nothing.
    A view that changes the user's own roles redirects before anything reads them again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            access.roles_on_demand(user)
        return self.get_response(request)
