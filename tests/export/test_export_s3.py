"""The export copies stored files from the bucket as it copies them from a folder, in chunks."""

from __future__ import annotations

import hashlib

import pytest

from assessments import export
from tests.export.conftest import fill
from tests.export.test_export import download, table

pytestmark = pytest.mark.django_db


def test_files_in_the_bucket_come_into_the_archive_unchanged(client, draft, quito, s3, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    filled = fill(quito, draft, files=3)
    assert not settings.MEDIA_ROOT.exists()  # every file went to the bucket
    in_bucket = s3.checksums()
    monkeypatch.setattr(export, "CHUNK", 64)  # many chunks per file: each is streamed, never read whole

    archive = download(client, quito.approver, quito.authority)

    rows = table(archive, "evidence")
    assert len(rows) == len(filled.evidence) == 3
    for row, item in zip(rows, filled.evidence, strict=True):
        assert hashlib.sha256(archive.read(row["file_in_archive"])).hexdigest() == in_bucket[item.file.name]
    assert archive.read("reports/2025/full-en.pdf") == b"%PDF-1.7 the report"
    assert archive.read(table(archive, "plans/updates")[0]["file_in_archive"]) == b"update bytes"
    assert not settings.MEDIA_ROOT.exists()
