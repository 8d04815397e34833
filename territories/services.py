"""Every change across levels and territories: checked, atomic, refused with a reason.

A refusal is a ``TerritoryError`` (a ``ValidationError``: a form error or a 4xx, never a 500) and
leaves nothing half-written; access is checked here on freshly locked rows (``access``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from assessments.access import AccessDenied
from assessments.models import Authority, Membership, Round
from assessments.uploads import check_link, check_upload, delete_files_on_commit, save_with_upload
from indicators.models import Indicator
from indicators.rules import LEVELS
from outbox.services import mail_queue

from . import access
from .models import (
    TEXT_MAX,
    Counterpart,
    CounterpartAnswer,
    Partnership,
    PartnershipEvidence,
    RollupConsent,
)

ORGANISATION_MAX = Counterpart._meta.get_field("organisation").max_length
TITLE_MAX = PartnershipEvidence._meta.get_field("title").max_length
URL_MAX = PartnershipEvidence._meta.get_field("url").max_length


class TerritoryError(ValidationError):
    """A refusal that says why: bad input, or a change the round's or the partnership's state does not allow."""


def _text(value: str, *, empty: str | None, limit: int) -> str:
    value = (value or "").strip()
    if empty is not None and not value:
        raise TerritoryError(empty)
    if len(value) > limit:
        raise TerritoryError(
            _("A text is %(length)d characters long; the limit is %(limit)d.") % {"length": len(value), "limit": limit}
        )
    return value


def _lock_round(round: Round) -> Round:
    return Round.objects.select_for_update().select_related("authority").get(pk=round.pk)


# --- the counterpart -----------------------------------------------------------------------------


def mirrored_indicators(round: Round):
    """The indicators the round's counterpart answers, in catalogue order (its version's mirrored ones).

    Those of a dimension the city left out of the round are not asked: there would be nothing to compare.
    """
    return (
        Indicator.objects.filter(version_id=round.version_id)
        .mirrored()
        .exclude(
            dimension__in=Round.omitted_dimensions.through.objects.filter(round_id=round.pk).values("dimension_id")
        )
        .select_related("dimension")
        .in_catalogue_order()
    )


def _invitation_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


@transaction.atomic
def counterpart_invite(
    *, round: Round, actor, email: str, name: str, organisation: str, level: str, language: str = "en"
) -> Counterpart:
    """Invite the round's national or regional counterpart: an account bound to this round, and a mail to set a password.

    A person already holding an account (found by e-mail) is invited with it; a member of the
    round's own authority cannot be its counterpart.
    """
    round = _lock_round(round)
    if not access.can_invite_counterpart(actor, round):
        raise AccessDenied(_("Only an approver of the authority or a programme reviewer can invite a counterpart."))
    if Counterpart.objects.filter(round=round).exists():
        raise TerritoryError(_("This round already has a counterpart."))
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise TerritoryError(_("Enter a valid e-mail address.")) from error
    if level not in Counterpart.Level.values:
        raise TerritoryError(_("Choose the level of government."))
    organisation = _text(organisation, empty=_("Name the counterpart's organisation."), limit=ORGANISATION_MAX)
    name = _text(name, empty=_("Give the counterpart's name."), limit=150)
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        try:
            with transaction.atomic():  # a savepoint: a taken user name, or the same person invited at once, is no 500
                user = User(username=email[:150], email=email, first_name=name[:150])
                user.set_unusable_password()
                user.save()
        except IntegrityError as taken:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                raise TerritoryError(
                    _("An account with this user name already exists; ask an administrator.")
                ) from taken
            created = False
    if not created and Membership.objects.filter(user=user, authority_id=round.authority_id).exists():
        raise TerritoryError(_("A member of %(authority)s cannot be its counterpart.") % {"authority": round.authority})
    counterpart = Counterpart.objects.create(
        round=round, user=user, level=level, organisation=organisation, invited_by=actor
    )
    with translation.override(language):
        context = {
            "counterpart": counterpart,
            "round": round,
            "name": name,
            "set_password_url": _invitation_link(user) if created else "",
            "answer_url": settings.SITE_URL + reverse("counterpart_answer", args=[round.pk]),
        }
        mail_queue(
            subject=render_to_string("territories/mail/invitation_subject.txt", context).strip(),
            body=render_to_string("territories/mail/invitation.txt", context),
            recipients=[email],
        )
    return counterpart


@transaction.atomic
def counterpart_withdraw(*, counterpart: Counterpart, actor) -> None:
    """Withdraw a counterpart's invitation (a mistyped one, say) before they submit: whoever may invite one.

    The counterpart role and its answers go; the person's account stays.
    """
    round = _lock_round(counterpart.round)  # the round first, as counterpart_invite locks it
    found = Counterpart.objects.select_for_update().filter(pk=counterpart.pk).first()
    if found is None:
        raise TerritoryError(_("This invitation has been withdrawn meanwhile."))
    if not access.can_invite_counterpart(actor, round):
        raise AccessDenied(_("Only an approver of the authority or a programme reviewer can withdraw the invitation."))
    if found.submitted:
        raise TerritoryError(_("The counterpart has submitted their answers: the invitation cannot be withdrawn."))
    found.delete()  # its answers go with it (CASCADE)


def _lock_counterpart(counterpart: Counterpart, actor) -> Counterpart:
    counterpart = Counterpart.objects.select_for_update().select_related("round__authority").get(pk=counterpart.pk)
    if counterpart.user_id != actor.pk:
        raise AccessDenied(_("Only the invited counterpart can answer."))
    if counterpart.submitted:
        raise TerritoryError(_("Your answers are submitted; they cannot change any more."))
    return counterpart


@transaction.atomic
def counterpart_answer_save(
    *, counterpart: Counterpart, actor, indicator: Indicator, response: str, level: int | None, justification: str = ""
) -> CounterpartAnswer:
    """Save the counterpart's answer to one mirrored indicator (a level, or "dk" for don't know)."""
    counterpart = _lock_counterpart(counterpart, actor)
    if not mirrored_indicators(counterpart.round).filter(pk=indicator.pk).exists():
        raise TerritoryError(_("The counterpart answers only the mirrored indicators of this round."))
    if response == CounterpartAnswer.Response.LEVEL:
        if isinstance(level, bool) or level not in LEVELS:
            raise TerritoryError(_("Choose a level from the scale."))
    elif response == CounterpartAnswer.Response.DONT_KNOW:
        level = None
    else:
        raise TerritoryError(_("Choose a level, or “don't know”."))
    justification = _text(justification, empty=None, limit=TEXT_MAX)
    answer, _created = CounterpartAnswer.objects.update_or_create(
        counterpart=counterpart,
        indicator=indicator,
        defaults={"response": response, "level": level, "justification": justification},
    )
    return answer


@transaction.atomic
def counterpart_submit(*, counterpart: Counterpart, actor) -> Counterpart:
    """Submit the counterpart's answers once every mirrored indicator has one; they cannot change afterwards."""
    counterpart = _lock_counterpart(counterpart, actor)
    missing = mirrored_indicators(counterpart.round).exclude(
        pk__in=CounterpartAnswer.objects.filter(counterpart=counterpart).values("indicator_id")
    )
    codes = list(missing.values_list("code", flat=True))
    if codes:
        raise TerritoryError(_("Answer every indicator first: %(codes)s.") % {"codes": ", ".join(codes)})
    counterpart.submitted_at = timezone.now()
    counterpart.save(update_fields=["submitted_at"])
    return counterpart


