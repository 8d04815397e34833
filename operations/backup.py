"""Backups and restores: one dated archive holding the database dump, every stored file and a manifest.

The archive is a gzipped tar: ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3``
(the embedded mode, a consistent copy made by SQLite's backup API), ``files/<name>`` for every file of the default
storage (the MEDIA_ROOT folder or the S3 bucket alike, walked with ``listdir``), and ``manifest.json`` last, with the
migration state, the row count of every table and the size and SHA-256 of every member. Files are streamed one at a
time through a small buffer; none is held whole in memory. The row counts are taken in the very snapshot that
pg_dump dumps (``--snapshot``), so a site in use still gives a manifest that matches its dump.

A restore reads the archive twice, in order: first to check every member against the manifest (a truncated,
corrupt or foreign archive is refused before anything changes), then to load the dump and upload the files; it
then counts the rows and reads every file back, and fails loudly on any difference.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.utils import timezone

FORMAT = "coherence-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
POSTGRES_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
CHUNK = 1024 * 1024
# S3Storage.open downloads an object into a SpooledTemporaryFile that by default never spills to disk: a backup
# caps it so that a large file goes to a temporary file instead of memory.
S3_MAX_MEMORY_SIZE = 8 * CHUNK
# Rows that `migrate` writes by itself into a new database: a database holding only these holds no data, and
# is what a restore accepts besides a database without tables (docker/entrypoint.sh migrates on start).
FILLED_BY_MIGRATE = frozenset({"django_migrations", "django_content_type", "auth_permission"})


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreSummary:
    tables: int
    rows: int
    files: int
    bytes: int
    created_at: str


# --- the default storage, walked and streamed ------------------------------------------------------------------


def _storage() -> Storage:
    """The default storage; for S3, one whose downloads spill to disk above a few MB."""
    config = settings.STORAGES["default"]
    if config["BACKEND"].endswith("S3Storage"):
        options = {"max_memory_size": S3_MAX_MEMORY_SIZE, **config.get("OPTIONS", {})}
        return storages.create_storage({**config, "OPTIONS": options})
    return storages["default"]


def stored_names(storage: Storage, directory: str = "") -> Iterator[str]:
    """Every file name in ``storage``, walking its folders (a local folder and a bucket alike)."""
    try:
        folders, files = storage.listdir(directory)
    except FileNotFoundError:  # FileSystemStorage before its MEDIA_ROOT exists
        return
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for folder in sorted(folders):
        yield from stored_names(storage, f"{directory}/{folder}" if directory else folder)


class _HashingReader(io.RawIOBase):
    """Read through ``source``, keeping the SHA-256 and the size of what was read."""

    def __init__(self, source: IO[bytes]):
        self.source = source
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _digest(stream: IO[bytes]) -> tuple[str, int]:
    reader = _HashingReader(stream)
    while reader.read(CHUNK):
        pass
    return reader.sha256.hexdigest(), reader.size


# --- the database -----------------------------------------------------------------------------------------------


def _quoted(table: str) -> str:
    return connection.ops.quote_name(table)


def _row_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quoted(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _migrations(cursor) -> dict[str, list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, id")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _libpq_env() -> dict[str, str]:
    """The environment that points pg_dump, pg_restore and psql at Django's database."""
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for variable, key in [("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")]:
        if db.get(key):
            env[variable] = str(db[key])
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return env


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client (Debian: postgresql-client).")
    return path


