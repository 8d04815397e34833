"""Two hosts that share nothing but the bucket: the web side and a real Celery worker with MEDIA_ROOTs of their own.

The editor's evidence file goes up through the web, the worker renders the report and stores it, and both come
back through the permission-checked views, streamed by the web process from the bucket: neither MEDIA_ROOT ever
holds a file, the bucket answers no anonymous request, and no page links to it.
"""

import hashlib
from pathlib import Path

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Evidence
from reports.models import ReportJob
from tests.conftest import wait_until
from tests.world import make_city

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n% the council's minutes\n"


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_web_and_worker_with_different_media_roots_share_only_the_bucket(
    client, start_worker, s3, settings, tmp_path, draft, quito
):
    web_media, worker_media = tmp_path / "web-media", tmp_path / "worker-media"
    web_media.mkdir()
    worker_media.mkdir()
    start_worker(MEDIA_ROOT=str(worker_media), **s3.env)
    settings.MEDIA_ROOT = web_media  # after start_worker, which points this process at its own tmp_path

    # The editor uploads an evidence file through the web.
    client.force_login(quito.editor)
    page = client.post(
        reverse("evidence_add", args=[draft.pk, "HC-01"]),
        {"HC-01-evidence-description": "Minutes", "HC-01-evidence-file": SimpleUploadedFile("minutes.pdf", PDF)},
        headers={"HX-Request": "true"},
    )
    assert page.status_code == 200
    evidence = Evidence.objects.get()
    html = page.content.decode()
    assert reverse("evidence_download", args=[evidence.pk]) in html
    assert s3.endpoint not in html and s3.name not in html and "X-Amz" not in html  # no link to the bucket

    # The approver asks for the report; the worker, on another MEDIA_ROOT, renders it and stores it.
    client.force_login(quito.approver)
    client.post(reverse("report_request", args=[draft.pk]), {"language": "en"})
    job = ReportJob.objects.get()
    job = wait_until(
        lambda: ReportJob.objects.exclude(status__in=ReportJob.IN_FLIGHT).filter(pk=job.pk).first(), 120, "the report"
    )
    assert job.status == ReportJob.Status.DONE, (job.get_failure_display(), job.error)

    # Both are objects in the bucket, and nowhere else.
    checksums = s3.checksums()
    assert set(checksums) == {evidence.file.name, job.file.name}
    assert _files(web_media) == [] and _files(worker_media) == []

    # Both come back through the permission-checked views, streamed by the web process, with the right bytes.
    evidence_download = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert evidence_download.status_code == 200
    assert evidence_download["Content-Disposition"].startswith('attachment; filename="minutes.pdf"')
    assert _body(evidence_download) == PDF
    report_download = client.get(reverse("report_download", args=[job.pk]))
    assert report_download.status_code == 200 and report_download["Content-Type"] == "application/pdf"
    report = _body(report_download)
    assert report.startswith(b"%PDF-") and hashlib.sha256(report).hexdigest() == checksums[job.file.name]
    assert "Location" not in report_download  # streamed, not redirected to the bucket
    assert _files(web_media) == [] and _files(worker_media) == []

    # Another city's people get nothing; nor does an anonymous request straight to the bucket.
    lima = make_city("lima")
    for outsider in (lima.approver, lima.editor):
        client.force_login(outsider)
        assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code in (403, 404)
        assert client.get(reverse("report_download", args=[job.pk])).status_code in (403, 404)
    client.logout()
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code in (302, 403, 404)
    for key in checksums:
        assert requests.get(f"{s3.endpoint}/{s3.name}/{key}", timeout=5).status_code == 403
