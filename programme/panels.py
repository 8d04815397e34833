"""What the programme app shows on the assessment pages (``assessments.slots``).

The home page of a programme coordinator lists the open campaigns, with a link to all of them: the entry point
to the campaign pages (the navigation bar has no room left). One query, none for anyone else.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from assessments import slots

from .models import Campaign
from .services import can_run_campaigns


def home_section(request) -> str:
    """The home page's "Campaigns" section, for coordinators and administrators."""
    if not request.user.is_authenticated or not can_run_campaigns(request.user):
        return ""
    campaigns = Campaign.objects.open().with_counts()
    return render_to_string("programme/panels/home.html", {"campaigns": campaigns}, request=request)


slots.HOME.register(home_section, order=40)
