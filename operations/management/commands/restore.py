from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive of `manage.py backup` into an empty database and an empty file storage, "
        "then check row counts and file checksums against its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar.gz archive written by `manage.py backup`")

    def handle(self, *args, archive, **options):
        try:
            summary = backup_restore(archive=Path(archive), log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {summary.created_at}: {summary.rows} rows in {summary.tables} tables, "
                f"{summary.files} files ({summary.bytes} bytes); row counts and checksums match the manifest."
            )
        )
