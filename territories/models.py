"""Levels and territories: the national or regional counterpart's view, regions that follow their
municipalities, and partner territories side by side.

- A ``Counterpart`` is a person of the national (or regional) level invited to one round: they
  answer its mirrored indicators (``Indicator.objects.mirrored()``) on the same scale, in
  ``CounterpartAnswer``\\ s. Neither side sees the other's answers until both have submitted; their
  levels never change the city's scores.
- A ``RollupConsent`` is a municipality's consent, for one round, that the members of its parent
  authority (``Authority.parent``) see that round read-only and count it in the parent's roll-up.
  No consent, no view; withdrawing it hides the round at once.
- A ``Partnership`` joins two authorities in decentralised cooperation once both approvers have
  confirmed it; the partners then see each other's DC answers and scores, and share evidence
  (``PartnershipEvidence``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from assessments.models import Authority, Round
from indicators.models import Indicator
from indicators.rules import HIGHEST_LEVEL, LOWEST_LEVEL

TEXT_MAX = 5000


class Counterpart(models.Model):
    """The national or regional counterpart of one round: one person, invited, who answers the mirrored indicators."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National government")
        REGIONAL = "regional", _("Regional government")

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="counterpart", verbose_name=_("round"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="counterpart_roles", verbose_name=_("person")
    )
    level = models.CharField(_("level of government"), max_length=16, choices=Level)
    organisation = models.CharField(
        _("organisation"),
        max_length=200,
        help_text=_("For example: Ministry of Foreign Affairs, migration directorate."),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    invited_at = models.DateTimeField(_("invited"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("counterpart")
        verbose_name_plural = _("counterparts")
        constraints = [models.CheckConstraint(condition=~Q(organisation=""), name="counterpart_has_organisation")]

    def __str__(self) -> str:
        return f"{self.round} · {self.organisation}"

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class CounterpartAnswer(models.Model):
    """The counterpart's answer to one mirrored indicator: a level or "don't know", with a justification."""

    class Response(models.TextChoices):
        LEVEL = "level", _("A level")
        DONT_KNOW = "dk", _("Don't know")

    counterpart = models.ForeignKey(
        Counterpart, on_delete=models.CASCADE, related_name="answers", verbose_name=_("counterpart")
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    response = models.CharField(_("response"), max_length=8, choices=Response)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    justification = models.TextField(_("justification"), max_length=TEXT_MAX, blank=True)
    updated_at = models.DateTimeField(_("saved"), auto_now=True)

    class Meta:
        verbose_name = _("counterpart answer")
        verbose_name_plural = _("counterpart answers")
        constraints = [
            models.UniqueConstraint(fields=["counterpart", "indicator"], name="counterpart_answer_once_per_indicator"),
            models.CheckConstraint(
                condition=(Q(response="level") & Q(level__gte=LOWEST_LEVEL) & Q(level__lte=HIGHEST_LEVEL))
                | (Q(response="dk") & Q(level__isnull=True)),
                name="counterpart_answer_level_matches_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counterpart} · {self.indicator}"


class RollupConsent(models.Model):
    """A municipality's consent that its parent authority's members see this round and count it in the roll-up."""

    round = models.OneToOneField(
        Round, on_delete=models.CASCADE, related_name="rollup_consent", verbose_name=_("round")
    )
    # The parent the consent was given to: it follows the municipality to no other parent.
    parent = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+", verbose_name=_("shared with"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("given by")
    )
    given_at = models.DateTimeField(_("given"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent to the parent's view")
        verbose_name_plural = _("consents to the parent's view")

    def __str__(self) -> str:
        return str(self.round)


class PartnershipQuerySet(models.QuerySet):
    def confirmed(self) -> PartnershipQuerySet:
        """Partnerships both approvers have confirmed: the only ones that show anything."""
        return self.filter(first_confirmed_at__isnull=False, second_confirmed_at__isnull=False)

    def of(self, authority_id: int) -> PartnershipQuerySet:
        return self.filter(Q(first_id=authority_id) | Q(second_id=authority_id))


class Partnership(models.Model):
    """A decentralised-cooperation partnership of two authorities (``first`` has the smaller id), once both confirm."""

    first = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+", verbose_name=_("authority"))
    second = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner"))
    description = models.TextField(_("what the partnership does"), max_length=TEXT_MAX, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    first_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed for the authority by"),
    )
    first_confirmed_at = models.DateTimeField(_("confirmed for the authority"), null=True, blank=True)
    second_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed for the partner by"),
    )
    second_confirmed_at = models.DateTimeField(_("confirmed for the partner"), null=True, blank=True)

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="partnership_pair_in_order"),
            models.UniqueConstraint(fields=["first", "second"], name="partnership_once_per_pair"),
            models.CheckConstraint(
                condition=Q(first_confirmed_at__isnull=True) | Q(first_confirmed_by__isnull=False),
                name="partnership_first_confirmed_by_someone",
            ),
            models.CheckConstraint(
                condition=Q(second_confirmed_at__isnull=True) | Q(second_confirmed_by__isnull=False),
                name="partnership_second_confirmed_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first} ↔ {self.second}"

    @property
    def confirmed(self) -> bool:
        return self.first_confirmed_at is not None and self.second_confirmed_at is not None

    def partner_of(self, authority_id: int) -> Authority:
        return self.second if authority_id == self.first_id else self.first

    def confirmed_by_side(self, authority_id: int) -> bool:
        """Whether the approvers of ``authority_id``'s side have confirmed."""
        return (self.first_confirmed_at if authority_id == self.first_id else self.second_confirmed_at) is not None


def partnership_upload_to(instance: PartnershipEvidence, filename: str) -> str:
    """Store uploads under generated names: the user's file name is kept only as data."""
    return f"partnerships/{instance.partnership_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class PartnershipEvidence(models.Model):
    """Evidence both partners share: a file or a link, added by a member of either side, checked like answer evidence."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("partnership")
    )
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+", verbose_name=_("added for"))
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=partnership_upload_to, blank=True, max_length=300)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("shared evidence")
        verbose_name_plural = _("shared evidence")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="partnership_evidence_has_title"),
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="partnership_evidence_file_xor_link",
            ),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="https://") | Q(url__startswith="http://"),
                name="partnership_evidence_link_is_http",
            ),
        ]

    def __str__(self) -> str:
        return self.title
