from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoriesConfig(AppConfig):
    """Levels and territories: national counterparts, regions and their municipalities, partner territories."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "territories"
    verbose_name = _("Levels and territories")

    def ready(self):
        # The assessment pages, the home page and the API show territories through assessments.slots:
        # the *_panels modules fill the pages, api the answers' counterpart level; seed_demo adds the demo territories.
        from assessments import slots

        from . import api, counterpart_panels, demo, export, partnership_panels, region_panels  # noqa: F401

        slots.DEMO_DATA.register(demo.seed, order=50)  # first: the other apps then find its municipalities
        slots.EXPORT.register(export.territories_export, order=50)
