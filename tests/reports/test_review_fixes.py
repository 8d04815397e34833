"""Two fixes from review: what a report file may still show once its inputs or its audience change.

1. A finished roll-up report names the municipalities that shared their round when it was made: once
   one withdraws its consent, the old file is out of date, leaves the panel's list and its download
   is a 410 that says so (``reports.rollup_views``).
2. A published round's public documents (``reports.services.public_report``, asked for by no one)
   leave out the "National or regional counterpart": the counterpart never agreed to publish its
   levels. The members' report keeps the section, and the two never share a file.
"""

import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from assessments import services as assessment_services
from assessments.models import Round
from reports import services
from reports.context import fingerprint, report_facts
from reports.models import ReportJob
from territories import services as territory_services
from tests.reports import test_rollup_report as rollup_tests
from tests.reports.test_counterpart_section import _answer, _invite, _loaded, _submit

pytestmark = pytest.mark.django_db

# The roll-up tests' fixtures: Calabarzon and its four municipalities, the eager render, media in tmp_path.
region, rendered, _media = rollup_tests.region, rollup_tests.rendered, rollup_tests._media


def _pdf_text(job: ReportJob, tmp_path: Path) -> str:
    path = tmp_path / f"job-{job.pk}.pdf"
    with job.file.open("rb") as handle:
        path.write_bytes(handle.read())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


# --- 1. a roll-up report made before a consent was withdrawn -------------------------------------------


def test_a_rollup_report_made_before_a_consent_is_withdrawn_is_no_longer_listed_nor_served(client, region, rendered):
    parent, member = region["parent"], region["member"]
    old = rendered(parent, member)
    assert old.status == ReportJob.Status.DONE
    client.force_login(member)
    panel_url = reverse("rollup_report", args=["calabarzon"])
    old_download = reverse("rollup_report_download", args=["calabarzon", old.pk])
    assert old_download.encode() in client.get(panel_url).content
    assert client.get(old_download).status_code == 200

    lipa = region["cities"]["lipa"]
    territory_services.rollup_consent_withdraw(round=region["rounds"]["lipa"], actor=lipa.approver)

    response = client.get(old_download)
    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/html")  # a page that explains, never Lipa's old file
    assert b"This roll-up report is out of date" in response.content
    assert f"{panel_url}?period=2025".encode() in response.content  # where to ask again
    for headers in ({}, {"HX-Request": "true"}):  # the page of its own and the roll-up page's fragment
        listing = client.get(panel_url, headers=headers).content
        assert f"rollup-report-job-{old.pk}".encode() not in listing
        assert old_download.encode() not in listing

    # Asked again, the current report is listed and served; the old one stays out.
    new = rendered(parent, member)
    assert new.pk != old.pk and new.status == ReportJob.Status.DONE
    listing = client.get(panel_url).content
    assert reverse("rollup_report_download", args=["calabarzon", new.pk]).encode() in listing
    assert old_download.encode() not in listing
    assert client.get(reverse("rollup_report_download", args=["calabarzon", new.pk])).status_code == 200
    assert client.get(old_download).status_code == 410


def test_a_consent_given_again_makes_the_same_report_current_again(client, region, rendered):
    """The check compares inputs, not dates: the same municipalities sharing again make the old file right."""
    old = rendered(region["parent"], region["member"])
    lipa, round = region["cities"]["lipa"], region["rounds"]["lipa"]
    territory_services.rollup_consent_withdraw(round=round, actor=lipa.approver)
    client.force_login(region["member"])
    download = reverse("rollup_report_download", args=["calabarzon", old.pk])
    assert client.get(download).status_code == 410

    territory_services.rollup_consent_give(round=round, actor=lipa.approver)

    assert client.get(download).status_code == 200


# --- 2. the public documents leave the counterpart out -----------------------------------------------


@pytest.fixture
def published(submitted, quito, reviewer) -> Round:
    """Quito's round, compared with its national counterpart (both submitted), validated and published."""
    counterpart = _invite(submitted, quito)
    _answer(counterpart)
    _submit(counterpart)
    assessment_services.round_review(
        round=submitted, actor=reviewer, decisions={}, action=assessment_services.ReviewAction.VALIDATE
    )
    submitted.refresh_from_db()
    round = assessment_services.round_set_consent(round=submitted, actor=quito.approver, consent=True)
    assert round.is_published
    return _loaded(round)


def test_the_public_html_has_no_counterpart_section_the_members_has(published):
    private, private_fingerprint = services.render_report_html(published, "en", charts="figures")
    public, public_fingerprint = services.render_report_html(published, "en", charts="figures", public=True)

    assert '<section class="counterpart"' in private and "Vice-Ministry of Human Mobility" in private
    assert '<section class="counterpart"' not in public
    assert "Vice-Ministry of Human Mobility" not in public and "National or regional counterpart" not in public
    assert public_fingerprint != private_fingerprint
    # The rest of the report is the same: the section is all that is left out.
    assert re.sub(r'<section class="counterpart".*?</section>', "", private, flags=re.DOTALL).count("<section") == (
        public.count("<section")
    )


def test_the_public_facts_leave_the_counterpart_out_and_say_they_are_public(published, quito):
    public = report_facts(published, public=True)
    private = report_facts(published)
    assert (public["public"], public["counterpart"]) == (True, None)
    assert private["public"] is False and private["counterpart"]["organisation"] == "Vice-Ministry of Human Mobility"
    assert fingerprint(public, "en") != fingerprint(private, "en")


def test_the_published_pdf_leaves_the_counterpart_out_and_the_members_keeps_it(
    published, quito, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member = services.report_request(round=published, user=quito.editor, language="en")
    member.refresh_from_db()
    assert member.status == ReportJob.Status.DONE

    with django_capture_on_commit_callbacks(execute=True):
        public = services.public_report(published, kind=ReportJob.Kind.FULL, language="en")
    public.refresh_from_db()

    assert public.pk != member.pk  # the member's file is never served to the public, nor the other way
    assert public.status == ReportJob.Status.DONE and public.requested_by is None
    assert public.fingerprint != member.fingerprint
    member_text, public_text = _pdf_text(member, tmp_path), _pdf_text(public, tmp_path)
    assert "National or regional counterpart" in member_text and "Vice-Ministry of Human Mobility" in member_text
    assert "National or regional counterpart" not in public_text
    assert "Vice-Ministry of Human Mobility" not in public_text
    # Asking again, each audience gets its own finished file.
    assert services.public_report(published, kind=ReportJob.Kind.FULL, language="en").pk == public.pk
    assert services.report_request(round=published, user=quito.approver, language="en").pk == member.pk
