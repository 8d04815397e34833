from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Telling people what happened to their rounds: an in-app list and mail, in each person's language."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from assessments import events, slots

        from . import demo, services

        events.round_events.connect(services.on_round_events, dispatch_uid="notifications.on_round_events")
        # After every other app's demo (their rounds are opened, submitted, returned): reminders and choices.
        slots.DEMO_DATA.register(demo.seed, order=200)
