"""`manage.py backup` and `manage.py restore`, run as real processes against PostgreSQL, a bucket and a folder."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from assessments import services
from indicators.models import Indicator
from tests.operations.conftest import database_url
from tests.processes import manage
from tests.s3 import S3Bucket
from tests.world import answer_everything

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BIG = os.urandom(3 * 1024 * 1024 + 17)  # larger than the 1 MB chunks the archive is written in


def _env(database: str, **extra: str) -> dict[str, str]:
    """The environment of a manage.py process on ``database``, storing in MEDIA_ROOT unless AWS_* are given."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return {**env, "DATABASE_URL": database, "DEBUG": "1", **extra}


def _test_database() -> str:
    return database_url(connection.settings_dict["NAME"])


def _attempt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run manage.py, which may fail; return what it did."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
        return counts


def _folder_checksums(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _a_city_at_work(quito, reviewer) -> None:
    """Two rounds of Quito, answered, one validated, with evidence files and a large stored file."""
    draft = services.round_create(authority=quito.authority, period="2025", actor=quito.approver)
    for code in ["HC-01", "HC-02"]:
        indicator = Indicator.objects.get(version=draft.version, code=code)
        services.evidence_add(
            round=draft,
            indicator=indicator,
            actor=quito.editor,
            description=f"Minutes for {code}",
            file=SimpleUploadedFile(f"{code}.pdf", PDF, content_type="application/pdf"),
        )
    answer_everything(draft, quito.editor)
    services.round_submit(round=draft, actor=quito.approver)
    services.round_review(round=draft, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)
    services.round_create(authority=quito.authority, period="2027", actor=quito.approver)
    default_storage.save("reports/archive/big.bin", ContentFile(BIG))


def _backup(env: dict[str, str], output: Path) -> Path:
    printed = manage(env, "backup", "--output", str(output))
    (archive,) = output.glob("coherence-backup-*.tar.gz")
    assert f"Backup written: {archive}" in printed
    return archive


def test_a_backup_of_postgresql_and_a_bucket_restores_into_an_empty_database_and_bucket_unchanged(
    quito, reviewer, s3, s3_server, scratch_database, tmp_path
):
    _a_city_at_work(quito, reviewer)
    rows = _row_counts()
    files = s3.checksums()
    assert rows["assessments_answer"] >= 36
    assert rows["assessments_evidence"] >= 38
    assert len(files) == 3

    archive = _backup(_env(_test_database(), **s3.env), tmp_path / "backups")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"]["tables"] == rows
    assert {name: entry["sha256"] for name, entry in manifest["files"].items()} == files
    assert "0001_initial" in manifest["database"]["migrations"]["assessments"]

    empty = S3Bucket.fresh(s3_server.endpoint)
    printed = manage(_env(scratch_database.url, **empty.env), "restore", str(archive))

    assert scratch_database.row_counts() == rows
    assert empty.checksums() == files
    assert f"{sum(rows.values())} rows in {len(rows)} tables, 3 files" in printed


def test_a_backup_of_a_media_folder_restores_into_a_migrated_empty_database_and_an_empty_folder(
    quito, reviewer, scratch_database, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    _a_city_at_work(quito, reviewer)
    rows = _row_counts()
    files = _folder_checksums(tmp_path / "media")
    assert len(files) == 3
    archive = _backup(_env(_test_database(), MEDIA_ROOT=str(tmp_path / "media")), tmp_path / "backups")

    # What the Docker web container does on start: the restore takes a database that `migrate` made, without data.
    restored = _env(scratch_database.url, MEDIA_ROOT=str(tmp_path / "restored"))
    manage(restored, "migrate", "--noinput", "-v0")
    manage(restored, "restore", str(archive))

    assert scratch_database.row_counts() == rows
    assert _folder_checksums(tmp_path / "restored") == files
    assert "No migrations to apply" in manage(restored, "migrate", "--noinput")


def _corrupt(archive: Path, directory: Path) -> dict[str, Path]:
    """Damaged copies of ``archive``, by what is wrong with them."""
    data = archive.read_bytes()
    directory.mkdir()
    truncated = directory / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    flipped = directory / "flipped.tar.gz"
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    foreign = directory / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"notes"))
    text = directory / "text.tar.gz"
    text.write_text("not an archive\n")
    return {"truncated": truncated, "flipped": flipped, "foreign": foreign, "text": text}


def _with_manifest(archive: Path, path: Path, change) -> Path:
    """A copy of ``archive`` whose manifest ``change`` edited (its members unchanged)."""
    with tarfile.open(archive) as source, tarfile.open(path, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return path


def test_a_restore_refuses_a_database_with_data_a_storage_with_files_and_a_damaged_archive_changing_nothing(
    quito, scratch_database, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    default_storage.save("evidence/1/minutes.pdf", ContentFile(PDF))
    archive = _backup(_env(_test_database(), MEDIA_ROOT=str(tmp_path / "media")), tmp_path / "backups")
    rows = _row_counts()
    empty_folder = tmp_path / "empty"

    # Into a database that holds data (the test database itself): refused, nothing changed.
    into_data = _attempt(_env(_test_database(), MEDIA_ROOT=str(empty_folder)), "restore", str(archive))
    assert into_data.returncode == 1
    assert "CommandError: The database holds data" in into_data.stderr
    assert "Traceback" not in into_data.stderr
    assert _row_counts() == rows
    assert not empty_folder.exists() or _folder_checksums(empty_folder) == {}

    # Into an empty database but a storage that holds a file: refused, the database left without tables.
    (tmp_path / "full" / "old").mkdir(parents=True)
    (tmp_path / "full" / "old" / "file.txt").write_text("kept")
    into_files = _attempt(_env(scratch_database.url, MEDIA_ROOT=str(tmp_path / "full")), "restore", str(archive))
    assert into_files.returncode == 1
    assert "CommandError: The file storage is not empty (it holds old/file.txt)" in into_files.stderr
    assert scratch_database.row_counts() == {}
    assert _folder_checksums(tmp_path / "full") == {"old/file.txt": hashlib.sha256(b"kept").hexdigest()}

    # A damaged or foreign archive: a clear error, no traceback, nothing written.
    unreadable = "is not a readable Coherence backup (truncated or corrupt?)"
    expected = {
        "truncated": [unreadable],
        # Where the flipped byte lands decides whether the gzip stream breaks or a member's checksum differs.
        "flipped": [unreadable, "does not match its manifest"],
        "foreign": ["is not a Coherence backup: it holds no manifest.json"],
        "text": [unreadable],
    }
    for kind, damaged in _corrupt(archive, tmp_path / "damaged").items():
        done = _attempt(_env(scratch_database.url, MEDIA_ROOT=str(empty_folder)), "restore", str(damaged))
        assert (done.returncode, "Traceback" in done.stderr) == (1, False), f"{kind}: {done.stderr}"
        assert any(message in done.stderr for message in expected[kind]), f"{kind}: {done.stderr}"
        assert scratch_database.row_counts() == {}, kind
        assert not empty_folder.exists() or _folder_checksums(empty_folder) == {}, kind

    # An archive whose members are sound but whose manifest promised other rows: restored, checked, failed loudly.
    lying = _with_manifest(
        archive, tmp_path / "lying.tar.gz", lambda manifest: manifest["database"]["tables"].update(auth_user=999)
    )
    done = _attempt(_env(scratch_database.url, MEDIA_ROOT=str(empty_folder)), "restore", str(lying))
    assert done.returncode == 1
    assert (
        f"The restore does not match the backup:\n  table auth_user: {rows['auth_user']} rows, the backup had 999"
        in (done.stderr)
    )


pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]
