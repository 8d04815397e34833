"""What the reports app shows on the assessment pages (``assessments.slots``)."""

from django.template.loader import render_to_string


def round_page_section(request, round) -> str:
    """The round page's report section: a placeholder that loads ``report_panel`` from this app."""
    return render_to_string("reports/_round_section.html", {"round": round}, request=request)
