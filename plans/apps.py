from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    """Improvement plans: the actions an authority takes on its gaps, followed up from round to round."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "plans"
    verbose_name = _("Improvement plans")

    def ready(self):
        # The assessment pages and API show plans through their slots (assessments.slots), filled here:
        # panels fills the pages, api the round detail's "actions"; seed_demo adds the demo plans.
        from assessments import slots

        from . import api, demo, export, panels  # noqa: F401

        slots.DEMO_DATA.register(demo.seed)
        slots.EXPORT.register(export.plan_export, order=20)