def _run(command: list[str]) -> None:
    done = subprocess.run(command, env=_libpq_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({done.returncode}):\n{done.stderr.strip()}")


def _dump_postgresql(path: Path) -> dict[str, Any]:
    """Dump the database into ``path``; the migration state and row counts of the same snapshot."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            [
                _program("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={path}",
            ]
        )
        tables = connection.introspection.table_names(cursor)
        return {"migrations": _migrations(cursor), "tables": _row_counts(cursor, tables)}


def _sqlite_tables(database: sqlite3.Connection) -> list[str]:
    rows = database.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return [name for (name,) in rows]


def _copy_sqlite(path: Path) -> dict[str, Any]:
    """Copy the SQLite database into ``path`` (the backup API: consistent while others write)."""
    source = sqlite3.connect(connection.settings_dict["NAME"])
    copy = sqlite3.connect(path)
    try:
        source.backup(copy)
        cursor = copy.cursor()
        counts = {}
        for table in sorted(_sqlite_tables(copy)):
            counts[table] = cursor.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        return {"migrations": _migrations(cursor), "tables": counts}
    finally:
        copy.close()
        source.close()


# --- backup ---------------------------------------------------------------------------------------------------


def _add(archive: tarfile.TarFile, name: str, stream: IO[bytes], size: int, mtime: float) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    reader = _HashingReader(stream)
    archive.addfile(info, io.BufferedReader(reader, CHUNK))
    if reader.size != size:
        raise BackupError(f"{name} changed while it was read ({size} bytes expected, {reader.size} read).")
    return {"size": size, "sha256": reader.sha256.hexdigest()}


def backup_create(*, output: Path, log: Callable[[str], None] = lambda message: None) -> Path:
    """Write one dated archive of the database and every stored file into ``output``; return its path."""
    if "django_migrations" not in connection.introspection.table_names():
        raise BackupError("The database has no tables yet: run `manage.py migrate` first; there is nothing to back up.")
    output.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    target = output / f"coherence-backup-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    if target.exists():
        raise BackupError(f"{target} exists already; wait a second and try again.")
    partial = target.with_name(f".{target.name}.partial")
    storage = _storage()
    mtime = now.timestamp()
    try:
        with tempfile.TemporaryDirectory(prefix="coherence-backup-") as scratch, tarfile.open(partial, "w:gz") as tar:
            if connection.vendor == "postgresql":
                member, dump = POSTGRES_DUMP, Path(scratch) / POSTGRES_DUMP
                database = _dump_postgresql(dump)
            elif connection.vendor == "sqlite":
                member, dump = SQLITE_COPY, Path(scratch) / SQLITE_COPY
                database = _copy_sqlite(dump)
            else:
                raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
            with dump.open("rb") as stream:
                database["member"] = member
                database["vendor"] = connection.vendor
                database.update(_add(tar, member, stream, dump.stat().st_size, mtime))
            log(f"Database: {sum(database['tables'].values())} rows in {len(database['tables'])} tables.")
            dump.unlink()

            files = {}
            for name in stored_names(storage):
                with storage.open(name, "rb") as stream:
                    files[name] = _add(tar, FILES + name, stream, storage.size(name), mtime)
            log(f"Files: {len(files)} ({sum(entry['size'] for entry in files.values())} bytes).")

            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": now.isoformat(),
                "database": database,
                "files": files,
            }
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            _add(tar, MANIFEST, io.BytesIO(data), len(data), mtime)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


# --- restore --------------------------------------------------------------------------------------------------

# What reading a damaged gzipped tar raises: a truncated stream, a bad header, a bad checksum.
ARCHIVE_ERRORS = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


def _members(path: Path) -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
    """The archive's members in order, read as a stream (no seeking back into the gzip)."""
    with tarfile.open(path, "r|gz") as tar:
        for member in tar:
            yield member, tar.extractfile(member) if member.isfile() else None


def _unreadable(path: Path, error: BaseException) -> BackupError:
    return BackupError(f"{path} is not a readable Coherence backup (truncated or corrupt?): {error}")


def archive_check(path: Path) -> dict[str, Any]:
    """Read the whole archive; return its manifest if every member is there and matches it, or raise."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    seen: dict[str, tuple[str, int]] = {}
    manifest_data = None
    try:
        for member, stream in _members(path):
            if stream is None:
                raise BackupError(
                    f"{path} is not a Coherence backup: it holds {member.name!r}, which a backup never holds."
                )
            if member.name == MANIFEST:
                manifest_data = stream.read(16 * CHUNK)
            else:
                seen[member.name] = _digest(stream)
    except (*ARCHIVE_ERRORS, OSError) as error:  # only the archive is read here
        raise _unreadable(path, error) from error
    if manifest_data is None:
        raise BackupError(f"{path} is not a Coherence backup: it holds no {MANIFEST}.")
    try:
        manifest = json.loads(manifest_data)
    except ValueError as error:
        raise BackupError(f"{path}: its {MANIFEST} is not valid JSON ({error}).") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Coherence backup: its {MANIFEST} is of another kind.")
    if manifest.get("version") != VERSION:
        raise BackupError(f"{path} is a backup of version {manifest.get('version')}; this site reads {VERSION}.")
    expected = {manifest["database"]["member"]: manifest["database"]}
    expected.update({FILES + name: entry for name, entry in manifest["files"].items()})
    problems = [f"missing: {name}" for name in sorted(expected.keys() - seen.keys())]
    problems += [f"not in the manifest: {name}" for name in sorted(seen.keys() - expected.keys())]
    problems += [
        f"differs from the manifest: {name}"
        for name in sorted(expected.keys() & seen.keys())
        if seen[name] != (expected[name]["sha256"], expected[name]["size"])
    ]
    if problems:
        raise BackupError(f"{path} does not match its manifest:\n  " + "\n  ".join(problems))
    return manifest


def _current_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return _row_counts(cursor, connection.introspection.table_names(cursor))


def _ensure_empty(storage: Storage) -> list[str]:
    """Raise unless the database holds no data and the storage no file; return the tables to drop."""
    counts = _current_counts()
    holding = sorted(table for table, rows in counts.items() if rows and table not in FILLED_BY_MIGRATE)
    if holding:
        shown = ", ".join(f"{table} ({counts[table]} rows)" for table in holding[:5])
        raise BackupError(
            f"The database holds data ({shown}{', …' if len(holding) > 5 else ''}): a restore goes only into an "
            "empty database. Restore into a new database, or drop and create this one first."
        )
    for name in stored_names(_storage()):
        raise BackupError(
            f"The file storage is not empty (it holds {name}): a restore goes only into an empty storage. "
            "Use a new bucket or an empty MEDIA_ROOT."
        )
    return sorted(counts)


def _restore_postgresql(stream: IO[bytes], tables: list[str], scratch: Path) -> None:
    dump = scratch / POSTGRES_DUMP
    with dump.open("wb") as out:
        shutil.copyfileobj(stream, out, CHUNK)
    if tables:  # what `migrate` made in an otherwise empty database: the dump brings its own
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS " + ", ".join(_quoted(table) for table in tables) + " CASCADE")
    connection.close()
    _run(
        [
            _program("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ]
    )
    dump.unlink()


def _restore_sqlite(stream: IO[bytes], scratch: Path) -> None:
    copy = scratch / SQLITE_COPY
    with copy.open("wb") as out:
        shutil.copyfileobj(stream, out, CHUNK)
    connection.close()
    source = sqlite3.connect(copy)
    target = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        source.backup(target)  # replaces the whole target database, in one step
    finally:
        target.close()
        source.close()


def _upload(storage: Storage, name: str, stream: IO[bytes]) -> None:
    with tempfile.SpooledTemporaryFile(max_size=S3_MAX_MEMORY_SIZE) as spool:
        shutil.copyfileobj(stream, spool, CHUNK)
        spool.seek(0)
        saved = storage.save(name, File(spool, name=name))
    if saved != name:
        raise BackupError(f"The storage saved {name} as {saved}.")


def _verify(manifest: dict[str, Any], storage: Storage) -> list[str]:
    counts = _current_counts()
    problems = [
        f"table {table}: {counts.get(table, 'missing')} rows, the backup had {rows}"
        for table, rows in sorted(manifest["database"]["tables"].items())
        if counts.get(table) != rows
    ]
    for name, entry in sorted(manifest["files"].items()):
        try:
            with storage.open(name, "rb") as stream:
                found = _digest(stream)
        except FileNotFoundError:
            problems.append(f"file {name}: missing")
            continue
        if found != (entry["sha256"], entry["size"]):
            problems.append(f"file {name}: {found[1]} bytes, SHA-256 {found[0]}, the backup had {entry['size']}")
    return problems


def backup_restore(*, archive: Path, log: Callable[[str], None] = lambda message: None) -> RestoreSummary:
    """Restore ``archive`` into the empty database and storage, then check both against its manifest."""
    manifest = archive_check(archive)
    log(f"Archive checked: backup of {manifest['created_at']}, {len(manifest['files'])} files.")
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"This is a {vendor} backup; the site's database is {connection.vendor}.")
    storage = _storage()
    tables = _ensure_empty(storage)
    try:
        with tempfile.TemporaryDirectory(prefix="coherence-restore-") as scratch:
            for member, stream in _members(archive):
                if member.name == manifest["database"]["member"]:
                    if vendor == "postgresql":
                        _restore_postgresql(stream, tables, Path(scratch))
                    else:
                        _restore_sqlite(stream, Path(scratch))
                    log("Database restored.")
                elif member.name.startswith(FILES):
                    _upload(storage, member.name.removeprefix(FILES), stream)
    except ARCHIVE_ERRORS as error:  # the archive changed since it was checked
        raise _unreadable(archive, error) from error
    log(f"Files uploaded: {len(manifest['files'])}.")
    problems = _verify(manifest, storage)
    if problems:
        raise BackupError("The restore does not match the backup:\n  " + "\n  ".join(problems))
    counts = manifest["database"]["tables"]
    return RestoreSummary(
        tables=len(counts),
        rows=sum(counts.values()),
        files=len(manifest["files"]),
        bytes=sum(entry["size"] for entry in manifest["files"].values()),
        created_at=manifest["created_at"],
    )
