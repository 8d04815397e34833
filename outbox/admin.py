from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Mail


@admin.register(Mail)
class MailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "subject", "sent_at", "attempts", "next_attempt_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Mail._meta.fields]
    actions = ["send_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send the selected unsent mails now"))
    def send_now(self, request, queryset) -> None:
        if services.mail_send(ids=queryset.unsent().values_list("pk", flat=True)):
            self.message_user(request, _("The unsent mails among those selected were sent."), messages.SUCCESS)
        else:
            self.message_user(request, _("The mail server refused a mail; see its last error."), messages.ERROR)
