"""Invitations: a person's account, and a single-use, expiring link mailed in their language to set a password.

``invitation_send(user=..., actor=...)`` (new or again) is what the import and the authority page call;
``person_invite`` makes the account, its membership and language first. The link is Django's token machinery
under an invitation's own salt and timeout (``INVITATION_TIMEOUT`` seconds, 14 days unless set): it stops
working once the password is set (the token hashes it), once the link is sent again (it hashes the number of
sends: only the latest mail's link works), and after the timeout.
"""

from __future__ import annotations

import datetime
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from assessments import access
from assessments.models import Authority, Membership, Preference
from assessments.services import WorkflowError
from outbox.services import Message, mail_queue, mails_queue

from .models import Invitation
from .services import can_run_campaigns

DEFAULT_TIMEOUT = 14 * 24 * 3600  # seconds
INVITERS = frozenset({Membership.Role.APPROVER, access.ProgrammeRole.COORDINATOR, access.ProgrammeRole.ADMINISTRATOR})


class TokenState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"  # genuine, but older than the timeout
    INVALID = "invalid"  # tampered with, used (password set) or replaced by a newer link


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset tokens under their own salt, with the invitation's timeout and number of sends."""

    key_salt = "programme.invitations.InvitationTokenGenerator"

    @property
    def timeout(self) -> int:
        return getattr(settings, "INVITATION_TIMEOUT", DEFAULT_TIMEOUT)

    def _make_hash_value(self, user, timestamp):
        invitation = getattr(user, "invitation", None)
        return f"{super()._make_hash_value(user, timestamp)}{invitation.send_count if invitation else ''}"

    def check_token(self, user, token) -> bool:
        return self.token_state(user, token) is TokenState.VALID

    def token_state(self, user, token: str) -> TokenState:
        """Whether ``token`` is the user's latest link and still fresh, expired, or not theirs at all.

        Django's ``check_token`` compares the age with ``PASSWORD_RESET_TIMEOUT``: an invitation has its own.
        """
        if not (user and token):
            return TokenState.INVALID
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return TokenState.INVALID
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return TokenState.INVALID
        if self._num_seconds(self._now()) - timestamp > self.timeout:
            return TokenState.EXPIRED
        return TokenState.VALID

    def expires_at(self, sent_at: datetime.datetime) -> datetime.datetime:
        """When a link sent at ``sent_at`` stops working."""
        return sent_at + datetime.timedelta(seconds=self.timeout)


token_generator = InvitationTokenGenerator()


# --- who may invite ------------------------------------------------------------------------------


def can_invite(user, authority: Authority) -> bool:
    """Programme coordinators and administrators, for any authority; approvers, for their own."""
    return bool(access.roles_on(user, authority.pk) & INVITERS)


def require_inviter(actor, authority: Authority) -> None:
    """Refuse (AccessDenied, saying who may) unless the user may invite people to the authority."""
    if not can_invite(actor, authority):
        raise access.AccessDenied(
            _("Only an approver of %(authority)s or a programme coordinator can invite people to it.")
            % {"authority": authority}
        )


def invitable_roles(actor) -> list[str]:
    """The roles the user may give: any, for the programme team; editor only, for an approver (no new approvers)."""
    if can_run_campaigns(actor):
        return list(Membership.Role.values)
    return [Membership.Role.EDITOR]


def _require_inviter_of(actor, user) -> None:
    """An approver may (re-)invite only a person of one of their own authorities."""
    if can_run_campaigns(actor):
        return
    if not Membership.objects.filter(
        user=actor, role=Membership.Role.APPROVER, authority__memberships__user=user
    ).exists():
        raise access.AccessDenied(
            _("Only an approver of this person's authority or a programme coordinator can invite them.")
        )


def _require_invitable(user) -> None:
    """Refuse a person without an address, switched off, or with staff rights (an invitation is for authorities' people)."""
    if not user.email:
        raise WorkflowError(_("This person has no e-mail address to send the invitation to."))
    if not user.is_active:
        raise WorkflowError(_("This person's account is switched off: an administrator can switch it on again."))
    if user.is_staff or user.is_superuser:
        raise WorkflowError(
            _("%(email)s has staff rights: their password is set by an administrator, not through an invitation.")
            % {"email": user.email}
        )


# --- writes --------------------------------------------------------------------------------------


@transaction.atomic
def invitation_send(*, user, actor) -> Invitation:
    """Mail the person a new link to set their password, in their language; the first time, record the invitation.

    Sending again counts the send, and makes the earlier links stop working.
    """
    _require_inviter_of(actor, user)
    # The person's row is the lock: two sends at once are counted one after the other, never lost or doubled.
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    invitation = Invitation.objects.filter(user=user).first()
    if (invitation and invitation.accepted_at) or user.has_usable_password():
        raise WorkflowError(
            _("%(email)s has already set a password: they can log in, or ask for a new password from the log-in page.")
            % {"email": user.email or user.get_username()}
        )
    _require_invitable(user)
    now = timezone.now()
    if invitation is None:
        invitation = Invitation.objects.create(user=user, invited_by=actor, last_sent_at=now)
    else:
        invitation.send_count += 1
        invitation.last_sent_at = now
        invitation.save(update_fields=["send_count", "last_sent_at"])
    user.invitation = invitation  # the token hashes the number of sends
    _mail(invitation, user, actor)
    return invitation


