"""The admin shows who was told what, to answer someone who asks why they got (or did not get) a mail."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from assessments.events import Kind
from notifications.models import MailSetting, Notification


def test_an_administrator_finds_a_persons_notifications_and_cannot_invent_one(client, draft, quito):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    Notification.objects.create(user=quito.editor, kind=Kind.RETURNED, round=draft, mail=Notification.Mail.NONE)
    MailSetting.objects.create(user=quito.editor, kind=Kind.RETURNED, delivery=MailSetting.Delivery.OFF)
    client.force_login(admin)

    page = client.get(reverse("admin:notifications_notification_changelist"), {"q": "quito-editor"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == Notification.objects.filter(user=quito.editor).count() >= 1
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
    settings_page = client.get(reverse("admin:notifications_mailsetting_changelist"))
    assert "quito-editor" in settings_page.content.decode()
