"""Authorities and their members; rounds of assessment with answers, evidence, reviews and history."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from indicators.models import CatalogueVersion, Dimension, Indicator, Level
from indicators.rules import HIGHEST_LEVEL, LOWEST_LEVEL, Response
from indicators.rules import Band as Band  # the score bands, imported from here by views, API and reports

from . import scoring
from .places import place_name
from .scoring import percent

if TYPE_CHECKING:
    from .sheet import AnswerSheet


def is_reviewer(user) -> bool:
    """Programme staff who review every authority's rounds (and administrators): ``access.GRANTS`` says who."""
    from .access import Capability, programme_capabilities  # access.py builds its table from these models

    return Capability.REVIEW in programme_capabilities(user)


class AuthorityQuerySet(models.QuerySet):
    def visible_to(self, user) -> AuthorityQuerySet:
        """Authorities whose rounds the user may see at all."""
        if is_reviewer(user):
            return self.all()
        return self.filter(memberships__user=user)

    def published(self) -> AuthorityQuerySet:
        """Authorities with at least one round published with consent: those with a public profile."""
        return self.filter(models.Exists(Round.objects.published().filter(authority=OuterRef("pk"))))


def logo_upload_to(instance: Authority, filename: str) -> str:
    """Store logos under generated names; the extension is the one of the checked content (``uploads.check_logo``)."""
    return f"logos/{instance.pk}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Authority(models.Model):
    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        PROVINCE = "province", _("Province")
        REGION = "region", _("Region")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    country = models.CharField(_("country"), max_length=100)
    region = models.CharField(_("world region"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
        help_text=_(
            "The region or province this authority belongs to. With its consent, round by round, the "
            "parent's members see a shared round read-only (answers, justifications and the names of the "
            "evidence), in any status, and its validated scores count in the parent's roll-up."
        ),
    )
    logo = models.ImageField(
        _("logo"),
        upload_to=logo_upload_to,
        blank=True,
        max_length=300,
        help_text=_("Shown on the cover of the authority's reports and on its public profile."),
    )

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        verbose_name = _("local authority")
        verbose_name_plural = _("local authorities")
        ordering = ["name"]
        # Lists of rounds are ordered by authority name: a page is read along this index, not sorted from all rounds.
        indexes = [models.Index(fields=["name"], name="authority_name")]
        permissions = [("review_round", _("Can review the rounds of every authority"))]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="authority_not_its_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse a parent that is the authority itself or one of its descendants (a cycle)."""
        super().clean()
        if self.parent_id is None:
            return
        seen, current = {self.pk}, self.parent
        while current is not None:
            if current.pk in seen:
                raise ValidationError(
                    {
                        "parent": _("%(parent)s is part of %(authority)s: a parent cannot be its own descendant.")
                        % {"parent": self.parent, "authority": self}
                    }
                )
            seen.add(current.pk)
            current = current.parent

    @property
    def country_name(self) -> str:
        """The country in the active language."""
        return place_name(self.country)

    @property
    def region_name(self) -> str:
        """The world region in the active language."""
        return place_name(self.region)


class Membership(models.Model):
    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")
        APPROVER = "approver", _("Approver")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("authority")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "authority"], name="membership_unique_per_authority"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.authority} ({self.get_role_display()})"


def awaiting_review_first() -> Case:
    """0 for a submitted round (waiting for its reviewer), 1 for any other: the review queue's first key."""
    return Case(When(status="submitted", then=Value(0)), default=Value(1))


