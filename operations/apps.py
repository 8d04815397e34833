from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running the site: backups and restores of the database and the stored files (no models of its own)."""

    name = "operations"
    verbose_name = _("Operations")
