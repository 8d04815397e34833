"""The improvement plan in the authority's own data export (``assessments.slots.EXPORT``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from assessments.export import person_of, query_table, stored_files, stored_path

from .models import Action, ActionComment, ActionIndicator, ActionRevision, ActionUpdate, PlanTarget

UPDATE_FILES = "plans/update_files"


def _update_file(row: dict) -> dict:
    """Say where an update's file is in the archive (``stored_files`` puts it there)."""
    name = row["file_in_archive"]
    row["file_in_archive"] = (
        f"{UPDATE_FILES}/{stored_path(str(row['action_id']), row['update_id'], row['file_name'] or name)}"
        if name
        else ""
    )
    return row


def plan_export(authority) -> list:
    """The plan's targets, actions, linked indicators, progress updates (and their files), comments and history."""
    updates = ActionUpdate.objects.filter(action__plan__authority=authority).order_by("action_id", "date", "pk")
    return [
        query_table(
            "plans/targets",
            _("Improvement plan: the level aimed at on each indicator."),
            PlanTarget.objects.filter(plan__authority=authority).order_by("indicator_code"),
            {"indicator": "indicator_code", "target_level": "level"},
        ),
        query_table(
            "plans/actions",
            _("Improvement plan: its actions, with owner, dates, status and budget."),
            Action.objects.filter(plan__authority=authority).order_by("pk"),
            {
                "action_id": "pk",
                "made_in_period": "origin_round__period",
                "title": "title",
                "description": "description",
                "owner": "owner",
                "person_responsible": person_of("owner_user"),
                "start_date": "start_date",
                "due_date": "due_date",
                "status": "status",
                "reason_dropped": "drop_reason",
                "budget": "budget",
                "budget_amount": "budget_amount",
                "public": "public",
                "created_by": person_of("created_by"),
                "created_at": "created_at",
                "updated_at": "updated_at",
            },
            labels={"status": dict(Action.Status.choices), "budget": dict(Action.Budget.choices)},
        ),
        query_table(
            "plans/action_indicators",
            _("Improvement plan: the indicators each action aims to move, and the level it aims at."),
            ActionIndicator.objects.filter(action__plan__authority=authority).order_by("action_id", "indicator__code"),
            {"action_id": "action_id", "indicator": "indicator__code", "target_level": "target_level"},
        ),
        query_table(
            "plans/updates",
            _("Improvement plan: progress reported on each action, with its evidence."),
            updates,
            {
                "update_id": "pk",
                "action_id": "action_id",
                "reported_in_period": "round__period",
                "date": "date",
                "progress": "text",
                "file_in_archive": "file",
                "file_name": "filename",
                "link": "url",
                "author": person_of("author"),
                "added_at": "created_at",
            },
            row=_update_file,
        ),
        stored_files(
            UPDATE_FILES,
            _("Improvement plan: the files attached to progress updates, by action (plans/updates.csv says which)."),
            updates.only("pk", "action_id", "file", "filename"),
            lambda update: stored_path(str(update.action_id), update.pk, update.filename or update.file.name),
        ),
        query_table(
            "plans/action_comments",
            _("Improvement plan: comments on the actions."),
            ActionComment.objects.filter(action__plan__authority=authority).order_by("action_id", "created_at", "pk"),
            {
                "comment_id": "pk",
                "action_id": "action_id",
                "period": "round__period",
                "author": person_of("author"),
                "added_at": "created_at",
                "comment": "text",
            },
        ),
        query_table(
            "plans/action_history",
            _("Improvement plan: every change to an action, before and after (as JSON)."),
            ActionRevision.objects.filter(action__plan__authority=authority).order_by("action_id", "changed_at", "pk"),
            {
                "action_id": "action_id",
                "changed_at": "changed_at",
                "changed_by": person_of("changed_by"),
                "before": "old",
                "after": "new",
            },
        ),
    ]
