"""Invitations: a person's account, and a single-use, expiring link mailed in their language to set a password.

``invitation_send(user=..., actor=...)`` (new or again) is what the import and the authority page call.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset tokens, under their own salt and timeout: a used link (password set) or an old one fails."""

    key_salt = "programme.invitations.InvitationTokenGenerator"

    def __init__(self):
        super().__init__()
        self.timeout = getattr(settings, "INVITATION_TIMEOUT", 14 * 24 * 3600)

    def check_token(self, user, token):
        # PasswordResetTokenGenerator reads settings.PASSWORD_RESET_TIMEOUT; an invitation lives longer.
        from django.test.utils import override_settings

        with override_settings(PASSWORD_RESET_TIMEOUT=self.timeout):
            return super().check_token(user, token)


token_generator = InvitationTokenGenerator()
