"""A parent authority's roll-up report: asked for by its members, rendered to PDF by the worker like the others.

Calabarzon is the parent of four municipalities, each with a 2025 round: Batangas (validated at level
3 throughout) and Lipa (validated at level 1) share theirs; Tanauan shares a round not validated yet;
Cavite does not share its validated round. The report names the three that share and adds up the two
that are validated; Cavite appears nowhere. Jobs render in-process (Celery eager), as in the other
report tests.
"""

import subprocess
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services as assessment_services
from assessments import slots
from assessments.models import Authority, Round
from reports import services
from reports.models import ReportJob
from reports.rollup import rollup_inputs
from territories import services as territory_services
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory
from tests.world import answer_everything, make_city

pytestmark = pytest.mark.django_db

Kind = ReportJob.Kind


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _round(city, reviewer, level: int, *, validate: bool = True, period: str = "2025") -> Round:
    round = assessment_services.round_create(authority=city.authority, period=period, actor=city.approver)
    answer_everything(round, city.editor, level=level)
    assessment_services.round_submit(round=round, actor=city.approver)
    if validate:
        assessment_services.round_review(
            round=round, actor=reviewer, decisions={}, action=assessment_services.ReviewAction.VALIDATE
        )
    return round


@pytest.fixture
def region(catalogue, reviewer):
    parent = AuthorityFactory(name="Calabarzon", slug="calabarzon", kind=Authority.Kind.REGION, country="Philippines")
    cities = {}
    for slug in ("batangas", "lipa", "tanauan", "cavite"):
        city = make_city(slug)
        city.authority.parent = parent
        city.authority.save(update_fields=["parent"])
        cities[slug] = city
    rounds = {
        "batangas": _round(cities["batangas"], reviewer, 3),
        "lipa": _round(cities["lipa"], reviewer, 1),
        "tanauan": _round(cities["tanauan"], reviewer, 2, validate=False),
        "cavite": _round(cities["cavite"], reviewer, 4),
    }
    for slug in ("batangas", "lipa", "tanauan"):  # Cavite keeps its round to itself
        territory_services.rollup_consent_give(round=rounds[slug], actor=cities[slug].approver)
    member = MembershipFactory(authority=parent, user=UserFactory(username="calabarzon-officer")).user
    return {"parent": parent, "cities": cities, "rounds": rounds, "member": member}


def _ask(client, user, slug="calabarzon", period="2025"):
    client.force_login(user)
    return client.post(reverse("rollup_report", args=[slug]), {"period": period, "language": "en"})


def _pdf_text(job: ReportJob, tmp_path: Path, *options: str) -> str:
    path = tmp_path / f"rollup-{job.pk}.pdf"
    with job.file.open("rb") as handle:
        path.write_bytes(handle.read())
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def rendered(django_capture_on_commit_callbacks):
    """Ask for the roll-up report and let the (eager) worker render it."""

    def request(parent, user, period="2025", language="en") -> ReportJob:
        with django_capture_on_commit_callbacks(execute=True):
            job = services.rollup_report_request(parent=parent, period=period, user=user, language=language)
        job.refresh_from_db()
        return job

    return request


# --- who may ask ---------------------------------------------------------------------------------


