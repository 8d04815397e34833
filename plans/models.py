"""An authority's improvement plan: actions on the gaps its rounds found, followed up from round to round.

One ``Plan`` per authority spans all its rounds. An ``Action`` is made in one round (its
``origin_round``) and links indicators of that round's catalogue version, each with a target level
(``ActionIndicator``); later rounds find them by indicator code. People report progress with dated
``ActionUpdate``s (text, and evidence under the rules of answer evidence); reviewers comment
(``ActionComment``). Every change to an action is kept as an ``ActionRevision`` (the history), as
answers keep theirs. ``PlanTarget`` is the level the authority aims at on an indicator (3 unless it
says otherwise); ``SuggestionDismissal`` records a suggested action someone chose not to take up.

Writes go through ``services.py``; who may do what is ``access.py``'s.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Authority, Round
from indicators.models import Indicator
from indicators.rules import HIGHEST_LEVEL, LOWEST_LEVEL

DEFAULT_TARGET_LEVEL = 3  # "operational": the level a suggestion aims at unless the authority sets another
TITLE_MAX = 200
TEXT_MAX = 5000  # descriptions, updates, comments and reasons: long enough for a page, bounded


def _level_range(field: str) -> Q:
    return Q(**{f"{field}__gte": LOWEST_LEVEL}) & Q(**{f"{field}__lte": HIGHEST_LEVEL})


class PlanQuerySet(models.QuerySet):
    def visible_to(self, user) -> PlanQuerySet:
        """Plans the user may read: their authorities' plans; every plan for programme reviewers."""
        from .access import visible_authorities  # access.py reads these models

        return self.filter(authority__in=visible_authorities(user))