class RoundQuerySet(models.QuerySet):
    def with_progress(self) -> RoundQuerySet:
        """Annotate ``indicator_total`` and ``answered`` (``scoring.ANSWERED``, of the answers that count; optional dimensions left out excluded)."""
        omitted = Round.omitted_dimensions.through.objects.filter(round_id=OuterRef(OuterRef("pk"))).values(
            "dimension_id"
        )
        total = (
            Indicator.objects.filter(version_id=OuterRef("version_id"))
            .exclude(dimension_id__in=omitted)
            .order_by()
            .values("version_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        answered = (
            Answer.objects.counted()
            .filter(round_id=OuterRef("pk"), response__in=scoring.ANSWERED)
            .exclude(indicator__dimension_id__in=omitted)
            .order_by()
            .values("round_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            indicator_total=Coalesce(Subquery(total, output_field=IntegerField()), 0),
            answered=Coalesce(Subquery(answered, output_field=IntegerField()), 0),
        )

    def in_list_order(self) -> RoundQuerySet:
        """By authority name, latest period first (the API's list); read along the index ``authority_name``."""
        return self.order_by("authority__name", "-period", "pk")

    def in_queue_order(self) -> RoundQuerySet:
        """Submitted rounds first, the latest submission first, then by authority and period (the review queue).

        The index ``round_review_queue`` holds the first two keys: a page is read without sorting every round.
        """
        return self.order_by(awaiting_review_first(), "-submitted_at", "authority__name", "-period", "pk")

    def published(self) -> RoundQuerySet:
        """Validated rounds whose authority consented to publication: what the public may see."""
        return self.filter(status=Round.Status.VALIDATED, publication_consent=True)

    def with_capability(self, user, capability: str) -> RoundQuerySet:
        """Rounds on which one of the user's roles grants ``capability`` now (the table ``access.GRANTS``)."""
        from .access import round_filter  # access.py builds its table from this module's models

        condition = round_filter(user, capability)
        return self.none() if condition is None else self.filter(condition)

    def with_capabilities_of(self, user, *capabilities: str) -> RoundQuerySet:
        """Annotate ``can_<capability>``: whether the user may do it to each round now."""
        from .access import round_filter  # access.py builds its table from this module's models

        flags = {}
        for capability in capabilities:
            condition = round_filter(user, capability)
            flags[f"can_{capability}"] = Case(
                *([] if condition is None else [When(condition, then=Value(True))]),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        return self.annotate(**flags)

    def visible_to(self, user) -> RoundQuerySet:
        """Rounds the user may read: their authorities' rounds; for reviewers, every non-draft round."""
        return self.with_capability(user, "view")

    def editable_by(self, user) -> RoundQuerySet:
        """Rounds whose answers the user's role lets them change now (their own, in draft or returned)."""
        return self.with_capability(user, "edit_answers")

    def approvable_by(self, user) -> RoundQuerySet:
        """Rounds the user may sign off for their authority (submit; consent once validated)."""
        return self.with_capability(user, "submit")

    def reviewable_by(self, user) -> RoundQuerySet:
        """Rounds waiting for the user's review: submitted rounds, for programme reviewers."""
        return self.with_capability(user, "review").filter(status=Round.Status.SUBMITTED)


class Round(models.Model):
    """One authority's assessment for one period, pinned to one catalogue version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        VALIDATED = "validated", _("Validated")

    authority = models.ForeignKey(
        Authority, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("authority")
    )
    version = models.ForeignKey(
        CatalogueVersion, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("catalogue version")
    )
    period = models.CharField(_("period"), max_length=20, help_text=_("For example 2025."))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.DRAFT)
    omitted_dimensions = models.ManyToManyField(
        Dimension, blank=True, related_name="+", verbose_name=_("optional dimensions left out")
    )
    submission_count = models.PositiveSmallIntegerField(_("submissions"), default=0)
    started_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started from"),
        help_text=_("The earlier round whose answers were carried over into this one, for the city to confirm."),
    )
    publication_consent = models.BooleanField(_("consent to publish"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        permissions = [("open_rounds", _("Can open rounds for every authority (campaigns)"))]
        ordering = ["authority__name", "-period"]
        indexes = [models.Index(awaiting_review_first(), F("submitted_at").desc(), name="round_review_queue")]
        constraints = [
            models.UniqueConstraint(fields=["authority", "period"], name="round_one_per_authority_period"),
            models.CheckConstraint(
                condition=~Q(status="validated") | Q(validated_at__isnull=False), name="round_validated_has_date"
            ),
            models.CheckConstraint(
                condition=Q(publication_consent=False) | Q(status="validated"), name="round_consent_only_when_validated"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.period}"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.VALIDATED and self.publication_consent

    def scores(self, sheet: AnswerSheet | None = None) -> dict[str, scoring.RoundScore]:
        """Score the round from its answers as they are now (live): ``self`` (the city's levels) and ``validated``.

        Live scores are for a round being filled in or reviewed; a validated round's scores are its
        snapshot's (``assessments.sheet.round_scores``).
        """
        from .sheet import answer_sheet  # the sheet reads these models

        return (sheet or answer_sheet(self)).scores()

    @property
    def percent_answered(self) -> int:
        """Share of indicators answered, from ``with_progress()`` annotations."""
        return percent(self.answered, self.indicator_total)


class AnswerQuerySet(models.QuerySet):
    def counted(self) -> AnswerQuerySet:
        """The answers that count (progress, scores, submission): not those carried over and not yet confirmed.

        The one rule, said in SQL; ``Answer.counts`` says it of one answer in Python.
        """
        return self.filter(carried_over=False)


class Answer(models.Model):
    """A city's answer to one indicator in one round."""

    Response = Response

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="answers", verbose_name=_("round"))
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    response = models.CharField(_("response"), max_length=8, choices=Response, blank=True, default="")
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    justification = models.TextField(_("justification"), blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=0, help_text=_("Raised by every save."))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("saved by")
    )
    updated_at = models.DateTimeField(_("saved"), auto_now=True)
    save_id = models.UUIDField(
        _("last save id"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The id the browser gave the save that made this revision; a retry of that save is acknowledged."),
    )
    carried_over = models.BooleanField(
        _("carried over, not confirmed"),
        default=False,
        help_text=_(
            "Carried over from an earlier round and waiting for a person to confirm or change it; "
            "until then it counts as not answered."
        ),
    )

    objects = AnswerQuerySet.as_manager()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["round", "indicator"], name="answer_one_per_indicator"),
            models.CheckConstraint(
                condition=(Q(response=Response.LEVEL) & Q(level__gte=LOWEST_LEVEL) & Q(level__lte=HIGHEST_LEVEL))
                | (~Q(response=Response.LEVEL) & Q(level__isnull=True)),
                name="answer_level_matches_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.indicator.code}"

    @property
    def counts(self) -> bool:
        """Whether the answer counts (progress, scores, submission): not while carried over and unconfirmed.

        ``AnswerQuerySet.counted`` says the same rule in SQL.
        """
        return not self.carried_over

    def state(self, evidence: list[str] | None = None) -> dict:
        """Return the answer as plain data, for the history and the diff after a return.

        An answer carried over and not yet confirmed says so (``carried_over``); others leave the key out.
        """
        state = {
            "response": self.response,
            "level": self.level,
            "justification": self.justification,
            "evidence": sorted(evidence if evidence is not None else (str(e) for e in self.evidence.all())),
        }
        if self.carried_over:
            state["carried_over"] = True
        return state


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user) -> EvidenceQuerySet:
        return self.filter(answer__round__in=Round.objects.visible_to(user))


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    """Store uploads under generated names: the user's file name is kept only as data."""
    return f"evidence/{instance.answer.round_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Evidence(models.Model):
    """A file or a web link supporting an answer."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("answer"))
    file = models.FileField(_("file"), upload_to=evidence_upload_to, blank=True, max_length=300)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    description = models.CharField(_("description"), max_length=300)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")), name="evidence_file_or_link"
            ),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="https://") | Q(url__startswith="http://"),
                name="evidence_link_is_http",
            ),
        ]

    def __str__(self) -> str:
        return self.filename or self.url

    @property
    def is_file(self) -> bool:
        return bool(self.file)


class ReviewItem(models.Model):
    """The reviewer's view of one answer: validated level, N/A decision, comment, return.

    ``comment`` is the reviewer's word on the answer as it stands. A return is kept with the round
    of review that made it: the answer as it was (``returned_state``), the comment asking for the
    change (``returned_comment``) and that review's cycle (``returned_cycle``, the submission it
    reviewed, 1 for the first). The city's resubmission answers the return, so its comment then
    leaves ``comment``: it is history, never printed as the word on a later or validated answer.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="review_items", verbose_name=_("round"))
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    validated_level = models.PositiveSmallIntegerField(_("validated level"), null=True, blank=True)
    na_accepted = models.BooleanField(_("N/A accepted"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    returned = models.BooleanField(_("returned to the city"), default=False)
    returned_state = models.JSONField(_("answer when returned"), null=True, blank=True)
    returned_comment = models.TextField(_("comment when returned"), blank=True)
    returned_cycle = models.PositiveSmallIntegerField(
        _("returned in review"),
        null=True,
        blank=True,
        help_text=_("The submission whose review returned the indicator (1 for the first)."),
    )
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        constraints = [
            models.UniqueConstraint(fields=["round", "indicator"], name="review_one_per_indicator"),
            models.CheckConstraint(
                condition=Q(validated_level__isnull=True) | Q(validated_level__lte=HIGHEST_LEVEL),
                name="review_level_range",
            ),
            models.CheckConstraint(
                condition=Q(returned_cycle__isnull=True) | Q(returned_cycle__gte=1),
                name="review_returned_cycle_from_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.indicator.code}"


class StatusEvent(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="events", verbose_name=_("round"))
    from_status = models.CharField(max_length=16, choices=Round.Status, blank=True)
    to_status = models.CharField(max_length=16, choices=Round.Status)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.round}: {self.from_status or '-'} → {self.to_status}"


class ThreadQuerySet(models.QuerySet):
    def open(self) -> ThreadQuerySet:
        return self.filter(resolved_at__isnull=True)

    def with_comments(self) -> ThreadQuerySet:
        """With who resolved them, and their comments (oldest first) with authors and mentions."""
        comments = Comment.objects.select_related("author").prefetch_related("mentions").order_by("at", "id")
        return self.select_related("resolved_by").prefetch_related(models.Prefetch("comments", queryset=comments))


class Thread(models.Model):
    """A conversation on one indicator of a round, between the city's officials and the reviewer.

    An indicator has at most one open thread at a time (a database constraint): a new comment, or a
    reviewer's return comment, continues it; once resolved, the next comment starts a new one.
    Threads are never deleted or overwritten; they stay with the round through every review cycle.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="threads", verbose_name=_("round"))
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment thread")
        verbose_name_plural = _("comment threads")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "indicator"],
                condition=Q(resolved_at__isnull=True),
                name="thread_one_open_per_indicator",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolved_by__isnull=True)
                | Q(resolved_at__isnull=False, resolved_by__isnull=False),
                name="thread_resolved_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.indicator.code} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Comment(models.Model):
    """One message of a thread. ``kind`` says whether a review's return or validation wrote it."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        RETURN = "return", _("Returned with this comment")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments", verbose_name=_("thread"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.COMMENT)
    cycle = models.PositiveSmallIntegerField(
        _("review cycle"), help_text=_("The round's submissions when it was written (0: before the first).")
    )
    at = models.DateTimeField(_("written"), auto_now_add=True)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("people mentioned")
    )

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="comment_not_empty")]

    def __str__(self) -> str:
        return f"{self.thread}: {self.body[:40]}"