def test_a_member_of_the_parent_asks_for_the_report_and_downloads_it(
    client, region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client, region["member"])
    assert response.status_code == 302 and response.url == reverse("rollup_report", args=["calabarzon"])

    job = ReportJob.objects.get(kind=Kind.ROLLUP)
    assert (job.authority, job.period, job.language, job.round, job.status) == (
        region["parent"],
        "2025",
        "en",
        None,
        ReportJob.Status.DONE,
    )
    panel = client.get(reverse("rollup_report", args=["calabarzon"]))
    assert reverse("rollup_report_download", args=["calabarzon", job.pk]).encode() in panel.content
    download = client.get(reverse("rollup_report_download", args=["calabarzon", job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert 'filename="coherence-calabarzon-2025-rollup-en.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_programme_reviewers_may_ask_too(client, region, reviewer):
    assert _ask(client, reviewer).status_code == 302
    assert ReportJob.objects.filter(kind=Kind.ROLLUP, requested_by=reviewer).exists()


@pytest.mark.parametrize("who", ["municipality_approver", "municipality_editor", "stranger"])
def test_a_municipality_member_or_a_stranger_finds_nothing(client, region, rendered, who):
    job = rendered(region["parent"], region["member"])
    user = {
        "municipality_approver": region["cities"]["batangas"].approver,
        "municipality_editor": region["cities"]["lipa"].editor,
        "stranger": UserFactory(),
    }[who]
    client.force_login(user)

    assert _ask(client, user).status_code == 404
    assert client.get(reverse("rollup_report", args=["calabarzon"])).status_code == 404
    assert client.get(reverse("rollup_report_status", args=["calabarzon", job.pk])).status_code == 404
    assert client.get(reverse("rollup_report_download", args=["calabarzon", job.pk])).status_code == 404
    assert ReportJob.objects.filter(kind=Kind.ROLLUP).count() == 1  # theirs asked for nothing


def test_a_job_of_another_parent_is_not_found_under_this_one(client, region, rendered):
    job = rendered(region["parent"], region["member"])
    other = AuthorityFactory(slug="bicol", kind=Authority.Kind.REGION)
    bicol_member = MembershipFactory(authority=other).user
    client.force_login(bicol_member)

    assert client.get(reverse("rollup_report_download", args=["bicol", job.pk])).status_code == 404
    assert client.get(reverse("rollup_report_status", args=["bicol", job.pk])).status_code == 404


def test_a_period_no_municipality_shares_is_refused_and_nothing_is_asked(client, region):
    response = _ask(client, region["member"], period="2019")
    assert response.status_code == 400
    assert b"No municipality shares a round of that period" in response.content
    assert not ReportJob.objects.filter(kind=Kind.ROLLUP).exists()


def test_asking_again_for_unchanged_inputs_returns_the_finished_report(region, rendered):
    first = rendered(region["parent"], region["member"])
    again = rendered(region["parent"], region["member"])
    assert again.pk == first.pk


# --- the report ----------------------------------------------------------------------------------


def test_the_pdf_names_only_the_municipalities_that_share_and_adds_up_the_validated(region, rendered, tmp_path):
    job = rendered(region["parent"], region["member"])
    assert job.status == ReportJob.Status.DONE

    text = " ".join(_pdf_text(job, tmp_path).split())
    assert "Calabarzon · 2025: roll-up of the municipalities" in text
    assert "Batangas" in text and "Lipa" in text and "Tanauan" in text
    assert "Cavite" not in text
    assert "Municipalities of Calabarzon 4" in text
    assert "Sharing their round of 2025 3" in text
    assert "Counted in the roll-up (validated) 2" in text
    assert "Tanauan Not validated yet: not counted" in text
    # Batangas at level 3 (a coordination body and a migration unit), Lipa at level 1 (neither).
    assert "Batangas Validated: counted Yes (level 3) Yes (level 3)" in text
    assert "Lipa Validated: counted No (level 1) No (level 1)" in text
    assert "With a coordination body at level 3 or more (VC-06) 1 of 2" in text
    # Each dimension: two municipalities, one Emerging (25 points), one Advanced (75); the median 50.
    layout = _pdf_text(job, tmp_path, "-layout")
    vc = next(line for line in layout.splitlines() if line.strip().startswith("VC "))
    numbers = [token for token in vc.split() if token.replace(".", "").isdigit()]
    assert numbers[:7] == ["2", "0", "1", "0", "1", "0", "50"]  # municipalities, four bands, no score, median


def test_a_withdrawn_consent_leaves_the_municipality_out_of_the_next_report(region, rendered, tmp_path):
    before = rendered(region["parent"], region["member"])
    lipa = region["cities"]["lipa"]
    territory_services.rollup_consent_withdraw(round=region["rounds"]["lipa"], actor=lipa.approver)

    after = rendered(region["parent"], region["member"])

    assert after.pk != before.pk and after.fingerprint != before.fingerprint
    text = " ".join(_pdf_text(after, tmp_path).split())
    assert "Lipa" not in text and "Batangas" in text
    assert "Counted in the roll-up (validated) 1" in text


def test_the_fingerprint_follows_consent_and_validation(region, reviewer):
    parent = region["parent"]

    def current() -> str:
        return rollup_inputs(parent, "2025", "en")[2]

    start = current()
    assert current() == start  # stable for unchanged inputs
    cavite = region["cities"]["cavite"]
    territory_services.rollup_consent_give(round=region["rounds"]["cavite"], actor=cavite.approver)
    shared = current()
    assessment_services.round_review(
        round=region["rounds"]["tanauan"],
        actor=reviewer,
        decisions={},
        action=assessment_services.ReviewAction.VALIDATE,
    )
    validated = current()

    assert len({start, shared, validated}) == 3
    assert rollup_inputs(parent, "2025", "fr")[2] != validated  # the language is an input too


# --- jobs in the database ------------------------------------------------------------------------


def test_the_database_holds_that_a_rollup_belongs_to_a_parent_and_every_other_document_to_a_round(region):
    round = region["rounds"]["batangas"]
    parent = region["parent"]
    bad = [
        {"kind": Kind.ROLLUP, "authority": parent, "period": ""},
        {"kind": Kind.ROLLUP, "period": "2025"},
        {"kind": Kind.ROLLUP, "authority": parent, "period": "2025", "round": round},
        {"kind": Kind.FULL, "authority": parent, "period": "2025"},
        {"kind": Kind.FULL, "round": round, "authority": parent},
    ]
    for fields in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            ReportJob.objects.create(language="en", fingerprint="x", **fields)
    ReportJob.objects.create(language="en", fingerprint="x", kind=Kind.ROLLUP, authority=parent, period="2025")
    with pytest.raises(IntegrityError), transaction.atomic():  # one in flight per parent, period and language
        ReportJob.objects.create(language="en", fingerprint="y", kind=Kind.ROLLUP, authority=parent, period="2025")


def test_a_rounds_report_panel_does_not_offer_the_rollup(client, region):
    round = region["rounds"]["batangas"]
    approver = region["cities"]["batangas"].approver
    client.force_login(approver)

    panel = client.get(reverse("report_panel", args=[round.pk]))
    assert b'value="rollup"' not in panel.content
    client.post(reverse("report_request", args=[round.pk]), {"kind": "rollup", "language": "en"})
    assert list(ReportJob.objects.values_list("kind", "round_id")) == [(Kind.FULL, round.pk)]


def test_a_rollup_job_is_never_among_a_rounds_jobs(client, region, rendered):
    job = rendered(region["parent"], region["member"])
    client.force_login(region["member"])
    assert client.get(reverse("report_status", args=[job.pk])).status_code == 404
    assert client.get(reverse("report_download", args=[job.pk])).status_code == 404


# --- the roll-up page's slot ---------------------------------------------------------------------


def test_the_rollup_page_slot_offers_the_report_panel(region):
    request = RequestFactory().get("/territories/regions/calabarzon/", {"period": "2025"})
    request.user = region["member"]

    parts = slots.ROLLUP_PAGE.fill(request, region["parent"])

    html = "".join(parts)
    assert reverse("rollup_report", args=["calabarzon"]) + "?period=2025" in html
    assert "Roll-up report" in html


def test_the_panel_reads_the_rollup_once_per_listed_report_however_many_older_jobs(client, region, rendered):
    """The list checks each finished report it shows against the current roll-up (its queries, once per
    period and language, at most LATEST times); older jobs add no query."""
    parent = region["parent"]
    client.force_login(region["member"])
    url = reverse("rollup_report", args=["calabarzon"])
    rendered(parent, region["member"])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(url, headers={"HX-Request": "true"})
    with CaptureQueriesContext(connection) as rollup:
        rollup_inputs(parent, "2025", "en")
    cavite = region["cities"]["cavite"]
    territory_services.rollup_consent_give(round=region["rounds"]["cavite"], actor=cavite.approver)
    rendered(parent, region["member"])  # a newer report of the same period and language
    with CaptureQueriesContext(connection) as newer:
        client.get(url, headers={"HX-Request": "true"})
    for language in ("fr", "es"):
        rendered(parent, region["member"], language=language)
    with CaptureQueriesContext(connection) as three:
        response = client.get(url, headers={"HX-Request": "true"})

    assert ReportJob.objects.filter(kind=Kind.ROLLUP).count() == 4
    assert len(newer) == len(one)
    assert len(three) == len(one) + 2 * len(rollup)
    assert response.content.count(b"rollup-report-job-") == 3


def test_the_regions_rollup_page_carries_the_report_section_for_its_members_only(client, region):
    client.force_login(region["member"])
    page = client.get(reverse("region_rollup", args=["calabarzon"]), {"period": "2025"})
    assert page.status_code == 200
    assert (reverse("rollup_report", args=["calabarzon"]) + "?period=2025").encode() in page.content

    client.force_login(region["cities"]["batangas"].approver)
    assert client.get(reverse("region_rollup", args=["calabarzon"])).status_code == 404