# --- the parent authority ------------------------------------------------------------------------


@transaction.atomic
def authority_set_parent(*, authority: Authority, parent: Authority | None, actor) -> Authority:
    """Make ``authority`` part of ``parent`` (programme administrators only); a cycle is refused."""
    if not actor.is_superuser:
        raise AccessDenied(_("Only programme administrators can change which authority another belongs to."))
    authority = Authority.objects.select_for_update().get(pk=authority.pk)
    authority.parent = parent
    try:
        authority.full_clean(exclude=["logo"])
    except ValidationError as refused:
        raise TerritoryError(refused.messages) from refused
    authority.save(update_fields=["parent"])
    return authority


@transaction.atomic
def rollup_consent_give(*, round: Round, actor) -> RollupConsent:
    """The municipality's approver lets its parent authority's members see this round and count it in the roll-up."""
    round = _lock_round(round)
    if not access.is_approver(actor, round.authority_id):
        raise AccessDenied(_("Only an approver of %(authority)s can decide this.") % {"authority": round.authority})
    if round.authority.parent_id is None:
        raise TerritoryError(_("%(authority)s is not part of a region or province.") % {"authority": round.authority})
    parent_id = round.authority.parent_id
    consent = RollupConsent.objects.filter(round=round).first()
    if consent is None:
        return RollupConsent.objects.create(round=round, parent_id=parent_id, given_by=actor)
    if consent.parent_id != parent_id:  # a consent to a former parent: given again, to the new one
        consent.parent_id, consent.given_by, consent.given_at = parent_id, actor, timezone.now()
        consent.save(update_fields=["parent", "given_by", "given_at"])
    return consent


