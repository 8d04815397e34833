"""The words of a notification, drawn in the active language: the in-app list and the mails share them."""

from __future__ import annotations

from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assessments.events import Kind

from .models import Notification

HEADLINES = {
    Kind.OPENED: lambda r: _("The round %(round)s is open") % {"round": r},
    Kind.SUBMITTED: lambda r: _("%(round)s was submitted for review") % {"round": r},
    Kind.RETURNED: lambda r: _("%(round)s was returned with comments") % {"round": r},
    Kind.VALIDATED: lambda r: _("%(round)s was validated") % {"round": r},
    Kind.DUE_14: lambda r: _("%(round)s is due in 14 days") % {"round": r},
    Kind.DUE_3: lambda r: _("%(round)s is due in 3 days") % {"round": r},
    Kind.OVERDUE: lambda r: _("%(round)s is overdue") % {"round": r},
}


def headline(notification: Notification) -> str:
    """One line: what happened to which round."""
    if notification.kind == Kind.MENTIONED:
        return _("%(person)s mentioned you on %(code)s of %(round)s") % {
            "person": _person(notification.actor),
            "code": notification.data.get("indicator", ""),
            "round": notification.round or "—",
        }
    if notification.kind == Kind.ASSIGNED:
        return _("%(person)s gave you %(code)s of %(round)s") % {
            "person": _person(notification.actor),
            "code": notification.data.get("code", ""),
            "round": notification.round or "—",
        }
    return HEADLINES[notification.kind](notification.round or "—")


def explanation(notification: Notification) -> str:
    """What it means for the reader and what to do, in a sentence or two."""
    kind, data = notification.kind, notification.data
    due = _due(data)
    if kind == Kind.OPENED:
        if due:
            return _("Your authority can now fill in its self-assessment; it is due on %(date)s.") % {"date": due}
        return _("Your authority can now fill in its self-assessment.")
    if kind == Kind.SUBMITTED:
        return _("The self-assessment is complete and waits for review.")
    if kind == Kind.RETURNED:
        return _(
            "The reviewer returned some indicators with comments. Only those can be changed; then an approver "
            "submits the round again."
        )
    if kind == Kind.VALIDATED:
        return _("The review is complete. An approver can now give consent to publish the results.")
    if kind in (Kind.DUE_14, Kind.DUE_3):
        return _("The self-assessment is due on %(date)s and is not submitted yet.") % {"date": due}
    if kind == Kind.OVERDUE:
        return _("The self-assessment was due on %(date)s and is not submitted yet.") % {"date": due}
    if kind == Kind.MENTIONED:
        return _("Answer in the indicator's comment thread.")
    if kind == Kind.ASSIGNED:
        if due:
            return _("You answer it for your authority; it is due on %(date)s.") % {"date": due}
        return _("You answer it for your authority.")
    return ""


def quote(notification: Notification) -> tuple[str, str]:
    """``(label, text)`` of what the notification quotes (a note, a message, a comment), or two empty strings."""
    data = notification.data
    if data.get("note"):
        return _("The reviewer's note:"), data["note"]
    if data.get("message"):
        return _("The programme's message:"), data["message"]
    if data.get("comment"):
        return _("The comment:"), data["comment"]
    return "", ""


def link(notification: Notification) -> str:
    """The page to open (a path): the round's page, which leads each reader to what they may do."""
    if notification.round_id is None:
        return reverse("home")
    data = notification.data
    if notification.kind == Kind.MENTIONED and data.get("dimension") and data.get("indicator"):
        page = reverse("round_dimension", args=[notification.round_id, data["dimension"]])
        return f"{page}#threads-{data['indicator']}"
    if notification.kind == Kind.ASSIGNED and data.get("dimension"):
        return reverse("round_dimension", args=[notification.round_id, data["dimension"]])
    return reverse("round_detail", args=[notification.round_id])


def _person(user) -> str:
    if user is None:
        return _("Someone")
    return user.get_full_name() or user.get_username()


def _due(data: dict) -> str:
    due = parse_date(data.get("due_date") or "")
    return date_format(due, "DATE_FORMAT") if due else ""
