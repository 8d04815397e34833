"""The form to invite one person to an authority (the link's page uses Django's ``SetPasswordForm``)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from assessments.models import Membership


class InvitationForm(forms.Form):
    """One person to invite: their address (their log-in name), name, role on the authority and language."""

    email = forms.EmailField(label=_("E-mail address"), max_length=150, help_text=_("It becomes their log-in name."))
    name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.EDITOR)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The invitation and every later mail are written in it."),
    )

    def __init__(self, *args, language: str = "", roles=None, **kwargs):
        """``roles``: the roles the inviter may give (``invitations.invitable_roles``); all when not given."""
        super().__init__(*args, **kwargs)
        if roles is not None:
            self.fields["role"].choices = [(value, label) for value, label in Membership.Role.choices if value in roles]
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        if language in dict(settings.LANGUAGES):
            self.fields["language"].initial = language
