"""Every change to stakeholders, consultations and surveys: checked, atomic, refused with a reason.

A refusal is a ``ParticipationError`` (a ``ValidationError``: a form error or a 4xx, never a 500)
and leaves nothing half-written. Access is checked here on the freshly locked row, whatever the view
already checked (``access``).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.access import OPEN as OPEN_STATUSES
from assessments.models import Authority, Round
from assessments.uploads import check_link, check_upload, delete_files_on_commit, save_with_upload
from indicators.models import Dimension, Indicator
from indicators.rules import LEVELS

from . import access
from .access import ParticipationCapability
from .models import (
    COMMENT_MAX,
    PARTICIPANTS_MAX,
    TEXT_MAX,
    Consultation,
    ConsultationAttachment,
    Stakeholder,
    Survey,
    SurveyAnswer,
    SurveyResponse,
)

NAME_MAX = Stakeholder._meta.get_field("name").max_length
LANGUAGES_MAX = Consultation._meta.get_field("languages").max_length
TITLE_MAX = ConsultationAttachment._meta.get_field("title").max_length
URL_MAX = ConsultationAttachment._meta.get_field("url").max_length
SURVEY_MAX_DAYS = 366  # a survey runs for a year at most
# The dimensions a survey asks about unless the approver chooses: stakeholder participation and horizontal coherence.
DEFAULT_SURVEY_DIMENSIONS = ("SP", "HC")


class ParticipationError(ValidationError):
    """A refusal that says why: bad input, or a change the round's or the survey's state does not allow."""


def _text(value: str, *, empty: str | None, limit: int) -> str:
    """The text stripped; refused when longer than ``limit``, or blank with ``empty`` as the reason."""
    value = (value or "").strip()
    if empty is not None and not value:
        raise ParticipationError(empty)
    if len(value) > limit:
        raise ParticipationError(
            _("A text is %(length)d characters long; the limit is %(limit)d.") % {"length": len(value), "limit": limit}
        )
    return value


def _lock_round(round: Round) -> Round:
    """The round, locked; refused if it was removed meanwhile."""
    found = Round.objects.select_for_update().select_related("authority").filter(pk=round.pk).first()
    if found is None:
        raise ParticipationError(_("This round has been removed meanwhile."))
    return found


def _current(consultation: Consultation) -> Consultation:
    """The consultation as stored now (its round locked first); refused if it was removed meanwhile."""
    found = Consultation.objects.filter(pk=consultation.pk).first()
    if found is None:
        raise ParticipationError(_("This consultation has been removed meanwhile."))
    return found


# --- the register --------------------------------------------------------------------------------


@transaction.atomic
def stakeholder_save(
    *,
    authority: Authority,
    actor,
    name: str,
    category: str,
    description: str = "",
    stakeholder: Stakeholder | None = None,
) -> Stakeholder:
    """Add a group to the authority's register, or change one of its groups.

    The name and category of a group that took part in a consultation of a submitted or validated
    round stay as recorded: that round's record must not change (its description may).
    """
    authority = Authority.objects.select_for_update().get(pk=authority.pk)
    access.require(actor, ParticipationCapability.RECORD, authority)
    if stakeholder is not None and stakeholder.authority_id != authority.pk:
        raise ParticipationError(_("This group is not in the authority's register."))
    if stakeholder is not None:
        # The stored row, not the caller's copy: a form may have changed the copy already.
        stakeholder = Stakeholder.objects.filter(pk=stakeholder.pk, authority=authority).first()
        if stakeholder is None:
            raise ParticipationError(_("This group has been removed from the register meanwhile."))
    name = _text(name, empty=_("Give the group a name."), limit=NAME_MAX)
    if category not in Stakeholder.Category.values:
        raise ParticipationError(_("Choose a category."))
    description = _text(description, empty=None, limit=TEXT_MAX)
    if (
        stakeholder is not None
        and (name, category) != (stakeholder.name, stakeholder.category)
        and stakeholder.consultations.exclude(round__status__in=OPEN_STATUSES).exists()
    ):
        raise ParticipationError(
            _(
                "%(name)s took part in a consultation of a submitted or validated round: "
                "its name and category stay as they were recorded."
            )
            % {"name": stakeholder.name}
        )
    taken = Stakeholder.objects.filter(authority=authority, name__iexact=name)
    if stakeholder is not None:
        taken = taken.exclude(pk=stakeholder.pk)
    if taken.exists():
        raise ParticipationError(_("The register already has a group called %(name)s.") % {"name": name})
    stakeholder = stakeholder or Stakeholder(authority=authority)
    stakeholder.name, stakeholder.category, stakeholder.description = name, category, description
    stakeholder.save()
    return stakeholder


@transaction.atomic
def stakeholder_delete(*, stakeholder: Stakeholder, actor) -> None:
    """Remove a group from the register; refused once a consultation names it (the record would change)."""
    authority = Authority.objects.select_for_update().get(pk=stakeholder.authority_id)
    access.require(actor, ParticipationCapability.RECORD, authority)
    if stakeholder.consultations.exists():
        raise ParticipationError(
            _("%(name)s took part in a consultation: it stays in the register.") % {"name": stakeholder.name}
        )
    stakeholder.delete()


# --- consultations -------------------------------------------------------------------------------


def _count(value: Any, *, label: str, required: bool = False, limit: int = PARTICIPANTS_MAX) -> int | None:
    if value in (None, ""):
        if required:
            raise ParticipationError(_("Say how many people took part."))
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise ParticipationError(
            _("%(label)s must be a whole number from 0 to %(limit)d.") % {"label": label, "limit": limit}
        )
    return value


def consultation_checked(round: Round, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check a consultation's fields against the round; return them cleaned (groups etc. as lists)."""
    date = values.get("date")
    if not isinstance(date, datetime.date):
        raise ParticipationError(_("Give the date of the consultation."))
    if date > timezone.localdate():
        raise ParticipationError(_("A consultation cannot be dated in the future."))
    if values.get("method") not in Consultation.Method.values:
        raise ParticipationError(_("Choose how the consultation was held."))
    participants = _count(values.get("participants"), label=_("The number of participants"), required=True)
    if participants < 1:
        raise ParticipationError(_("At least one person took part."))
    parts = {
        name: _count(values.get(name), label=label, limit=participants)
        for name, label in (
            ("women", _("The number of women")),
            ("men", _("The number of men")),
            ("other_gender", _("The number of others")),
            ("migrants", _("The number of migrants")),
        )
    }
    if sum(parts[name] or 0 for name in ("women", "men", "other_gender")) > participants:
        raise ParticipationError(_("Women, men and others add up to more than the participants."))
    groups = list(values.get("groups") or [])
    if any(not isinstance(g, Stakeholder) or g.authority_id != round.authority_id for g in groups):
        raise ParticipationError(_("Choose groups from the authority's own register."))
    indicators = list(values.get("indicators") or [])
    if any(not isinstance(i, Indicator) or i.version_id != round.version_id for i in indicators):
        raise ParticipationError(_("Choose indicators of the round's catalogue."))
    dimensions = list(values.get("dimensions") or [])
    if any(not isinstance(d, Dimension) or d.version_id != round.version_id for d in dimensions):
        raise ParticipationError(_("Choose dimensions of the round's catalogue."))
    return {
        "date": date,
        "method": values["method"],
        "participants": participants,
        **parts,
        "languages": _text(values.get("languages", ""), empty=None, limit=LANGUAGES_MAX),
        "summary": _text(values.get("summary", ""), empty=_("Summarise what was said."), limit=TEXT_MAX),
        "groups": groups,
        "indicators": indicators,
        "dimensions": dimensions,
    }


