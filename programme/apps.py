from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammeConfig(AppConfig):
    """Running a programme: campaigns that open a round for many authorities at once, and their board."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "programme"
    verbose_name = _("Programme")

    def ready(self):
        # seed_demo adds a demo campaign through assessments.slots.
        from assessments import slots

        from . import demo

        slots.DEMO_DATA.register(demo.seed, order=90)
