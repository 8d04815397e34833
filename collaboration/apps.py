from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    """Working together on a round: who answers what (assignments) and the offline workbook."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "collaboration"
    verbose_name = _("Working together")

    def ready(self):
        # The home page and the round page show assignments and the workbook through assessments.slots;
        # seed_demo adds the demo assignments.
        from assessments import slots

        from . import assignment_panels, demo, export, workbook_panels  # noqa: F401

        slots.DEMO_DATA.register(demo.seed, order=80)
        slots.EXPORT.register(export.collaboration_export, order=40)
