"""Dashboards: what each role sees, the numbers the panels show, bad filters, and query counts."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import ReviewItem, Round, ScoreSnapshot, SnapshotDimension
from dashboard import data
from indicators.models import Indicator
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
CODES = ["HC", "VC", "SP", "IN", "DE", "DC"]


def validated_round(authority, version, period, score, *, published=False, self_score=None, levels=None):
    """A validated round with its frozen scores (every dimension at ``score``), made directly."""
    round = Round.objects.create(
        authority=authority,
        version=version,
        period=period,
        status=Round.Status.VALIDATED,
        validated_at=timezone.now(),
        publication_consent=published,
    )
    snapshot = ScoreSnapshot.objects.create(
        round=round,
        version=version,
        weights={},
        data={},
        self_headline=self_score if self_score is not None else score,
        validated_headline=score,
        validated_band="emerging",
        completeness=1,
        evidence_coverage=1,
    )
    SnapshotDimension.objects.bulk_create(
        SnapshotDimension(
            snapshot=snapshot, score_set=score_set, dimension=code, core=code not in ("DE", "DC"), score=score
        )
        for code in CODES
        for score_set in ("self", "validated")
    )
    if levels:
        reviewer = UserFactory(username="seed-reviewer")
        ReviewItem.objects.bulk_create(
            ReviewItem(
                round=round,
                indicator=Indicator.objects.get(version=version, code=code),
                validated_level=level,
                reviewer=reviewer,
            )
            for code, level in levels.items()
        )
    return round


@pytest.fixture
def cities(catalogue):
    """Five municipalities in one region with validated 2025 rounds; three published."""
    made = {}
    for n, (slug, score, published) in enumerate(
        [
            ("accra", 20.0, True),
            ("quito", 40.0, True),
            ("naga", 60.0, True),
            ("tunis", 80.0, False),
            ("lima", 50.0, False),
        ]
    ):
        authority = AuthorityFactory(slug=slug, name=slug.title(), region="South", kind="municipality")
        made[slug] = validated_round(
            authority,
            catalogue,
            "2025",
            score,
            published=published,
            self_score=score + 10,
            levels={"HC-01": n % 5, "VC-03": 0},
        )
    validated_round(made["quito"].authority, catalogue, "2023", 30.0, published=True)
    return made


def _panels(response):
    return {panel.key: panel for panel in response.context["panels"]}


def test_reviewer_dashboard_draws_five_panels_with_the_known_numbers(client, reviewer, cities):
    client.force_login(reviewer)
    response = client.get(reverse("reviewer_dashboard"), {"period": "2025", "authority": "quito"})
    panels = _panels(response)
    assert list(panels) == ["heatmap", "trend", "profile", "weakest", "self_validated"]

    heatmap = panels["heatmap"].figure["data"][0]
    assert heatmap["y"] == ["Accra", "Lima", "Naga", "Quito", "Tunis"]  # by name, never a ranking
    assert heatmap["z"][3] == [40.0] * 6
    assert "5 authorities in 2025" in panels["heatmap"].summary

    trend = panels["trend"].figure["data"]
    assert [t["name"] for t in trend] == CODES and trend[0]["x"] == ["2023", "2025"] and trend[0]["y"] == [30.0, 40.0]

    profile = panels["profile"]
    assert profile.rows[0] == ["HC", "40", "55"]  # median of 20, 60, 80, 50
    assert panels["weakest"].rows[0][0] == "VC-03"
    assert "5 authorities, 5 rated themselves higher" in panels["self_validated"].summary

    body = response.content.decode()
    assert 'id="figure-heatmap" type="application/json"' in body
    assert "Show the data as a table" in body


def test_filters_change_what_the_charts_show_and_travel_in_the_url(client, reviewer, cities):
    client.force_login(reviewer)
    published_only = client.get(reverse("reviewer_dashboard"), {"period": "2025", "status": "published"})
    assert _panels(published_only)["heatmap"].figure["data"][0]["y"] == ["Accra", "Naga", "Quito"]
    data = client.get(reverse("reviewer_dashboard_data"), {"period": "2025", "status": "published", "panel": "heatmap"})
    assert [p["key"] for p in data.json()["panels"]] == ["heatmap"]


@pytest.mark.parametrize(
    "params",
    [{"country": "Atlantis"}, {"period": "1999"}, {"status": "secret"}, {"kind": "galaxy"}, {"version": "x"}],
)
def test_unknown_filter_values_are_a_clear_400(client, reviewer, cities, params):
    client.force_login(reviewer)
    response = client.get(reverse("reviewer_dashboard"), params)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert client.get(reverse("reviewer_dashboard_data"), params).status_code == 400


def test_city_users_cannot_open_the_reviewer_dashboard(client, cities):
    user = MembershipFactory(authority=cities["quito"].authority).user
    client.force_login(user)
    assert client.get(reverse("reviewer_dashboard")).status_code == 404
    assert client.get(reverse("reviewer_dashboard_data")).status_code == 404


def test_a_city_sees_itself_against_a_median_of_published_peers_only(client, cities):
    user = MembershipFactory(authority=cities["quito"].authority).user
    client.force_login(user)
    response = client.get(reverse("authority_dashboard"), {"peer": "region"})
    body = response.content.decode()
    profile = _panels(response)["profile"]
    # Peers in 2025 that published: Accra (20) and Naga (60) only: fewer than three, so no median.
    assert profile.rows[0] == ["HC", "40", "—"]
    assert "no median is shown" in profile.summary
    for other in ("Accra", "Naga", "Tunis", "Lima"):
        assert other not in body


def test_the_median_appears_once_three_published_peers_exist(client, cities, catalogue):
    validated_round(
        AuthorityFactory(slug="cuenca", name="Cuenca", region="South"), catalogue, "2025", 70.0, published=True
    )
    user = MembershipFactory(authority=cities["quito"].authority).user
    client.force_login(user)
    profile = _panels(client.get(reverse("authority_dashboard"), {"peer": "region"}))["profile"]
    assert profile.rows[0] == ["HC", "40", "60"]  # median of 20, 60, 70: never Tunis or Lima (unpublished)


def test_the_public_page_shows_published_rounds_only_and_needs_no_login(client, cities):
    response = client.get(reverse("public_dashboard"), {"period": "2025"})
    body = response.content.decode()
    assert response.status_code == 200
    assert _panels(response)["heatmap"].figure["data"][0]["y"] == ["Accra", "Naga", "Quito"]
    assert "Tunis" not in body and "Lima" not in body
    assert client.get(reverse("public_dashboard"), {"period": "2019"}).status_code == 400


def test_the_figure_json_on_the_page_is_what_plotly_draws(client, reviewer, cities):
    client.force_login(reviewer)
    body = client.get(reverse("reviewer_dashboard"), {"period": "2025"}).content.decode()
    start = body.index('<script id="figure-heatmap" type="application/json">') + len(
        '<script id="figure-heatmap" type="application/json">'
    )
    figure = json.loads(body[start : body.index("</script>", start)])
    assert figure["data"][0]["type"] == "heatmap"


@pytest.mark.parametrize("authorities", [5, 40])
def test_dashboard_query_counts_do_not_grow_with_authorities(
    client, reviewer, catalogue, django_assert_max_num_queries, authorities
):
    for n in range(authorities):
        authority = AuthorityFactory(region="South")
        validated_round(authority, catalogue, "2025", float(n % 100), published=n % 2 == 0, levels={"HC-01": n % 5})
    client.force_login(reviewer)
    with django_assert_max_num_queries(20):  # the panels' 19 and the count of the improvement plans' actions
        assert client.get(reverse("reviewer_dashboard")).status_code == 200
    with django_assert_max_num_queries(19):
        assert client.get(reverse("reviewer_dashboard_data")).status_code == 200
    with django_assert_max_num_queries(10):  # 8, and the public improvement actions with their indicators
        assert client.get(reverse("public_dashboard")).status_code == 200
    user = MembershipFactory(authority=authority).user
    client.force_login(user)
    # 13, the plan over rounds (its rounds, counts and links), and whether the menu shows the improvement plans
    # (base.html asks whether a person who is not a reviewer is a member anywhere).
    with django_assert_max_num_queries(17):
        assert client.get(reverse("authority_dashboard")).status_code == 200


def test_past_the_listed_number_the_pages_list_the_first_authorities_by_name_and_count_them_all(
    client, reviewer, catalogue, monkeypatch
):
    monkeypatch.setattr(data, "LISTED", 3)
    for n in range(5):
        validated_round(AuthorityFactory(name=f"City {n}"), catalogue, "2025", 20.0 * n, published=True)
    client.force_login(reviewer)

    page = client.get(reverse("reviewer_dashboard"))
    heatmap = next(panel for panel in page.context["panels"] if panel.key == "heatmap")
    assert heatmap.figure["data"][0]["y"] == ["City 0", "City 1", "City 2"]
    assert [row[0] for row in heatmap.rows] == ["City 0", "City 1", "City 2"]
    assert "5 authorities in 2025" in heatmap.summary and "The first 3 of 5 authorities" in heatmap.summary
    plans = page.context["plan_status"]
    assert len(plans.rows) == 3 and "The first 3 of 5 authorities" in plans.summary
    json_heatmap = client.get(reverse("reviewer_dashboard_data"), {"panel": "heatmap"}).json()["panels"][0]
    assert json_heatmap["figure"]["data"][0]["y"] == ["City 0", "City 1", "City 2"]

    client.logout()
    public = client.get(reverse("public_dashboard"), {"page": 2})
    assert [round.authority.name for round in public.context["rounds"]] == ["City 3", "City 4"]
    assert 'href="?period=2025&amp;page=1"' in public.content.decode()


def test_the_filters_show_the_chosen_values_selected(client, reviewer, catalogue):
    validated_round(AuthorityFactory(name="Lima", slug="lima", kind="municipality"), catalogue, "2025", 40.0)
    validated_round(AuthorityFactory(name="Quito", slug="quito", kind="municipality"), catalogue, "2023", 40.0)
    client.force_login(reviewer)

    body = client.get(reverse("reviewer_dashboard"), {"authority": "quito", "period": "2023"}).content.decode()

    assert 'name="authority" id="id_authority" value="quito"' in body  # a search field keeps what was typed
    assert '<option value="lima">' not in body  # not a list of every authority (a programme has thousands)
    assert '<option value="2023" selected>2023</option>' in body


def test_the_authority_is_searched_for_by_its_name_or_slug(client, reviewer, cities):
    """Part of a name in any case finds the first matching authority by name; a slug finds its own authority."""
    client.force_login(reviewer)
    url = reverse("reviewer_dashboard")

    def trend_of(text):
        response = client.get(url, {"authority": text})
        assert response.status_code == 200
        return _panels(response)["trend"].figure["data"][0]["x"]

    assert trend_of("QUI") == ["2023", "2025"]  # Quito, the only one with two rounds
    assert trend_of("quito") == ["2023", "2025"]
    assert trend_of("a") == ["2025"]  # Accra: first by name of those holding an "a"
    first_by_name = client.get(url, {"authority": "a"}).context["panels"]
    assert "Accra" in first_by_name[1].title or "Accra" in first_by_name[1].summary


def test_an_authority_no_round_has_is_a_clear_400_that_keeps_the_text(client, reviewer, cities):
    client.force_login(reviewer)
    response = client.get(reverse("reviewer_dashboard"), {"authority": "Atlantis"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "No authority among the chosen rounds is called “Atlantis”." in body
    assert 'value="Atlantis"' in body and 'aria-describedby="id_authority-help id_authority-error"' in body
    data = client.get(reverse("reviewer_dashboard_data"), {"authority": "Atlantis"})
    assert data.status_code == 400 and "authority" in data.json()["errors"]
    # A city whose rounds the other filters leave out is not found either (the search is among the chosen rounds).
    assert client.get(reverse("reviewer_dashboard"), {"authority": "tunis", "status": "published"}).status_code == 400
