"""The round page section about the offline workbook (assessments.slots)."""

from __future__ import annotations

from django.template.loader import render_to_string

from assessments import access, slots
from assessments.access import Capability
from assessments.models import Round


def round_page_section(request, round: Round) -> str:
    """ "Work offline": the workbook to download, and the upload for those who may change the answers now."""
    capabilities = access.request_capabilities(request, round)
    if Capability.VIEW not in capabilities:
        return ""
    return render_to_string(
        "collaboration/workbook_panel.html",
        {"round": round, "can_upload": Capability.EDIT_ANSWERS in capabilities},
        request=request,
    )


slots.ROUND_PAGE.register(round_page_section, order=60)
