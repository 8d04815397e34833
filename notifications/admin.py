from django.contrib import admin

from .models import MailSetting, Notification, Reminder


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the application writes; the admin shows them to help someone who asks why they got (no) mail."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "kind", "round", "mail", "read_at"]
    list_filter = ["kind", "mail", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email", "round__authority__name"]
    list_select_related = ["user", "round__authority"]
    date_hierarchy = "created_at"


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "round", "kind", "due_date"]
    list_filter = ["kind"]
    list_select_related = ["round__authority"]


@admin.register(MailSetting)
class MailSettingAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "delivery"]
    list_filter = ["kind", "delivery"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]