@transaction.atomic
def invitations_send_many(*, users, actor) -> list[Invitation]:
    """Invite many people at once, for the first time (an import): in a few queries whatever their number.

    Each mail is written in its reader's language, with their own link; all are queued with one insert.
    """
    User = get_user_model()
    pks = [user.pk for user in users]
    if not pks:
        return []
    if not can_run_campaigns(actor):
        mine = Membership.objects.filter(
            user__in=pks, authority__memberships__user=actor, authority__memberships__role=Membership.Role.APPROVER
        ).values_list("user", flat=True)
        if set(pks) - set(mine):
            raise access.AccessDenied(
                _("Only an approver of this person's authority or a programme coordinator can invite them.")
            )
    people = list(User.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
    if Invitation.objects.filter(user__in=pks).exists():
        raise WorkflowError(_("Some of these people were invited already: send their invitation again one by one."))
    for user in people:
        if user.has_usable_password():
            raise WorkflowError(
                _(
                    "%(email)s has already set a password: they can log in, "
                    "or ask for a new password from the log-in page."
                )
                % {"email": user.email or user.get_username()}
            )
        _require_invitable(user)
    now = timezone.now()
    created = Invitation.objects.bulk_create(
        Invitation(user=user, invited_by=actor, last_sent_at=now) for user in people
    )
    languages = Preference.objects.languages(pks)
    memberships: dict[int, list[Membership]] = {}
    for membership in (
        Membership.objects.filter(user__in=pks).select_related("authority").order_by("authority__name", "pk")
    ):
        memberships.setdefault(membership.user_id, []).append(membership)
    mails = []
    for user, invitation in zip(people, created, strict=True):
        user.invitation = invitation  # the token hashes the number of sends
        subject, body = _render(
            invitation,
            user,
            actor,
            language=languages[user.pk],
            memberships=memberships.get(user.pk, []),
        )
        mails.append(Message(user.email, subject, body))
    mails_queue(mails)  # each link is personal: one message per person, written in one query
    return created


@transaction.atomic
def person_invite(*, actor, authority: Authority, email: str, name: str, role: str, language: str = "") -> Invitation:
    """Make an account for a person (no password yet), with their role on the authority and their language; invite them."""
    require_inviter(actor, authority)
    email = (email or "").strip().lower()
    name = (name or "").strip()
    User = get_user_model()
    try:
        validate_email(email)
    except ValidationError:
        raise WorkflowError(_("“%(email)s” is not a valid e-mail address.") % {"email": email}) from None
    if len(email) > User._meta.get_field("username").max_length:
        raise WorkflowError(_("This e-mail address is too long to be a log-in name."))
    if len(name) > User._meta.get_field("first_name").max_length:
        raise WorkflowError(_("This name is too long."))
    if role not in Membership.Role.values:
        raise WorkflowError(_("“%(role)s” is not a role of an authority.") % {"role": role})
    if role not in invitable_roles(actor):
        raise WorkflowError(_("An approver can invite editors only; ask the programme team for a new approver."))
    if language and language not in dict(settings.LANGUAGES):
        raise WorkflowError(_("“%(language)s” is not a language of the site.") % {"language": language})
    if can_run_campaigns(actor):
        duplicate = _("%(email)s is already the address of a person in Coherence.") % {"email": email}
    else:  # the same words whatever the case: an approver cannot learn which addresses have an account
        duplicate = _("This address cannot be invited from here; ask the programme team.")
    if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=email).exists():
        raise WorkflowError(duplicate)
    # The whole name goes in first_name: get_full_name shows it as given (first and last names vary by culture).
    user = User(username=email, email=email, first_name=name)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same address, invited at the same moment by someone else
        raise WorkflowError(duplicate) from None
    Membership.objects.create(user=user, authority=authority, role=role)
    if language:
        Preference.objects.create(user=user, language=language)
    return invitation_send(user=user, actor=actor)


@transaction.atomic
def invitation_accept(*, user, token: str, password: str) -> AbstractBaseUser:
    """Set the person's password through their link, once: the invitation is accepted and the link is spent."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    invitation = Invitation.objects.filter(user=user).first()
    if invitation is not None:
        user.invitation = invitation  # the token hashes the number of sends
    if invitation is None or invitation.accepted_at or token_generator.token_state(user, token) != TokenState.VALID:
        raise WorkflowError(_("This invitation link is no longer valid."))
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


# --- the mail ------------------------------------------------------------------------------------


def invitation_link(user) -> str:
    """The person's current link (it hashes their password state and the invitation's number of sends)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return settings.SITE_URL + reverse("invitation_accept", args=[uidb64, token_generator.make_token(user)])


def user_language(user) -> str:
    """The person's chosen language, else the site's."""
    return Preference.objects.languages([user.pk])[user.pk]


def _render(invitation: Invitation, user, actor, *, language: str, memberships) -> tuple[str, str]:
    """The subject and body of the person's invitation, in their language."""
    with translation.override(language):
        context = {
            "name": user.get_full_name() or user.email,
            "username": user.get_username(),
            "inviter": actor.get_full_name() or actor.get_username(),
            "memberships": [(m.authority.name, m.get_role_display()) for m in memberships],
            "link": invitation_link(user),
            "expires": date_format(
                timezone.localtime(token_generator.expires_at(invitation.last_sent_at)), "DATE_FORMAT"
            ),
            "site_url": settings.SITE_URL,
        }
        subject = "".join(render_to_string("programme/email/invitation_subject.txt", context).splitlines())
        body = render_to_string("programme/email/invitation_body.txt", context)
    return subject, body


def _mail(invitation: Invitation, user, actor) -> None:
    memberships = Membership.objects.filter(user=user).select_related("authority").order_by("authority__name")
    subject, body = _render(invitation, user, actor, language=user_language(user), memberships=memberships)
    mail_queue(subject=subject, body=body, recipients=[user.email])