@transaction.atomic
def consultation_save(
    *, round: Round, actor, values: Mapping[str, Any], consultation: Consultation | None = None
) -> Consultation:
    """Record a consultation of the round, or change one; ``values`` as the form cleans them.

    ``values``: date, method, participants, women, men, other_gender, migrants, languages, summary,
    groups (Stakeholders), indicators and dimensions (of the round's catalogue version).
    """
    # The authority first, then the round (stakeholder_delete's order): a group cannot leave the
    # register between the check below and the commit.
    Authority.objects.select_for_update().filter(pk=round.authority_id).first()
    round = _lock_round(round)
    access.require_record(actor, round)
    if consultation is not None:
        consultation = _current(consultation)
        if consultation.round_id != round.pk:
            raise ParticipationError(_("This consultation belongs to another round."))
    cleaned = consultation_checked(round, values)
    links = {name: cleaned.pop(name) for name in ("groups", "indicators", "dimensions")}
    chosen = {group.pk for group in links["groups"]}
    if Stakeholder.objects.filter(pk__in=chosen, authority_id=round.authority_id).count() != len(chosen):
        raise ParticipationError(_("A group you chose has been removed from the register meanwhile."))
    consultation = consultation or Consultation(round=round, created_by=actor)
    for name, value in cleaned.items():
        setattr(consultation, name, value)
    consultation.save()
    for name, objects in links.items():
        getattr(consultation, name).set(objects)
    return consultation


@transaction.atomic
def consultation_delete(*, consultation: Consultation, actor) -> None:
    """Remove a consultation and its attachments (their files once the transaction commits)."""
    round = _lock_round(consultation.round)
    access.require_record(actor, round)
    files = [a.file for a in consultation.attachments.exclude(file="")]
    consultation.delete()
    delete_files_on_commit(*files)


