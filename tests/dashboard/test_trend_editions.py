"""The dashboards' trend across catalogue editions: every round on the comparable basis, said and listed."""

import pytest
from django.urls import reverse

from assessments.models import Round
from tests.factories import AuthorityFactory, MembershipFactory
from tests.indicators.editions import second_edition
from tests.world import make_city, validated_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def across(quito, catalogue, reviewer) -> dict[str, Round]:
    """Quito: 2023 on edition 1 (50 points, DE-05 at 100), 2025 on edition 2 (75 points, SP-07 at 0)."""
    first = validated_round(quito, reviewer, "2023", 2, version=catalogue, levels={"DE-05": 4})
    edition = second_edition(catalogue)
    second = validated_round(quito, reviewer, "2025", 3, version=edition, levels={"SP-07": 0})
    return {"2023": first, "2025": second}


def trend_json(client, **params) -> dict:
    response = client.get(reverse("reviewer_dashboard_data"), params)
    assert response.status_code == 200
    return next(panel for panel in response.json()["panels"] if panel["key"] == "trend")


def test_the_dashboard_json_trend_shows_both_editions_on_the_comparable_basis(client, reviewer, across):
    client.force_login(reviewer)

    trend = trend_json(client, authority="quito")

    assert {tuple(trace["x"]) for trace in trend["figure"]["data"]} == {("2023", "2025")}
    by_name = {trace["name"]: trace["y"] for trace in trend["figure"]["data"]}
    assert by_name["DE"] == [50, 75]  # DE-05 (100 in 2023) left out of the basis
    assert by_name["SP"] == [50, 75]  # SP-07 (0 in 2025) left out
    basis = trend["basis"]
    assert basis["kind"] == "comparable" and basis["editions"] == [1, 2]
    assert {
        "dimension": "HC",
        "kind": "split",
        "first": ["HC-03"],
        "second": ["HC-03", "HC-09"],
        "editions": [1, 2],
    } in (basis["compared"])
    assert {
        "dimension": "VC",
        "kind": "merged",
        "first": ["VC-05", "VC-06"],
        "second": ["VC-05"],
        "editions": [1, 2],
    } in (basis["compared"])
    assert {"code": "DE-05", "edition": 1, "reason": "retired"} in basis["left_out"]
    assert {"code": "SP-07", "edition": 2, "reason": "new"} in basis["left_out"]
    assert "compared on the indicators both editions share" in trend["summary"]
    assert "Left out: DE-05 (edition 1, retired), SP-07 (edition 2, new)." in trend["summary"]
    assert "Comparable basis across catalogue editions 1, 2." in str(trend["figure"]["layout"]["title"])


def test_the_dashboard_json_trend_on_one_edition_keeps_its_ordinary_scores(client, reviewer, quito, catalogue):
    validated_round(quito, reviewer, "2023", 1, version=catalogue, levels={"DE-05": 4})
    validated_round(quito, reviewer, "2025", 2, version=catalogue)
    client.force_login(reviewer)

    trend = trend_json(client, authority="quito")

    assert trend["basis"] == {"kind": "same_edition", "editions": [1], "compared": [], "left_out": []}
    by_name = {trace["name"]: trace["y"] for trace in trend["figure"]["data"]}
    assert by_name["DE"][0] > 25  # DE-05's 100 points count on one edition
    assert "Comparable rounds only" in trend["summary"]


def test_a_city_sees_its_own_trend_across_editions_and_never_another_citys(client, reviewer, across, catalogue):
    lima = make_city("lima")
    validated_round(lima, reviewer, "2019", 4, version=catalogue)
    client.force_login(across["2025"].authority.memberships.first().user)

    response = client.get(reverse("authority_dashboard"), {"authority": "lima"})

    assert response.status_code == 200
    trend = next(panel for panel in response.context["panels"] if panel.key == "trend")
    assert trend.headers[1:] == ["2023", "2025"] and "Quito" in trend.title
    assert "2019" not in response.content.decode()
    assert "Left out: DE-05 (edition 1, retired), SP-07 (edition 2, new)." in response.content.decode()


def test_the_public_profile_trend_reads_published_rounds_only(client, across):
    Round.objects.filter(pk=across["2023"].pk).update(publication_consent=True)

    only_first = client.get(reverse("public_profile", args=["quito"])).context["trend"]
    Round.objects.filter(pk=across["2025"].pk).update(publication_consent=True)
    both = client.get(reverse("public_profile", args=["quito"])).context["trend"]

    assert only_first.headers[1:] == ["2023"] and only_first.extra["basis"]["kind"] == "same_edition"
    assert "DE-05" not in only_first.summary
    assert both.headers[1:] == ["2023", "2025"] and both.extra["basis"]["kind"] == "comparable"


@pytest.mark.parametrize("rounds", [2, 6])
def test_the_city_dashboard_takes_the_same_queries_across_editions_whatever_the_number_of_rounds(
    client, catalogue, reviewer, django_assert_max_num_queries, rounds
):
    city = make_city("naga")
    edition = second_edition(catalogue)
    for n in range(rounds):
        validated_round(city, reviewer, str(2000 + n), 1 + n % 4, version=catalogue if n < rounds // 2 else edition)
    client.force_login(MembershipFactory(authority=city.authority).user)

    # The 17 of tests/dashboard/test_dashboards.py on one edition, and the comparable basis: the rounds, their
    # answers (4) and the crosswalk (3).
    with django_assert_max_num_queries(17 + 8):
        response = client.get(reverse("authority_dashboard"))
    assert response.status_code == 200
    assert len(response.context["panels"][0].headers) == rounds + 1


def test_an_authority_without_validated_rounds_has_an_empty_trend_basis(client, reviewer, catalogue):
    AuthorityFactory(slug="accra", name="Accra")
    client.force_login(reviewer)

    trend = trend_json(client)

    assert trend["basis"]["kind"] == "same_edition" and trend["basis"]["editions"] == []
