"""What the programme app shows on the assessment pages (``assessments.slots``).

The home page of a programme coordinator lists the open campaigns, with links to all of them and to the import of
authorities and people: the entry points to the programme pages (the navigation bar has no room left). An
approver's home page offers to invite colleagues to their authorities. One query each.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from assessments import slots
from assessments.models import Authority, Membership

from .models import Campaign
from .services import can_run_campaigns


def home_section(request) -> str:
    """The home page's "Campaigns" section, for coordinators and administrators."""
    if not request.user.is_authenticated or not can_run_campaigns(request.user):
        return ""
    campaigns = Campaign.objects.open().with_counts()
    return render_to_string("programme/panels/home.html", {"campaigns": campaigns}, request=request)


def invite_section(request) -> str:
    """ "Your colleagues": for approvers, a link to invite people to each authority they approve for."""
    if not request.user.is_authenticated:
        return ""
    authorities = list(
        Authority.objects.filter(memberships__user=request.user, memberships__role=Membership.Role.APPROVER).order_by(
            "name"
        )
    )
    if not authorities:
        return ""
    return render_to_string("programme/panels/invite.html", {"authorities": authorities}, request=request)


slots.HOME.register(home_section, order=40)
slots.HOME.register(invite_section, order=45)
