"""Public city profiles: a page per authority with a round published with consent, and nothing of any other round."""

import io
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from assessments import services
from assessments.models import Authority, Round, ScoreSnapshot, SnapshotDimension
from plans.models import Action, ActionIndicator, Plan
from reports.context import report_facts
from reports.models import ReportJob
from reports.summary import summary_inputs
from tests.factories import AuthorityFactory, UserFactory

pytestmark = pytest.mark.django_db
CODES = ["HC", "VC", "SP", "IN", "DE", "DC"]


def scored_round(authority, version, period, score, *, status=Round.Status.VALIDATED, published=True, band="emerging"):
    """A round with frozen scores (every dimension at ``score``), made directly; only a validated one may be published."""
    validated = status == Round.Status.VALIDATED
    round = Round.objects.create(
        authority=authority,
        version=version,
        period=period,
        status=status,
        validated_at=timezone.now() if validated else None,
        publication_consent=published and validated,
    )
    snapshot = ScoreSnapshot.objects.create(
        round=round,
        version=version,
        weights={},
        data={},
        self_headline=score,
        validated_headline=score,
        validated_band=band,
        completeness=1,
        evidence_coverage=1,
    )
    SnapshotDimension.objects.bulk_create(
        SnapshotDimension(snapshot=snapshot, score_set=score_set, dimension=code, core=True, score=score, band=band)
        for code in CODES
        for score_set in ("self", "validated")
    )
    return round


def public_action(round: Round, title: str, *, public: bool = True) -> Action:
    plan, _created = Plan.objects.get_or_create(authority=round.authority)
    action = Action.objects.create(
        plan=plan,
        origin_round=round,
        title=title,
        owner="Secret Owner Office",
        start_date=date(2024, 1, 1),
        due_date=date(2099, 1, 1),
        public=public,
        created_by=UserFactory(username="action-maker"),
    )
    ActionIndicator.objects.create(action=action, indicator=round.version.indicators.get(code="HC-01"), target_level=3)
    return action


@pytest.fixture
def quito_rounds(catalogue) -> dict[str, Round]:
    """Quito published 2023 (31) and 2025 (62, established); validated 2031 without consent (87); a draft 2032 (97)."""
    authority = AuthorityFactory(slug="quito", name="Quito", country="Ecuador")
    return {
        "2023": scored_round(authority, catalogue, "2023", 31.0),
        "2025": scored_round(authority, catalogue, "2025", 62.0, band="established"),
        "2031": scored_round(authority, catalogue, "2031", 87.0, published=False),
        "2032": scored_round(authority, catalogue, "2032", 97.0, status=Round.Status.DRAFT),
    }


def profile(client, slug: str = "quito"):
    return client.get(reverse("public_profile", args=[slug]))


# --- what the profile shows ----------------------------------------------------------------------


def test_the_profile_summarises_the_latest_published_round_without_logging_in(client, quito_rounds):
    response = profile(client)

    assert response.status_code == 200
    assert response.context["latest"] == quito_rounds["2025"]
    body = response.content.decode()
    assert "Latest published assessment: 2025" in body
    assert '<strong class="fs-4">62</strong> / 100 · Established' in body
    rows = [(row.code, row.name, row.score, row.band) for row in response.context["dimensions"]]
    assert rows[0] == ("HC", "Horizontal coherence", 62.0, "Established") and len(rows) == 6
    assert "HC · Horizontal coherence" in body


def test_the_profile_speaks_the_readers_language(client, quito_rounds):
    body = client.get(reverse("public_profile", args=["quito"]), headers={"accept-language": "fr"}).content.decode()

    assert "Cohérence horizontale" in body and "Établi" in body


def test_scores_over_time_show_published_rounds_only_with_a_table_and_a_chart(client, quito_rounds):
    trend = profile(client).context["trend"]

    assert trend.headers[1:] == ["2023", "2025"]
    assert trend.rows[0] == ["HC", "31", "62"]
    assert trend.figure["data"][0]["x"] == ["2023", "2025"]
    assert "Comparable rounds only" in trend.summary


def test_nothing_of_a_round_validated_without_consent_or_of_a_draft_reaches_the_profile(client, quito_rounds):
    body = profile(client).content.decode()

    for period in ("2031", "2032"):
        assert period not in body  # neither its period, in the summary, the trend or the downloads
    assert ">87<" not in body and ">97<" not in body and '"87' not in body and '"97' not in body


def test_the_profile_shows_the_authoritys_public_actions_only(client, quito_rounds):
    public_action(quito_rounds["2025"], "Quito migrant desk")
    public_action(quito_rounds["2025"], "Quito internal memo", public=False)

    body = profile(client).content.decode()

    assert "Quito migrant desk" in body and "HC-01" in body
    assert "Quito internal memo" not in body and "Secret Owner Office" not in body


