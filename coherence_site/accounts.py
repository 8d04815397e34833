"""Log-in and password reset: Django's views, with input bounds and a throttle they lack."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.core.cache import cache
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from outbox.services import mail_queue

from .http import client_ip

RESET_WINDOW_SECONDS = 3600


class BoundedUsernameMixin:
    """Refuse an over-long username as a form error, before anything authenticates it.

    AuthenticationForm sets the field's max_length but not its validator, so a 300-character
    username reached django-axes, whose record of the failure could not store it (a 500).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class LoginForm(BoundedUsernameMixin, AuthenticationForm):
    """The site's log-in form."""


class AdminLoginForm(BoundedUsernameMixin, AdminAuthenticationForm):
    """The admin's log-in form."""


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, whose mail goes through the outbox.

    Sending it during the request would make a known address answer as slowly as the mail server,
    and an unknown one at once; a row in the outbox costs the same for both.
    """

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        mail_queue(subject=subject, body=body, recipients=[to_email], from_email=from_email or "")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, throttled per client address and per e-mail address.

    Known and unknown addresses get the same page; so does the throttle, which counts requests
    whether or not an account uses the address.
    """

    form_class = PasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        email = request.POST.get("email", "").strip().lower()
        keys = [f"password-reset:ip:{client_ip(request)}"]
        if email:
            keys.append(f"password-reset:email:{hashlib.sha256(email.encode()).hexdigest()}")
        counts = [_count(key) for key in keys]  # every key counts this request, even over the limit
        if max(counts) > settings.PASSWORD_RESET_LIMIT_PER_HOUR:
            response = render(request, "registration/password_reset_throttled.html", status=429)
            response["Retry-After"] = str(RESET_WINDOW_SECONDS)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


def _count(key: str) -> int:
    """Count one more request under key in the current window, and return the count."""
    cache.add(key, 0, timeout=RESET_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, timeout=RESET_WINDOW_SECONDS)
        return 1
