"""Load a catalogue document and publish it, unless that version is already there."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from indicators import services
from indicators.exchange import CatalogueImportError
from indicators.models import CatalogueVersion

DEFAULT = Path(settings.BASE_DIR) / "fixtures" / "catalogue_v1.json"


class Command(BaseCommand):
    help = "Import a catalogue version (JSON exchange format) and publish it. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT))
        parser.add_argument("--draft", action="store_true", help="Leave the imported version as a draft.")

    def handle(self, path, draft, verbosity, **options):
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        existing = CatalogueVersion.objects.filter(
            framework__slug=document["framework"]["slug"], number=document["version"]["number"]
        ).first()
        if existing:
            if verbosity:
                self.stdout.write(f"Catalogue {existing} is already loaded.")
            return
        try:
            version = services.catalogue_import(document=document)
        except CatalogueImportError as exc:
            raise CommandError("\n".join(str(p) for p in exc.problems)) from exc
        if not draft:
            version = services.version_publish(version=version)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Loaded catalogue {version}."))
