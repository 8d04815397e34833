"""The voices beside the city's own: who was consulted on a round, and what stakeholders think.

An authority keeps a register of the groups it consults (``Stakeholder``: organisations, never
persons). A round records its ``Consultation``\\ s: when, how, which groups, how many people, what
was discussed and said, with attachments checked like answer evidence. A consultation that
discussed an indicator is evidence for it (``assessments.slots.OTHER_EVIDENCE``).

A ``Survey`` asks stakeholders, without an account, how far the city has come on chosen indicators;
its ``SurveyResponse``\\ s are anonymous (no IP address, no name), one per respondent session. Their
medians stand beside the city's levels (``perception.py``) and never change a score.
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Authority, Round
from indicators.models import Dimension, Indicator
from indicators.rules import HIGHEST_LEVEL, LOWEST_LEVEL

TEXT_MAX = 5000  # summaries and descriptions: long enough for a page, bounded
COMMENT_MAX = 1000  # a respondent's comment on one indicator
PARTICIPANTS_MAX = 100_000


class Stakeholder(models.Model):
    """A group or organisation an authority consults: a name and a category, no personal data."""

    class Category(models.TextChoices):
        MIGRANT_ASSOCIATION = "migrant", _("Migrant or diaspora association")
        REFUGEE_LED = "refugee", _("Refugee-led organisation")
        CIVIL_SOCIETY = "civil", _("Civil society")
        ACADEMIA = "academia", _("Academia")
        PRIVATE_SECTOR = "private", _("Private sector")
        TRADE_UNION = "union", _("Trade union")
        SAME_ADMINISTRATION = "department", _("Another department of the same administration")
        REGIONAL_GOVERNMENT = "regional", _("Regional government")
        NATIONAL_GOVERNMENT = "national", _("National government")
        INTERNATIONAL = "international", _("International organisation")
        OTHER = "other", _("Other")

    # The categories that speak for migrants and displaced persons themselves.
    MIGRANT_VOICES = (Category.MIGRANT_ASSOCIATION, Category.REFUGEE_LED)

    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="stakeholders", verbose_name=_("authority")
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category)
    description = models.TextField(_("description"), max_length=TEXT_MAX, blank=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("stakeholder group")
        verbose_name_plural = _("stakeholder groups")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "name"], name="stakeholder_name_unique_in_authority"),
            models.CheckConstraint(condition=~Q(name=""), name="stakeholder_has_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Consultation(models.Model):
    """A consultation held for a round: a workshop, meeting, hearing, survey or online exchange."""

    class Method(models.TextChoices):
        WORKSHOP = "workshop", _("Workshop")
        MEETING = "meeting", _("Meeting")
        HEARING = "hearing", _("Public hearing")
        SURVEY = "survey", _("Survey")
        ONLINE = "online", _("Online consultation")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="consultations", verbose_name=_("round"))
    date = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=16, choices=Method)
    groups = models.ManyToManyField(
        Stakeholder, related_name="consultations", blank=True, verbose_name=_("groups that took part")
    )
    participants = models.PositiveIntegerField(_("number of participants"))
    # An optional breakdown; each part, when given, is at most the number of participants.
    women = models.PositiveIntegerField(_("women"), null=True, blank=True)
    men = models.PositiveIntegerField(_("men"), null=True, blank=True)
    other_gender = models.PositiveIntegerField(_("other or not stated"), null=True, blank=True)
    migrants = models.PositiveIntegerField(_("migrants or displaced persons"), null=True, blank=True)
    languages = models.CharField(
        _("languages used"), max_length=200, blank=True, help_text=_("For example: Spanish, Kichwa.")
    )
    indicators = models.ManyToManyField(Indicator, related_name="+", blank=True, verbose_name=_("indicators discussed"))
    dimensions = models.ManyToManyField(Dimension, related_name="+", blank=True, verbose_name=_("dimensions discussed"))
    summary = models.TextField(_("what was said"), max_length=TEXT_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(summary=""), name="consultation_has_summary"),
            models.CheckConstraint(
                condition=Q(participants__gte=1, participants__lte=PARTICIPANTS_MAX),
                name="consultation_participants_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    participants__gte=Coalesce(F("women"), 0) + Coalesce(F("men"), 0) + Coalesce(F("other_gender"), 0)
                ),
                name="consultation_gender_within_participants",
            ),
            models.CheckConstraint(
                condition=Q(migrants__isnull=True) | Q(migrants__lte=F("participants")),
                name="consultation_migrants_within_participants",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.get_method_display()} · {self.date}"


def attachment_upload_to(instance: ConsultationAttachment, filename: str) -> str:
    """Store uploads under generated names: the user's file name is kept only as data."""
    return f"participation/{instance.consultation.round_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ConsultationAttachment(models.Model):
    """A file or a link from a consultation (minutes, an attendance sheet, a report), checked like evidence."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("consultation")
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=attachment_upload_to, blank=True, max_length=300)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="consultation_attachment_has_title"),
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="consultation_attachment_file_xor_link",
            ),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__startswith="https://") | Q(url__startswith="http://"),
                name="consultation_attachment_link_is_http",
            ),
        ]

    def __str__(self) -> str:
        return self.title


def new_token() -> str:
    """An unguessable survey token (32 bytes of randomness, URL-safe)."""
    return secrets.token_urlsafe(32)


class SurveyQuerySet(models.QuerySet):
    def open(self, today=None):
        """Surveys that take responses: not closed, not expired."""
        today = today or timezone.localdate()
        return self.filter(closed_at__isnull=True, expires_on__gte=today)


class Survey(models.Model):
    """A stakeholder perception survey of a round, on chosen indicators, answered through a secret link."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="survey", verbose_name=_("round"))
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token, editable=False)
    indicators = models.ManyToManyField(Indicator, related_name="+", verbose_name=_("indicators asked"))
    expires_on = models.DateField(_("open until"), help_text=_("The last day on which responses are taken."))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened by")
    )
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("perception survey")
        verbose_name_plural = _("perception surveys")
        constraints = [models.CheckConstraint(condition=~Q(token=""), name="survey_has_token")]

    def __str__(self) -> str:
        return f"{self.round} · {_('survey')}"

    def is_open(self, today=None) -> bool:
        return self.closed_at is None and self.expires_on >= (today or timezone.localdate())


class SurveyResponse(models.Model):
    """One respondent's answers to a survey: anonymous, one per respondent session (``respondent``)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey"))
    # A random key kept in the respondent's session: not derived from anything about the person.
    respondent = models.UUIDField(_("respondent session"))
    language = models.CharField(_("language"), max_length=8)
    created_at = models.DateTimeField(_("answered"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "respondent"], name="survey_response_once_per_respondent")
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.created_at:%Y-%m-%d %H:%M}"


class SurveyAnswer(models.Model):
    """A respondent's level for one indicator (None: don't know), with an optional comment."""

    response = models.ForeignKey(
        SurveyResponse, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response")
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+", verbose_name=_("indicator"))
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True, help_text=_("Empty: don't know."))
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX, blank=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "indicator"], name="survey_answer_once_per_indicator"),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=LOWEST_LEVEL, level__lte=HIGHEST_LEVEL),
                name="survey_answer_level_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.level}"
