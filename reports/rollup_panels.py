"""What the reports app shows on a parent authority's roll-up page (``assessments.slots.ROLLUP_PAGE``)."""

from django.template.loader import render_to_string


def rollup_page_section(request, parent) -> str:
    """The roll-up page's report section: a placeholder that loads ``rollup_report`` from this app (no query).

    The page has checked that the user may see the parent's roll-up; the panel checks it again.
    """
    period = request.GET.get("period", "")
    return render_to_string("reports/rollup/_section.html", {"parent": parent, "period": period}, request=request)
