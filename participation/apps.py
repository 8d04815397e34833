from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    """Stakeholder participation: who was consulted on a round, and what stakeholders think of it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "participation"
    verbose_name = _("Stakeholder participation")

    def ready(self):
        # The assessment pages and API show participation through their slots (assessments.slots):
        # evidence counts consultations, panels fill the pages, api the round detail and each answer.
        from assessments import slots

        from . import api, demo, evidence, export, panels, survey_panels  # noqa: F401

        slots.OTHER_EVIDENCE.register(evidence.consulted_indicators)
        slots.DEMO_DATA.register(demo.seed)
        slots.EXPORT.register(export.participation_export, order=30)
