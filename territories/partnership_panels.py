"""What partner territories show on the assessment pages (``assessments.slots``).

The round page gets a "Partner territories" section: the authority's confirmed partners, with links
to the partnership pages, and, for its approvers, the proposals still waiting for a confirmation.
With none of either it says so and links to the partnerships page, where approvers propose one
(the main menu has no room for it). One query for the partnerships (the user's scope,
``access.partnerships_of``), and one more only when a proposal waits (whether the user approves).
"""

from __future__ import annotations

from django.template.loader import render_to_string

from assessments import slots
from assessments.models import Membership, Round

from . import access


def round_page_section(request, round: Round) -> str:
    """The round page's "Partner territories" section, for those who may see the authority's partnerships."""
    authority_id = round.authority_id
    partnerships = list(
        access.partnerships_of(request.user).of(authority_id).select_related("first", "second").order_by("pk")
    )
    confirmed = [p for p in partnerships if p.confirmed]
    pending = [p for p in partnerships if not p.confirmed]
    if (
        pending
        and not Membership.objects.filter(
            user=request.user, authority_id=authority_id, role=Membership.Role.APPROVER
        ).exists()
    ):
        pending = []

    def partner(p):
        return p.partner_of(authority_id)

    return render_to_string(
        "territories/panels/partnership_round_section.html",
        {
            "round": round,
            "confirmed": sorted(((p, partner(p)) for p in confirmed), key=lambda pair: pair[1].name),
            "waiting_you": [(p, partner(p)) for p in pending if not p.confirmed_by_side(authority_id)],
            "waiting_partner": [(p, partner(p)) for p in pending if p.confirmed_by_side(authority_id)],
        },
        request=request,
    )


slots.ROUND_PAGE.register(round_page_section, order=74)
