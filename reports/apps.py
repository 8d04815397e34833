from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        from assessments import slots

        from .export import reports_export
        from .panels import round_page_section
        from .rollup_panels import rollup_page_section

        slots.ROUND_PAGE.register(round_page_section, order=90)
        slots.ROLLUP_PAGE.register(rollup_page_section, order=90)
        slots.EXPORT.register(reports_export, order=90)