def threads_by_indicator(round: Round, indicators) -> dict[int, list[Thread]]:
    """The round's threads on ``indicators`` with their comments, by indicator id (open first, then newest).

    Each thread's ``indicator`` is the one passed (nothing of the catalogue is loaded again): one query, and two more
    for the comments when there are threads.
    """
    indicators = {indicator.pk: indicator for indicator in indicators}
    threads = (
        Thread.objects.filter(round=round, indicator_id__in=list(indicators))
        .with_comments()
        .order_by(F("resolved_at").desc(nulls_first=True), "-id")
    )
    found: dict[int, list[Thread]] = {}
    for thread in threads:
        thread.indicator = indicators[thread.indicator_id]
        found.setdefault(thread.indicator_id, []).append(thread)
    return found


class AnswerRevision(models.Model):
    """One change to an answer: who, when, the state before and after."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="revisions")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    old = models.JSONField()
    new = models.JSONField()

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.answer} by {self.changed_by} at {self.changed_at:%Y-%m-%d %H:%M}"


def answer_label(state: dict | None) -> str:
    """Say an ``Answer.state()`` in words: "3 · Operational", "Don't know", or "—"."""
    state = state or {}
    response = state.get("response") or ""
    if response == Answer.Response.LEVEL:
        return f"{state['level']} · {Level(state['level']).label}"
    return str(Answer.Response(response).label) if response else "—"


def answer_changes(old: dict | None, new: dict | None) -> list[dict]:
    """Compare two ``Answer.state()`` values: one entry per part that differs, in words."""
    old, new = old or {}, new or {}
    changes = []
    if answer_label(old) != answer_label(new):
        changes.append({"field": "answer", "old": answer_label(old), "new": answer_label(new)})
    if (old.get("justification") or "") != (new.get("justification") or ""):
        changes.append({"field": "justification", "old": old.get("justification"), "new": new.get("justification")})
    before, after = set(old.get("evidence", [])), set(new.get("evidence", []))
    if before != after:
        changes.append({"field": "evidence", "old": sorted(before - after), "new": sorted(after - before)})
    # Carried over from an earlier round (the period is in the entry that made it), then taken up by a person.
    if new.get("carried_from"):
        changes.append({"field": "carried_over", "old": None, "new": new["carried_from"]})
    elif old.get("carried_over") and not new.get("carried_over"):
        changes.append({"field": "confirmed", "old": None, "new": None})
    return changes


def current_rules_version() -> int:
    """The version of the scoring rules in force (``scoring.RULES_VERSION``), for new snapshots."""
    return scoring.RULES_VERSION


class ScoreSnapshot(models.Model):
    """Both score sets of a validated round, frozen: later catalogue edits never change them."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="snapshot", verbose_name=_("round"))
    version = models.ForeignKey(CatalogueVersion, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(auto_now_add=True)
    rules_version = models.PositiveSmallIntegerField(
        _("scoring rules version"),
        default=current_rules_version,
        help_text=_("The version of the scoring rules the scores were made with."),
    )
    weights = models.JSONField(help_text=_("Indicator code → weight used."))
    data = models.JSONField(help_text=_("Both score sets in full."))
    self_headline = models.FloatField(null=True)
    validated_headline = models.FloatField(null=True)
    validated_band = models.CharField(max_length=16, blank=True)
    completeness = models.FloatField(null=True)
    evidence_coverage = models.FloatField(null=True)

    class Meta:
        verbose_name = _("score snapshot")
        verbose_name_plural = _("score snapshots")

    def __str__(self) -> str:
        return f"{self.round} scores"

    def scores(self) -> dict[str, scoring.RoundScore]:
        """Both score sets as frozen: ``self`` and ``validated``."""
        return {name: scoring.round_score_from_data(data) for name, data in self.data.items()}


class SnapshotDimension(models.Model):
    """One dimension's score in one score set of a snapshot: the rows dashboards aggregate."""

    class ScoreSet(models.TextChoices):
        SELF = "self", _("Self-assessed")
        VALIDATED = "validated", _("Validated")

    snapshot = models.ForeignKey(ScoreSnapshot, on_delete=models.CASCADE, related_name="dimensions")
    score_set = models.CharField(max_length=16, choices=ScoreSet)
    dimension = models.CharField(max_length=8)
    core = models.BooleanField()
    score = models.FloatField(null=True, help_text=_("Empty when the dimension is insufficient."))
    band = models.CharField(max_length=16, blank=True)
    completeness = models.FloatField(null=True)
    evidence_coverage = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "score_set", "dimension"], name="snapshot_dimension_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)), name="snapshot_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot.round} {self.score_set} {self.dimension}"


class PreferenceQuerySet(models.QuerySet):
    def languages(self, user_ids) -> dict[int, str]:
        """Each person's language (their choice, else the site's), for mail and notifications: one query."""
        user_ids = list(user_ids)
        chosen = dict(self.filter(user_id__in=user_ids).exclude(language="").values_list("user_id", "language"))
        return {pk: chosen.get(pk, settings.LANGUAGE_CODE) for pk in user_ids}


class Preference(models.Model):
    """What a person chose for themselves: the interface language, remembered across browsers."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)

    objects = PreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language or '-'}"