@transaction.atomic
def rollup_consent_withdraw(*, round: Round, actor) -> None:
    """Withdraw the consent: the parent's members no longer see the round, at once."""
    round = _lock_round(round)
    if not access.is_approver(actor, round.authority_id):
        raise AccessDenied(_("Only an approver of %(authority)s can decide this.") % {"authority": round.authority})
    RollupConsent.objects.filter(round=round).delete()


# --- partner territories -------------------------------------------------------------------------


@transaction.atomic
def partnership_propose(*, authority: Authority, partner: Authority, actor, description: str = "") -> Partnership:
    """Propose a partnership with ``partner``; the proposer's side is confirmed, the partner's approvers confirm theirs."""
    if not access.is_approver(actor, authority.pk):
        raise AccessDenied(_("Only an approver of %(authority)s can propose a partnership.") % {"authority": authority})
    if authority.pk == partner.pk:
        raise TerritoryError(_("An authority cannot be its own partner."))
    first, second = sorted((authority, partner), key=lambda a: a.pk)
    if Partnership.objects.filter(first=first, second=second).exists():
        raise TerritoryError(_("These two authorities already have a partnership."))
    now = timezone.now()
    side = {"first_confirmed_by": actor, "first_confirmed_at": now}
    if authority.pk == second.pk:
        side = {"second_confirmed_by": actor, "second_confirmed_at": now}
    description = _text(description, empty=None, limit=TEXT_MAX)
    try:
        with transaction.atomic():  # a savepoint: the same pair proposed at the same moment is a refusal, not a 500
            return Partnership.objects.create(
                first=first, second=second, description=description, proposed_by=actor, **side
            )
    except IntegrityError as duplicate:
        raise TerritoryError(_("These two authorities already have a partnership.")) from duplicate


def _lock_partnership(partnership: Partnership) -> Partnership:
    found = Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    if found is None:
        raise TerritoryError(_("This partnership has been ended meanwhile."))
    return found


@transaction.atomic
def partnership_confirm(*, partnership: Partnership, actor) -> Partnership:
    """Confirm the actor's side of the partnership (an approver of either side)."""
    partnership = _lock_partnership(partnership)
    side = access.require_partner_side(actor, partnership)
    prefix = "first" if side == partnership.first_id else "second"
    if getattr(partnership, f"{prefix}_confirmed_at") is None:
        setattr(partnership, f"{prefix}_confirmed_by", actor)
        setattr(partnership, f"{prefix}_confirmed_at", timezone.now())
        partnership.save(update_fields=[f"{prefix}_confirmed_by", f"{prefix}_confirmed_at"])
    return partnership


@transaction.atomic
def partnership_end(*, partnership: Partnership, actor) -> None:
    """End (or decline) the partnership: either side's approver; its shared evidence goes with it."""
    partnership = _lock_partnership(partnership)
    access.require_partner_side(actor, partnership)
    files = [e.file for e in partnership.evidence.exclude(file="")]
    partnership.delete()
    delete_files_on_commit(*files)


@transaction.atomic
def partnership_evidence_add(
    *, partnership: Partnership, actor, title: str, file: UploadedFile | None = None, url: str = ""
) -> PartnershipEvidence:
    """Share evidence of a confirmed partnership: a file or a link, checked like answer evidence."""
    partnership = _lock_partnership(partnership)
    members = Membership.objects.filter(user=actor, authority_id__in=[partnership.first_id, partnership.second_id])
    side = members.values_list("authority_id", flat=True).first()
    if side is None:
        raise AccessDenied(_("Only members of the two partners can share evidence."))
    if not partnership.confirmed:
        raise TerritoryError(_("Both partners must confirm the partnership first."))
    title = _text(title, empty=_("Give the evidence a title."), limit=TITLE_MAX)
    try:
        url = check_link(url, URL_MAX)
        if file:
            check_upload(file)
    except ValidationError as refused:
        raise TerritoryError(refused.messages) from refused
    if bool(file) == bool(url):
        raise TerritoryError(_("Give either a file or a link."))
    evidence = PartnershipEvidence(partnership=partnership, authority_id=side, title=title, url=url, added_by=actor)
    save_with_upload(evidence, "file", file)
    return evidence


@transaction.atomic
def partnership_evidence_remove(*, evidence: PartnershipEvidence, actor) -> None:
    """Remove shared evidence: a member of the side that added it."""
    _lock_partnership(evidence.partnership)  # refused if the partnership ended meanwhile
    if not Membership.objects.filter(user=actor, authority_id=evidence.authority_id).exists():
        raise AccessDenied(_("Only members of the partner that shared it can remove it."))
    evidence.delete()
    delete_files_on_commit(evidence.file)
