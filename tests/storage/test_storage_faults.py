"""Storage refusing a write: the user is told, nothing is half-recorded, nothing they typed is lost, no job hangs.

Real refusals, each from a real server or socket: a bucket that does not exist on the S3 server (NoSuchBucket),
an endpoint where nothing answers (connection refused), and, without a bucket, a MEDIA_ROOT that cannot hold
a folder (the disk's OSError).
"""

import uuid

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Answer, Evidence
from coherence_site.storage import s3_storage
from reports.models import ReportJob
from tests.conftest import wait_until
from tests.processes import free_port
from tests.s3 import CREDENTIALS
from tests.world import answer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REFUSED = "The file could not be stored: the file store is unavailable."


def _missing_bucket(s3_server) -> dict[str, str]:
    return {
        "AWS_STORAGE_BUCKET_NAME": f"coherence-missing-{uuid.uuid4().hex[:12]}",
        "AWS_S3_ENDPOINT_URL": s3_server.endpoint,
        **CREDENTIALS,
    }


def _silent_endpoint(s3_server) -> dict[str, str]:
    return {
        "AWS_STORAGE_BUCKET_NAME": "coherence-unreachable",
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "AWS_S3_TIMEOUT": "2",
        "AWS_S3_MAX_ATTEMPTS": "1",
        **CREDENTIALS,
    }


STORES = {"missing bucket": _missing_bucket, "endpoint that does not answer": _silent_endpoint}


@pytest.fixture(params=[*STORES, "disk that cannot hold the file"])
def refusing_store(request, settings, tmp_path):
    """This process's storage refuses every write, in one of three real ways."""
    if request.param in STORES:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_storage(STORES[request.param](request.getfixturevalue("s3_server"))),
        }
    else:
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where the media folder should be")
        settings.MEDIA_ROOT = blocker
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return request.param


def _upload(client, round, code, *, htmx=True, description="Minutes of the council, 12 March"):
    data = {
        f"{code}-evidence-description": description,
        f"{code}-evidence-file": SimpleUploadedFile("minutes.pdf", PDF),
    }
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("evidence_add", args=[round.pk, code]), data, headers=headers)


@pytest.mark.django_db
def test_an_evidence_upload_the_store_refuses_is_a_form_error_with_no_record_and_the_answer_kept(
    client, draft, quito, refusing_store
):
    typed = answer(draft, "HC-01", quito.editor, level=3, justification="Adopted by the council on 12 March.")
    client.force_login(quito.editor)

    response = _upload(client, draft, "HC-01")

    assert response.status_code == 422  # the evidence list swaps in with the form's error (never a 500)
    page = response.content.decode()
    assert REFUSED in page
    assert 'value="Minutes of the council, 12 March"' in page  # the description typed is still in the form
    assert not Evidence.objects.exists()
    kept = Answer.objects.get(pk=typed.pk)
    assert (kept.level, kept.justification, kept.revision) == (3, "Adopted by the council on 12 March.", typed.revision)


@pytest.mark.django_db
def test_without_javascript_the_refusal_comes_back_as_a_message_and_no_answer_is_made_up(
    client, draft, quito, refusing_store
):
    client.force_login(quito.editor)

    response = _upload(client, draft, "HC-02", htmx=False)

    assert response.status_code == 302
    assert any(REFUSED in str(message) for message in get_messages(response.wsgi_request))
    assert not Evidence.objects.exists()
    assert not Answer.objects.filter(round=draft, indicator__code="HC-02").exists()  # made for the upload, rolled back


@pytest.mark.django_db
def test_a_download_the_store_cannot_give_is_a_503_that_says_so(client, draft, quito, s3, settings):
    client.force_login(quito.editor)
    assert _upload(client, draft, "HC-01").status_code == 200
    evidence = Evidence.objects.get()
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(_silent_endpoint(None))}

    response = client.get(reverse("evidence_download", args=[evidence.pk]))

    assert response.status_code == 503
    assert "The file store is unavailable" in response.content.decode()


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", list(STORES))
def test_a_report_the_worker_cannot_store_fails_clearly_and_does_not_stay_running(
    client, start_worker, s3_server, draft, quito, store
):
    start_worker(**STORES[store](s3_server))
    client.force_login(quito.approver)
    client.post(reverse("report_request", args=[draft.pk]), {"language": "en"})
    job = ReportJob.objects.get()

    job = wait_until(
        lambda: ReportJob.objects.exclude(status__in=ReportJob.IN_FLIGHT).filter(pk=job.pk).first(), 120, "the job"
    )

    assert job.status == ReportJob.Status.FAILED and not job.file
    assert job.error.startswith("The report could not be stored: the file store refused it")
    page = client.get(reverse("report_status", args=[job.pk])).content.decode()
    assert "The report failed." in page and "127.0.0.1" not in page