class Plan(models.Model):
    """One authority's improvement plan, across all its rounds."""

    authority = models.OneToOneField(
        Authority, on_delete=models.CASCADE, related_name="plan", verbose_name=_("authority")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("improvement plan")
        verbose_name_plural = _("improvement plans")
        ordering = ["authority__name"]

    def __str__(self) -> str:
        return str(self.authority)


class PlanTarget(models.Model):
    """The level an authority aims at on one indicator (by code, so it holds across catalogue versions)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets", verbose_name=_("plan"))
    indicator_code = models.CharField(_("indicator"), max_length=16)
    level = models.PositiveSmallIntegerField(_("target level"), default=DEFAULT_TARGET_LEVEL)

    class Meta:
        verbose_name = _("target level")
        verbose_name_plural = _("target levels")
        constraints = [
            models.UniqueConstraint(fields=["plan", "indicator_code"], name="plan_target_one_per_indicator"),
            models.CheckConstraint(condition=_level_range("level"), name="plan_target_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.indicator_code} → {self.level}"


class ActionQuerySet(models.QuerySet):
    def visible_to(self, user) -> ActionQuerySet:
        """Actions the user may read (those of the plans ``Plan.objects.visible_to`` allows)."""
        from .access import visible_authorities  # access.py reads these models

        return self.filter(plan__authority__in=visible_authorities(user))

    def open(self) -> ActionQuerySet:
        """Actions still under way: planned or in progress."""
        return self.filter(status__in=Action.OPEN_STATUSES)

    def overdue(self, today: date | None = None) -> ActionQuerySet:
        """Open actions whose due date has passed (``Action.overdue_condition``)."""
        return self.filter(Action.overdue_condition(today=today))

    def public(self) -> ActionQuerySet:
        """Actions the authority marked public, of authorities with a round published with consent."""
        return self.filter(public=True, plan__authority__rounds__in=Round.objects.published()).distinct()

    def for_round(self, round: Round) -> ActionQuerySet:
        """The actions a round follows up: its authority's actions made in this round or an earlier one."""
        return self.filter(plan__authority_id=round.authority_id, origin_round__period__lte=round.period)

    def counts(self, today: date | None = None) -> dict[str, int]:
        """How many of the actions are at each status (keyed by status) and ``overdue``: one query."""
        return self.aggregate(
            **{status: models.Count("pk", filter=Q(status=status)) for status in Action.Status.values},
            overdue=models.Count("pk", filter=Action.overdue_condition(today=today)),
        )

    def with_details(self) -> ActionQuerySet:
        """Load what a list of actions shows in a constant number of queries."""
        return self.select_related("plan__authority", "origin_round", "owner_user").prefetch_related(
            models.Prefetch("links", ActionIndicator.objects.select_related("indicator").order_by("indicator__code")),
            "updates",
        )


class Action(models.Model):
    """Something the authority will do to move one or more indicators up."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    class Budget(models.TextChoices):
        NONE = "none", _("No budget secured")
        PARTIAL = "partial", _("Partly secured")
        FULL = "full", _("Fully secured")

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions", verbose_name=_("plan"))
    origin_round = models.ForeignKey(
        Round,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("made in round"),
        help_text=_("The round whose gaps the action answers; its indicators come from that round's catalogue."),
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=TEXT_MAX, blank=True)
    owner = models.CharField(_("owner"), max_length=200, help_text=_("The department or office that leads it."))
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person responsible"),
    )
    start_date = models.DateField(_("start date"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PLANNED)
    drop_reason = models.TextField(_("reason for dropping"), max_length=TEXT_MAX, blank=True)
    budget = models.CharField(_("budget secured"), max_length=8, choices=Budget, default=Budget.NONE)
    budget_amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True, help_text=_("Optional.")
    )
    public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Shown on the public page of the authority's rounds published with consent."),
    )
    revision = models.PositiveIntegerField(_("revision"), default=0, help_text=_("Raised by every change."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["plan", "status", "due_date"], name="action_plan_status_due")]
        constraints = [
            models.CheckConstraint(condition=Q(due_date__gte=models.F("start_date")), name="action_due_after_start"),
            models.CheckConstraint(
                condition=~Q(status="dropped") | ~Q(drop_reason=""), name="action_dropped_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gte=0), name="action_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    # The overdue rule, said once in SQL and once in Python: open, and due before today (due today is not late).
    @classmethod
    def overdue_condition(cls, prefix: str = "", today: date | None = None) -> Q:
        """Overdue actions as a filter; ``prefix`` is the path to the action (``"plan__actions__"`` from an authority)."""
        return Q(**{f"{prefix}status__in": cls.OPEN_STATUSES, f"{prefix}due_date__lt": today or timezone.localdate()})

    @property
    def is_overdue(self) -> bool:
        """``overdue_condition`` of this one action."""
        return self.is_open and self.due_date < timezone.localdate()

    def state(self) -> dict:
        """The action as plain data, for its history (``ActionRevision``)."""
        links = getattr(self, "_prefetched_objects_cache", {}).get("links")
        links = links if links is not None else self.links.select_related("indicator")
        return {
            "title": self.title,
            "description": self.description,
            "owner": self.owner,
            "owner_user": self.owner_user_id,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "status": self.status,
            "drop_reason": self.drop_reason,
            "budget": self.budget,
            "budget_amount": str(self.budget_amount) if self.budget_amount is not None else None,
            "public": self.public,
            "target_levels": {link.indicator.code: link.target_level for link in links},
        }


def with_action_counts(
    authorities: models.QuerySet[Authority], today: date | None = None
) -> models.QuerySet[Authority]:
    """Annotate each authority with its plan's actions per status (``n_planned`` …) and overdue (``n_overdue``).

    One query for any number of authorities; an authority without a plan counts zero everywhere.
    """
    path = "plan__actions"
    return authorities.annotate(
        **{
            f"n_{status}": models.Count(path, filter=Q(**{f"{path}__status": status}))
            for status in Action.Status.values
        },
        n_overdue=models.Count(path, filter=Action.overdue_condition(f"{path}__", today)),
    )


class ActionIndicator(models.Model):
    """An indicator an action aims to move, and the level it aims at."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="links", verbose_name=_("action"))
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    target_level = models.PositiveSmallIntegerField(_("target level"), default=DEFAULT_TARGET_LEVEL)

    class Meta:
        verbose_name = _("linked indicator")
        verbose_name_plural = _("linked indicators")
        constraints = [
            models.UniqueConstraint(fields=["action", "indicator"], name="action_indicator_once"),
            models.CheckConstraint(condition=_level_range("target_level"), name="action_target_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.action} · {self.indicator.code} → {self.target_level}"


def update_upload_to(instance: ActionUpdate, filename: str) -> str:
    """Store uploads under generated names: the user's file name is kept only as data."""
    return f"plans/{instance.action.plan.authority_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ActionUpdate(models.Model):
    """A dated report of progress on an action, by a person, with optional evidence (a file or a link)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates", verbose_name=_("action"))
    round = models.ForeignKey(
        Round,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported in round"),
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    text = models.TextField(_("progress"), max_length=TEXT_MAX)
    file = models.FileField(_("file"), upload_to=update_upload_to, blank=True, max_length=300)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="action_update_has_text"),
            models.CheckConstraint(condition=Q(file="") | Q(url=""), name="action_update_file_or_link"),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="https://") | Q(url__startswith="http://"),
                name="action_update_link_is_http",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} · {self.date}"


class ActionComment(models.Model):
    """A reviewer's (or a member's) comment on an action, made while a round was being reviewed."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="comments", verbose_name=_("action"))
    round = models.ForeignKey(
        Round, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("round")
    )
    text = models.TextField(_("comment"), max_length=TEXT_MAX)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="action_comment_has_text")]

    def __str__(self) -> str:
        return f"{self.action} · {self.author}"