@transaction.atomic
def attachment_add(
    *, consultation: Consultation, actor, title: str, file: UploadedFile | None = None, url: str = ""
) -> ConsultationAttachment:
    """Attach a file or a link to a consultation, checked like answer evidence."""
    round = _lock_round(consultation.round)
    access.require_record(actor, round)
    consultation = _current(consultation)
    title = _text(title, empty=_("Give the attachment a title."), limit=TITLE_MAX)
    try:
        url = check_link(url, URL_MAX)
        if file:
            check_upload(file)  # the rules of answer evidence: size, type by content, no zip bombs
    except ValidationError as refused:
        raise ParticipationError(refused.messages) from refused
    if bool(file) == bool(url):
        raise ParticipationError(_("Give either a file or a link."))
    attachment = ConsultationAttachment(consultation=consultation, title=title, url=url, added_by=actor)
    save_with_upload(attachment, "file", file)
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: ConsultationAttachment, actor) -> None:
    round = _lock_round(attachment.consultation.round)
    access.require_record(actor, round)
    attachment.delete()
    delete_files_on_commit(attachment.file)


# --- the perception survey -----------------------------------------------------------------------


def default_survey_indicators(round: Round):
    """The indicators a survey asks unless the approver chooses: those of the SP and HC dimensions."""
    return Indicator.objects.filter(version_id=round.version_id, dimension__code__in=DEFAULT_SURVEY_DIMENSIONS)


def _expiry(expires_on: Any) -> datetime.date:
    today = timezone.localdate()
    if not isinstance(expires_on, datetime.date):
        raise ParticipationError(_("Give the last day on which the survey takes responses."))
    if expires_on < today:
        raise ParticipationError(_("The survey cannot end in the past."))
    if expires_on > today + datetime.timedelta(days=SURVEY_MAX_DAYS):
        raise ParticipationError(_("A survey runs for a year at most."))
    return expires_on


@transaction.atomic
def survey_open(
    *, round: Round, actor, expires_on: datetime.date, indicators: Iterable[Indicator] | None = None
) -> Survey:
    """Open the round's perception survey on ``indicators`` (default: SP and HC) until ``expires_on``."""
    round = _lock_round(round)
    access.require_survey(actor, round)
    if Survey.objects.filter(round=round).exists():
        raise ParticipationError(_("This round already has a survey."))
    chosen = list(default_survey_indicators(round) if indicators is None else indicators)
    if not chosen:
        raise ParticipationError(_("Choose at least one indicator to ask about."))
    if any(not isinstance(i, Indicator) or i.version_id != round.version_id for i in chosen):
        raise ParticipationError(_("Choose indicators of the round's catalogue."))
    survey = Survey.objects.create(round=round, expires_on=_expiry(expires_on), opened_by=actor)
    survey.indicators.set(chosen)
    return survey


def _lock_survey(survey: Survey, *, related: bool = False) -> Survey:
    """The survey, locked (with its round and authority if ``related``); refused if it was removed meanwhile."""
    surveys = Survey.objects.select_for_update()
    if related:
        surveys = surveys.select_related("round__authority")
    found = surveys.filter(pk=survey.pk).first()
    if found is None:
        raise ParticipationError(_("This survey has been removed."))
    return found


@transaction.atomic
def survey_extend(*, survey: Survey, actor, expires_on: datetime.date) -> Survey:
    """Move the last day of an open survey."""
    survey = _lock_survey(survey, related=True)
    access.require_survey(actor, survey.round)
    if survey.closed_at is not None:
        raise ParticipationError(_("This survey is closed; it cannot be reopened."))
    survey.expires_on = _expiry(expires_on)
    survey.save(update_fields=["expires_on"])
    return survey


@transaction.atomic
def survey_close(*, survey: Survey, actor) -> Survey:
    """Close the survey: its link takes no more responses (a 410), for good."""
    survey = _lock_survey(survey, related=True)
    access.require_survey(actor, survey.round)
    if survey.closed_at is None:
        survey.closed_at = timezone.now()
        survey.save(update_fields=["closed_at"])
    return survey


@transaction.atomic
def survey_respond(
    *, survey: Survey, respondent: uuid.UUID, language: str, answers: Mapping[int, tuple[int | None, str]]
) -> tuple[SurveyResponse, bool]:
    """Store one respondent's answers, once: ``(response, created)``; a replay returns the stored one.

    ``answers``: indicator id → (level, or None for "don't know"; comment), for indicators the survey
    asks (others are refused). A closed or expired survey refuses.
    """
    survey = _lock_survey(survey)  # one respondent's posts queue here
    if not survey.is_open():
        raise ParticipationError(_("This survey is closed."))
    existing = SurveyResponse.objects.filter(survey=survey, respondent=respondent).first()
    if existing is not None:
        return existing, False
    asked = set(survey.indicators.values_list("pk", flat=True))
    if not answers or not set(answers) <= asked:
        raise ParticipationError(_("Answer the survey's own questions."))
    rows = []
    for indicator_id, (level, comment) in answers.items():
        if level is not None and (isinstance(level, bool) or level not in LEVELS):
            raise ParticipationError(_("Choose a level from the scale, or “don't know”."))
        rows.append((indicator_id, level, _text(comment, empty=None, limit=COMMENT_MAX)))
    response = SurveyResponse.objects.create(survey=survey, respondent=respondent, language=language[:8])
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(response=response, indicator_id=i, level=level, comment=comment) for i, level, comment in rows
    )
    return response, True
