from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Write one dated archive of the database (PostgreSQL dump or SQLite copy) and every stored file."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="var/backups", help="folder for the archive (default: var/backups)")

    def handle(self, *args, output, **options):
        try:
            archive = backup_create(output=Path(output), log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written: {archive}"))