def test_the_profile_links_the_brief_and_the_full_report_of_each_published_round_in_three_languages(
    client, quito_rounds
):
    body = profile(client).content.decode()

    for period in ("2023", "2025"):
        for kind in ("brief", "full"):
            for language in ("en", "fr", "es"):
                assert f'href="{reverse("public_report", args=["quito", period, kind, language])}"' in body
    assert "/public/quito/2031/" not in body


# --- who has a profile ---------------------------------------------------------------------------


def test_an_authority_with_only_a_round_validated_without_consent_has_no_profile(client, catalogue):
    scored_round(AuthorityFactory(slug="lima", name="Lima"), catalogue, "2025", 50.0, published=False)

    assert profile(client, "lima").status_code == 404


def test_an_authority_with_only_a_draft_or_no_round_has_no_profile(client, catalogue):
    scored_round(AuthorityFactory(slug="bogota"), catalogue, "2025", 50.0, status=Round.Status.DRAFT)
    AuthorityFactory(slug="empty")

    assert profile(client, "bogota").status_code == 404
    assert profile(client, "empty").status_code == 404
    assert profile(client, "nowhere").status_code == 404


def test_withdrawing_consent_removes_the_profile_and_its_listing(client, quito_rounds):
    for period in ("2023", "2025"):
        services.round_set_consent(round=quito_rounds[period], actor=UserFactory(is_superuser=True), consent=False)

    assert profile(client).status_code == 404
    assert reverse("public_profile", args=["quito"]) not in client.get(reverse("public_dashboard")).content.decode()


def test_withdrawing_consent_for_the_latest_round_shows_the_one_before(client, quito_rounds):
    Round.objects.filter(pk=quito_rounds["2025"].pk).update(publication_consent=False)

    response = profile(client)

    assert response.context["latest"] == quito_rounds["2023"]
    assert "2025" not in response.content.decode()


def test_the_public_page_lists_and_links_the_profiles_of_published_authorities_only(client, quito_rounds, catalogue):
    scored_round(AuthorityFactory(slug="accra", name="Accra"), catalogue, "2025", 40.0)
    scored_round(AuthorityFactory(slug="lima", name="Lima"), catalogue, "2025", 50.0, published=False)

    body = client.get(reverse("public_dashboard")).content.decode()

    section = body[body.index('aria-labelledby="profiles-title"') :]
    assert f'href="{reverse("public_profile", args=["accra"])}"' in section
    assert f'href="{reverse("public_profile", args=["quito"])}"' in section
    assert reverse("public_profile", args=["lima"]) not in body


@pytest.mark.parametrize("rounds", [2, 12])
def test_the_profile_takes_a_constant_number_of_queries_whatever_the_number_of_rounds(
    client, catalogue, django_assert_max_num_queries, rounds
):
    authority = AuthorityFactory(slug="naga", name="Naga")
    for n in range(rounds):
        round = scored_round(authority, catalogue, str(2000 + n), 40.0 + n)
        public_action(round, f"Action {n}")

    # The authority, its rounds, the summary (2), the trend (4), the public actions with their indicators (2).
    with django_assert_max_num_queries(10):
        response = profile(client, "naga")

    assert len(response.context["rounds"]) == rounds
    assert response.content.decode().count("Action ") >= rounds


# --- the logo ------------------------------------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buffer, "PNG")
    return buffer.getvalue()