class ActionRevision(models.Model):
    """One change to an action: who, when, what it was and what it became (``Action.state``)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="revisions")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    old = models.JSONField(null=True, help_text=_("Empty when the action was created."))
    new = models.JSONField()

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.changed_by} at {self.changed_at:%Y-%m-%d %H:%M}"

    def changes(self, people: dict[int, str] | None = None) -> list[dict]:
        """What this change did, one entry per field in words (``people``: user id → name, for the person responsible)."""
        return action_changes(self.old, self.new, people or {})


def _state_words(field: str, value, people: dict[int, str]) -> str:
    """One field of ``Action.state()`` as the history shows it."""
    if value in (None, ""):
        return ""
    if field in ("start_date", "due_date"):
        return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
    if field == "status":
        return str(dict(Action.Status.choices).get(value, value))
    if field == "budget":
        return str(dict(Action.Budget.choices).get(value, value))
    if field == "public":
        return str(_("yes") if value else _("no"))
    if field == "owner_user":
        return people.get(value, str(value))
    return str(value)


def action_changes(old: dict | None, new: dict | None, people: dict[int, str] | None = None) -> list[dict]:
    """Compare two ``Action.state()`` values: one entry per field that differs (and per indicator), in words.

    Each entry is ``{"field": label, "old": words, "new": words}``; an empty ``old`` means it was set.
    """
    old, new, people = old or {}, new or {}, people or {}
    changes = []
    for name in (
        "title",
        "description",
        "owner",
        "owner_user",
        "start_date",
        "due_date",
        "status",
        "drop_reason",
        "budget",
        "budget_amount",
        "public",
    ):
        before, after = old.get(name), new.get(name)
        if before != after and not (before in (None, "") and after in (None, "")):
            changes.append(
                {
                    "field": Action._meta.get_field(name).verbose_name,
                    "old": _state_words(name, before, people),
                    "new": _state_words(name, after, people),
                }
            )
    before, after = old.get("target_levels") or {}, new.get("target_levels") or {}
    for code in sorted(set(before) | set(after)):
        if before.get(code) != after.get(code):
            changes.append(
                {
                    "field": _("Target level of %(code)s") % {"code": code},
                    "old": "" if before.get(code) is None else str(before[code]),
                    "new": "" if after.get(code) is None else str(after[code]),
                }
            )
    return changes


class SuggestionDismissal(models.Model):
    """A suggested action someone chose not to take up, for one indicator in one round."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="dismissals")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "indicator"], name="suggestion_dismissed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.indicator.code} dismissed"
