"""What regions and their municipalities show on the assessment pages (``assessments.slots``).

The round page of a municipality that belongs to a parent authority says whether the round is
shared with the parent, and lets its approvers give or withdraw that consent; the home page of a
member of a parent authority links to the roll-up of its municipalities. Each costs a few queries,
and none at all where there is no parent or no municipality.
"""

from __future__ import annotations

from django.db.models import Count
from django.template.loader import render_to_string

from assessments import slots
from assessments.models import Authority, Round

from . import access
from .models import RollupConsent


def round_page_section(request, round: Round) -> str:
    """The round page's "Shared with <parent>" section, for a round of an authority that has a parent."""
    parent_id = round.authority.parent_id
    if parent_id is None:
        return ""
    return render_to_string(
        "territories/panels/region_consent.html",
        {
            "round": round,
            "parent": Authority.objects.only("name", "slug").get(pk=parent_id),
            "shared": RollupConsent.objects.filter(round_id=round.pk, parent_id=parent_id).exists(),
            "can_decide": access.is_approver(request.user, round.authority_id),
        },
        request=request,
    )


def home_section(request) -> str:
    """The home page's "Your municipalities": the user's authorities that have municipalities (one query)."""
    if not request.user.is_authenticated:
        return ""
    parents = list(
        Authority.objects.filter(memberships__user=request.user)
        .annotate(municipalities=Count("children", distinct=True))
        .filter(municipalities__gt=0)
        .order_by("name")
    )
    if not parents:
        return ""
    return render_to_string("territories/panels/region_home.html", {"parents": parents}, request=request)


slots.ROUND_PAGE.register(round_page_section, order=72)
slots.HOME.register(home_section, order=72)
