"""Stored files go to the bucket when one is configured, and the bucket stays private."""

import base64
import io

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from coherence_site.storage import s3_storage
from reports.context import logo_data_uri
from tests.storage.test_storage_faults import _silent_endpoint


def test_a_file_stored_with_a_bucket_configured_is_an_object_in_it_and_not_on_the_disk(s3, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("evidence/1/plan.pdf", ContentFile(b"%PDF-1.7 plan"))
    assert s3.keys() == [name]
    assert list(tmp_path.iterdir()) == []
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == b"%PDF-1.7 plan"
    # A second file of the same name gets a name of its own: nothing is replaced.
    assert default_storage.save("evidence/1/plan.pdf", ContentFile(b"other")) != name


def test_the_bucket_is_private_an_anonymous_request_is_refused(s3):
    name = default_storage.save("reports/1.pdf", ContentFile(b"%PDF"))
    anonymous = requests.get(f"{s3.endpoint}/{s3.name}/{name}", timeout=5)
    assert anonymous.status_code == 403


pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(out, "PNG")
    return out.getvalue()


def test_a_report_cover_reads_the_logo_from_the_bucket_and_goes_without_it_when_the_store_does_not_answer(
    s3, settings, draft
):
    png = _png()
    draft.authority.logo.save("logo.png", ContentFile(png))
    assert s3.keys() == [draft.authority.logo.name]
    assert logo_data_uri(draft) == f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}"

    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(_silent_endpoint(None))}
    draft.authority.refresh_from_db()
    assert logo_data_uri(draft) == ""  # the report still renders, without the logo
