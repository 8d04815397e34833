"""Working together, in the authority's own data export (``assessments.slots.EXPORT``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from assessments.export import person_of, query_table

from .models import Assignment, WorkbookImport


def collaboration_export(authority) -> list:
    """Who was given which dimension or indicator, and the offline workbooks uploaded (what each would change)."""
    return [
        query_table(
            "collaboration/assignments",
            _("Assignments: the dimension or indicator given to a member, with its due date."),
            Assignment.objects.filter(round__authority=authority).order_by("round__period", "pk"),
            {
                "round_id": "round_id",
                "period": "round__period",
                "dimension": "dimension__code",
                "indicator": "indicator__code",
                "assigned_to": person_of("assignee"),
                "due_date": "due_date",
                "assigned_by": person_of("assigned_by"),
                "assigned_at": "assigned_at",
            },
        ),
        query_table(
            "collaboration/workbook_imports",
            _("Offline workbooks uploaded: their status and the changes each held (as JSON; the file is not kept)."),
            WorkbookImport.objects.filter(round__authority=authority).order_by("round__period", "uploaded_at", "pk"),
            {
                "import_id": "pk",
                "round_id": "round_id",
                "period": "round__period",
                "file_name": "filename",
                "status": "status",
                "uploaded_by": person_of("uploaded_by"),
                "uploaded_at": "uploaded_at",
                "applied_at": "applied_at",
                "changes": "changes",
            },
            labels={"status": dict(WorkbookImport.Status.choices)},
        ),
    ]
