"""The invitation pages: invite one person to an authority (and send again), and the link's page to set a password.

The authority's page is for its approvers and programme coordinators: a person who cannot see the authority gets a
404, one who can but may not invite (an editor, a reviewer) a 403 that says why. The link's page needs no log-in.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assessments.access import AccessDenied
from assessments.http import refused_page
from assessments.models import Authority, Membership
from assessments.services import WorkflowError

from . import invitations
from .invitation_forms import InvitationForm
from .invitations import TokenState, token_generator
from .models import Invitation
from .services import can_run_campaigns


def _authority_for_inviter(request: HttpRequest, slug: str) -> Authority | HttpResponse:
    """The authority, or the page refusing it: 404 if the user cannot see it, 403 if they may not invite to it."""
    authorities = (
        Authority.objects.all() if can_run_campaigns(request.user) else Authority.objects.visible_to(request.user)
    )
    authority = get_object_or_404(authorities, slug=slug)
    try:
        invitations.require_inviter(request.user, authority)
    except AccessDenied as denied:
        return refused_page(request, str(denied), reverse("home"), status=403)
    return authority


def _pending(authority: Authority) -> list[dict]:
    """The authority's people who have not set their password yet, with their invitation (one query)."""
    memberships = (
        Membership.objects.filter(
            authority=authority, user__invitation__isnull=False, user__invitation__accepted_at__isnull=True
        )
        .select_related("user__invitation__invited_by")
        .order_by("user__email")
    )
    now = timezone.now()
    return [
        {
            "membership": membership,
            "invitation": membership.user.invitation,
            "expired": token_generator.expires_at(membership.user.invitation.last_sent_at) < now,
        }
        for membership in memberships
    ]


@require_http_methods(["GET", "POST"])
def person_invite(request: HttpRequest, slug: str) -> HttpResponse:
    """Invite one person to the authority (e-mail, name, role, language); the page lists those still invited."""
    authority = _authority_for_inviter(request, slug)
    if isinstance(authority, HttpResponse):
        return authority
    form = InvitationForm(
        request.POST or None, language=translation.get_language(), roles=invitations.invitable_roles(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitations.person_invite(actor=request.user, authority=authority, **form.cleaned_data)
        except WorkflowError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("An invitation is on its way to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("person_invite", authority.slug)
    return render(
        request,
        "programme/invitation_form.html",
        {"authority": authority, "form": form, "pending": _pending(authority)},
        status=422 if form.errors else 200,
    )


@require_POST
def invitation_resend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Send a pending invitation of the authority again: a new link, and the earlier ones stop working."""
    authority = _authority_for_inviter(request, slug)
    if isinstance(authority, HttpResponse):
        return authority
    invitation = get_object_or_404(
        Invitation.objects.pending().filter(user__memberships__authority=authority).select_related("user"), pk=pk
    )
    try:
        invitations.invitation_send(user=invitation.user, actor=request.user)
    except WorkflowError as error:
        return refused_page(request, " ".join(error.messages), reverse("person_invite", args=[authority.slug]))
    messages.success(request, _("The invitation is sent again to %(email)s.") % {"email": invitation.user.email})
    return redirect("person_invite", authority.slug)


def _invited_user(uidb64: str):
    """The person the link names, with their invitation; None if the link names nobody."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return get_user_model().objects.filter(pk=pk, is_active=True).select_related("invitation__invited_by").first()


def _link_refused(request: HttpRequest, invitation: Invitation | None = None) -> HttpResponse:
    """The page for a link that does not work: what to do, and who sent it only when the link is genuine but expired.

    A used link, one replaced by a newer mail and a forged one all fail the token's signature alike (it hashes the
    password and the number of sends), so they get the same page and status: it cannot tell, and must not tell,
    whether the account it names has set a password.
    """
    expired = invitation is not None
    return render(
        request,
        "programme/invitation_invalid.html",
        {"expired": expired, "invitation": invitation},
        status=410 if expired else 400,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Set a password through the invitation's link; then the person is signed in and welcomed."""
    user = _invited_user(uidb64)
    invitation = getattr(user, "invitation", None) if user else None
    # The token first, whatever the account: only a genuine link learns anything about it.
    state = token_generator.token_state(user, token)
    if state == TokenState.INVALID or invitation is None or invitation.accepted_at:
        return _link_refused(request)
    if state == TokenState.EXPIRED:  # signed for this person's latest mail, only too old
        return _link_refused(request, invitation)
    language = invitations.user_language(user)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.invitation_accept(user=user, token=token, password=form.cleaned_data["new_password1"])
        except WorkflowError:  # accepted meanwhile, in another tab
            return _link_refused(request)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        with translation.override(language):
            messages.success(
                request,
                _("Welcome to Coherence, %(name)s. From now on, log in with %(username)s and your new password.")
                % {"name": user.get_full_name() or user.get_username(), "username": user.get_username()},
            )
        response = redirect("home")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
        return response
    memberships = Membership.objects.filter(user=user).select_related("authority").order_by("authority__name")
    context = {"form": form, "invited": user, "invitation": invitation, "memberships": memberships}
    status = 422 if form.errors else 200
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:  # the person chose a language on this browser
        return render(request, "programme/invitation_accept.html", context, status=status)
    with translation.override(language):  # the language of their mail
        return render(request, "programme/invitation_accept.html", context, status=status)
