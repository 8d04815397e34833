"""What every page's header needs from the assessments app, loaded only when the page shows it."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from . import access


def menu(request) -> dict:
    """``menu.reviewer`` and ``menu.member`` (``access.menu_roles``): one query for every role, shared with the view."""
    user = getattr(request, "user", None)
    if user is None:  # a page rendered before the authentication middleware ran (a 400 on a bad host)
        return {"menu": {"reviewer": False, "member": False}}
    return {"menu": SimpleLazyObject(lambda: access.menu_roles(user))}
