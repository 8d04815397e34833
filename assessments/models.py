"""Authorities and their members; rounds of assessment with answers, evidence, reviews and history."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from indicators.models import CatalogueVersion, Dimension, Indicator, Level

from . import scoring
from .scoring import percent


def is_reviewer(user) -> bool:
    """Programme staff who review every authority's rounds (and administrators)."""
    return user.is_authenticated and (user.is_superuser or user.has_perm("assessments.review_round"))


class AuthorityQuerySet(models.QuerySet):
    def visible_to(self, user) -> AuthorityQuerySet:
        """Authorities whose rounds the user may see at all."""
        if is_reviewer(user):
            return self.all()
        return self.filter(memberships__user=user)


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

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        verbose_name = _("local authority")
        verbose_name_plural = _("local authorities")
        ordering = ["name"]
        permissions = [("review_round", _("Can review the rounds of every authority"))]

    def __str__(self) -> str:
        return self.name


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


class RoundQuerySet(models.QuerySet):
    def with_progress(self) -> RoundQuerySet:
        """Annotate ``indicator_total`` and ``answered`` (optional dimensions left out excluded)."""
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
            Answer.objects.filter(round_id=OuterRef("pk"))
            .exclude(response="")
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

    def published(self) -> RoundQuerySet:
        """Validated rounds whose authority consented to publication: what the public may see."""
        return self.filter(status=Round.Status.VALIDATED, publication_consent=True)

    def with_role_of(self, user) -> RoundQuerySet:
        """Annotate ``my_role``: the user's role in each round's authority (or None)."""
        role = Membership.objects.filter(user=user, authority=OuterRef("authority")).values("role")[:1]
        return self.annotate(my_role=Subquery(role))

    def visible_to(self, user) -> RoundQuerySet:
        """Rounds the user may read: their authorities' rounds; for reviewers, every non-draft round."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        mine = Q(authority__memberships__user=user)
        if is_reviewer(user):
            return self.filter(mine | ~Q(status=Round.Status.DRAFT)).distinct()
        return self.filter(mine).distinct()

    def editable_by(self, user) -> RoundQuerySet:
        """Rounds whose answers the user may change now (their own, in draft or returned)."""
        if not user.is_authenticated:
            return self.none()
        editable = Q(status__in=[Round.Status.DRAFT, Round.Status.RETURNED])
        if user.is_superuser:
            return self.filter(editable)
        return self.filter(editable, authority__memberships__user=user).distinct()

    def approvable_by(self, user) -> RoundQuerySet:
        """Rounds the user may sign off (submit, consent): approvers of the authority."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(
            authority__memberships__user=user, authority__memberships__role=Membership.Role.APPROVER
        ).distinct()

    def reviewable_by(self, user) -> RoundQuerySet:
        """Rounds the user may review: submitted rounds, for programme reviewers."""
        if not is_reviewer(user):
            return self.none()
        return self.filter(status=Round.Status.SUBMITTED)


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
    publication_consent = models.BooleanField(_("consent to publish"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["authority__name", "-period"]
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

    def score_inputs(self) -> dict[str, list[scoring.DimensionInput]]:
        """Load the round's answers as the two score sets see them: ``self`` and ``validated``."""
        answers = {
            a.indicator_id: a for a in Answer.objects.filter(round=self).annotate(evidence_count=Count("evidence"))
        }
        reviews = {r.indicator_id: r for r in ReviewItem.objects.filter(round=self)}
        omitted = set(self.omitted_dimensions.values_list("pk", flat=True))
        indicators = (
            Indicator.objects.filter(version_id=self.version_id)
            .exclude(dimension_id__in=omitted)
            .select_related("dimension")
            .order_by("dimension__order", "dimension__code", "order", "code")
        )
        sets: dict[str, dict[str, list]] = {"self": {}, "validated": {}}
        cores: dict[str, bool] = {}
        for indicator in indicators:
            answer, review = answers.get(indicator.pk), reviews.get(indicator.pk)
            response = answer.response if answer else ""
            level = answer.level if answer else None
            common = {
                "code": indicator.code,
                "weight": float(indicator.weight),
                "has_evidence": bool(answer and answer.evidence_count),
            }
            cores[indicator.dimension.code] = indicator.dimension.is_core
            sets["self"].setdefault(indicator.dimension.code, []).append(
                scoring.IndicatorInput(response=response, level=level, **common)
            )
            response, level, na_accepted = scoring.validated_answer(
                response, level, review.validated_level if review else None, review.na_accepted if review else None
            )
            sets["validated"].setdefault(indicator.dimension.code, []).append(
                scoring.IndicatorInput(response=response, level=level, na_accepted=na_accepted, **common)
            )
        return {
            name: [scoring.DimensionInput(code, cores[code], tuple(items)) for code, items in dimensions.items()]
            for name, dimensions in sets.items()
        }

    def scores(self) -> dict[str, scoring.RoundScore]:
        """Score the round as it is now: ``self`` (the city's levels) and ``validated`` (the reviewer's)."""
        return {name: scoring.score_round(inputs) for name, inputs in self.score_inputs().items()}

    @property
    def percent_answered(self) -> int:
        """Share of indicators answered, from ``with_progress()`` annotations."""
        return percent(self.answered, self.indicator_total)


class Answer(models.Model):
    """A city's answer to one indicator in one round."""

    class Response(models.TextChoices):
        UNANSWERED = "", _("Not answered yet")
        LEVEL = "level", _("A level")
        NOT_APPLICABLE = "na", _("Not applicable")
        DONT_KNOW = "dk", _("Don't know")

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

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["round", "indicator"], name="answer_one_per_indicator"),
            models.CheckConstraint(
                condition=(Q(response="level") & Q(level__gte=0) & Q(level__lte=4))
                | (~Q(response="level") & Q(level__isnull=True)),
                name="answer_level_matches_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.indicator.code}"

    def state(self, evidence: list[str] | None = None) -> dict:
        """Return the answer as plain data, for the history and the diff after a return."""
        return {
            "response": self.response,
            "level": self.level,
            "justification": self.justification,
            "evidence": sorted(evidence if evidence is not None else (str(e) for e in self.evidence.all())),
        }


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
    """The reviewer's view of one answer: validated level, N/A decision, comment, return."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="review_items", verbose_name=_("round"))
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    validated_level = models.PositiveSmallIntegerField(_("validated level"), null=True, blank=True)
    na_accepted = models.BooleanField(_("N/A accepted"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    returned = models.BooleanField(_("returned to the city"), default=False)
    returned_state = models.JSONField(_("answer when returned"), null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        constraints = [
            models.UniqueConstraint(fields=["round", "indicator"], name="review_one_per_indicator"),
            models.CheckConstraint(
                condition=Q(validated_level__isnull=True) | Q(validated_level__lte=4), name="review_level_range"
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
    return changes


class Band(models.TextChoices):
    """Names of the score bands (``scoring.BANDS`` holds their thresholds)."""

    INITIAL = "initial", _("Initial")
    EMERGING = "emerging", _("Emerging")
    ESTABLISHED = "established", _("Established")
    ADVANCED = "advanced", _("Advanced")


class ScoreSnapshot(models.Model):
    """Both score sets of a validated round, frozen: later catalogue edits never change them."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="snapshot", verbose_name=_("round"))
    version = models.ForeignKey(CatalogueVersion, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(auto_now_add=True)
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


class Preference(models.Model):
    """What a person chose for themselves: the interface language, remembered across browsers."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language or '-'}"
