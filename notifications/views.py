"""The person's notifications, the unread count of the navigation, and their choices of mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services, texts
from .forms import MailSettingsForm
from .models import Notification

LIST_PAGE_SIZE = 25


@login_required
def notification_list(request):
    """The person's own notifications, newest first, paginated, in the active language."""
    notifications = Notification.objects.for_user(request.user)
    page = Paginator(notifications.select_related("round__authority", "actor"), LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = [
        {
            "notification": n,
            "headline": texts.headline(n),
            "explanation": texts.explanation(n),
            "quote": texts.quote(n),
        }
        for n in page
    ]
    unread = notifications.unread().count()
    return render(request, "notifications/list.html", {"page": page, "items": items, "unread": unread})


def notification_badge(request):
    """The unread count for the navigation (an HTML fragment, loaded by htmx); empty when none or logged out."""
    count = 0
    if request.user.is_authenticated:
        count = Notification.objects.for_user(request.user).unread().count()
    return render(request, "notifications/_badge.html", {"count": count})


@login_required
def notification_open(request, pk: int):
    """Mark one of the person's notifications read and go to its page."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    Notification.objects.filter(pk=notification.pk).mark_read()
    return redirect(texts.link(notification))


@login_required
@require_POST
def notification_mark_read(request):
    if Notification.objects.for_user(request.user).mark_read():
        messages.success(request, _("All your notifications are marked as read."))
    return redirect("notification_list")


@login_required
def notification_preferences(request):
    """Which events the person is mailed about, kind by kind."""
    form = MailSettingsForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.mail_settings_save(user=request.user, choices=form.cleaned_data)
        messages.success(request, _("Your mail settings are saved."))
        return redirect("notification_preferences")
    return render(request, "notifications/preferences.html", {"form": form})
