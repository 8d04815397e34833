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

        from . import demo, panels  # noqa: F401 (panels fills the home page's slot)

        # Before collaboration's demo (80), which shares out the work of every open round: the campaign's too.
        slots.DEMO_DATA.register(demo.seed, order=60)