def test_the_logo_of_a_published_authority_is_served_and_shown_others_are_not(
    client, quito_rounds, catalogue, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    lima = AuthorityFactory(slug="lima")
    scored_round(lima, catalogue, "2025", 50.0, published=False)
    for authority in (quito_rounds["2025"].authority, lima):
        authority.logo.save("logo.png", ContentFile(_png()))

    response = client.get(reverse("public_logo", args=["quito"]))

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == _png()
    assert f'src="{reverse("public_logo", args=["quito"])}"' in profile(client).content.decode()
    assert client.get(reverse("public_logo", args=["lima"])).status_code == 404
    Authority.objects.filter(slug="quito").update(logo="")
    assert client.get(reverse("public_logo", args=["quito"])).status_code == 404


# --- the reports to download ---------------------------------------------------------------------


def report_url(period: str, kind: str = "brief", language: str = "fr", slug: str = "quito") -> str:
    return reverse("public_report", args=[slug, period, kind, language])


@pytest.mark.parametrize(
    ("period", "kind", "language"),
    [
        pytest.param("2031", "brief", "fr", id="a round validated without consent"),
        pytest.param("2032", "full", "en", id="a draft"),
        pytest.param("2019", "full", "en", id="a period without a round"),
        pytest.param("2025", "docx", "en", id="a kind the profile does not offer"),
        pytest.param("2025", "full", "de", id="a language the site does not speak"),
    ],
)
def test_a_report_of_anything_but_a_published_round_is_a_404_and_asks_for_nothing(
    client, quito_rounds, monkeypatch, period, kind, language
):
    asked = []
    monkeypatch.setattr("reports.services.public_report", lambda *args, **kwargs: asked.append(args))

    assert client.get(report_url(period, kind, language)).status_code == 404
    assert asked == [] and not ReportJob.objects.exists()


def test_a_report_being_prepared_is_a_202_page_that_refreshes_with_a_link_to_try_again(
    client, quito_rounds, monkeypatch
):
    asked = []

    def pending(round, *, kind, language):
        asked.append((round, kind, language))
        return ReportJob.objects.create(
            round=round, language=language, kind=kind, fingerprint="x", status=ReportJob.Status.PENDING
        )

    monkeypatch.setattr("reports.services.public_report", pending)
    url = report_url("2025", "full", "es")

    response = client.get(url)

    assert asked == [(quito_rounds["2025"], "full", "es")]
    assert response.status_code == 202
    body = response.content.decode()
    assert "Being prepared — this page refreshes" in body
    assert '<meta http-equiv="refresh" content="10">' in body
    assert f'<a href="{url}">Try again</a>' in body
    assert "<script>" not in body  # no inline script: the strict CSP would refuse it
    assert "no-store" in response["Cache-Control"]


def test_a_ready_report_downloads_as_an_attachment(client, quito_rounds, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = ReportJob(round=quito_rounds["2025"], language="fr", kind="brief", fingerprint="x")
    job.file.save("brief.pdf", ContentFile(b"%PDF-1.7 the brief"), save=False)
    job.status = ReportJob.Status.DONE
    job.save()
    monkeypatch.setattr("reports.services.public_report", lambda round, *, kind, language: job)

    response = client.get(report_url("2025", "brief", "fr"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"%PDF-1.7 the brief"


def test_asking_for_a_published_rounds_report_starts_one_job_asked_by_no_one(
    client, validated, quito, settings, tmp_path
):
    """Through the real reports service: a published round's brief is asked for once, whoever asks again."""
    settings.MEDIA_ROOT = tmp_path
    services.round_set_consent(round=validated, actor=quito.approver, consent=True)
    url = reverse("public_report", args=[quito.authority.slug, validated.period, "brief", "en"])

    first, second = client.get(url), client.get(url)

    assert first.status_code in (200, 202) and second.status_code in (200, 202)
    jobs = ReportJob.objects.filter(round=validated)
    assert [(job.kind, job.language, job.requested_by) for job in jobs] == [("brief", "en", None)]


def test_after_a_failed_public_render_visitors_get_a_503_and_no_new_render_for_a_while(
    client, validated, quito, settings, tmp_path, monkeypatch
):
    """Anyone may ask for a published round's document: a render that failed is not started again per visitor."""
    settings.MEDIA_ROOT = tmp_path
    services.round_set_consent(round=validated, actor=quito.approver, consent=True)
    url = reverse("public_report", args=[quito.authority.slug, validated.period, "brief", "en"])
    sent = []
    monkeypatch.setattr("reports.services._send", sent.append)
    client.get(url)
    ReportJob.objects.update(status=ReportJob.Status.FAILED, finished_at=timezone.now())

    responses = [client.get(url) for _ in range(3)]

    assert [r.status_code for r in responses] == [503, 503, 503]
    assert "could not be prepared just now" in responses[0].content.decode()
    assert ReportJob.objects.filter(round=validated).count() == 1 and len(sent) == 1
    ReportJob.objects.update(finished_at=timezone.now() - timedelta(minutes=16))
    client.get(url)
    assert ReportJob.objects.filter(round=validated).count() == 2  # after a quarter of an hour, it tries again


def test_a_published_rounds_documents_never_compare_it_with_a_round_validated_without_consent(catalogue):
    """Its brief and full report are public: the movement and the trend skip the authority's unpublished rounds."""
    authority = AuthorityFactory(slug="lima", name="Lima")
    scored_round(authority, catalogue, "2023", 40.0)
    hidden = scored_round(authority, catalogue, "2024", 87.0, published=False)
    latest = scored_round(authority, catalogue, "2025", 60.0)

    assert summary_inputs(latest).previous.period == "2023"
    assert {row[0] for row in report_facts(latest)["trend"]} == {"2023", "2025"}
    # The city's own unpublished round still compares with its last validated one.
    assert summary_inputs(hidden).previous.period == "2023"
