"""Participation across authorities: for programme reviewers only, by authority then period, never a ranking.

The small world: Accra (Ghana) 2024 consulted twice (a diaspora association and an NGO, then the
NGO again and a university); Quito (Ecuador) 2025 once, a refugee-led organisation; Quito 2024 not
at all; Zagreb (Croatia) 2024 and 2025 each consulted the same NGO, Zagreb the most of all. Bogotá's
draft, which reviewers do not see, consulted a diaspora association.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Round
from dashboard import participation
from participation.models import Stakeholder
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory
from tests.participation.factories import ConsultationFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

Category = Stakeholder.Category
URL = "/dashboard/participation/"


def _round(catalogue, authority, period: str, status=Round.Status.SUBMITTED) -> Round:
    validated_at = timezone.now() if status == Round.Status.VALIDATED else None
    return Round.objects.create(
        authority=authority, version=catalogue, period=period, status=status, validated_at=validated_at
    )


@pytest.fixture
def world(catalogue):
    accra = AuthorityFactory(name="Accra", country="Ghana")
    quito = AuthorityFactory(name="Quito", country="Ecuador")
    zagreb = AuthorityFactory(name="Zagreb", country="Croatia")
    bogota = AuthorityFactory(name="Bogotá", country="Colombia")
    diaspora = StakeholderFactory(authority=accra, name="Ghana diaspora", category=Category.MIGRANT_ASSOCIATION)
    accra_ngo = StakeholderFactory(authority=accra, name="Accra NGO", category=Category.CIVIL_SOCIETY)
    university = StakeholderFactory(authority=accra, name="University of Ghana", category=Category.ACADEMIA)
    refugees = StakeholderFactory(authority=quito, name="Refugiados Unidos", category=Category.REFUGEE_LED)
    zagreb_ngo = StakeholderFactory(authority=zagreb, name="Zagreb NGO", category=Category.CIVIL_SOCIETY)

    rounds = {
        "accra-2024": _round(catalogue, accra, "2024"),
        "quito-2024": _round(catalogue, quito, "2024", Round.Status.VALIDATED),
        "quito-2025": _round(catalogue, quito, "2025", Round.Status.RETURNED),
        "zagreb-2024": _round(catalogue, zagreb, "2024", Round.Status.VALIDATED),
        "zagreb-2025": _round(catalogue, zagreb, "2025"),
        "bogota-2025": _round(catalogue, bogota, "2025", Round.Status.DRAFT),
    }
    ConsultationFactory(round=rounds["accra-2024"], participants=10, groups=[diaspora, accra_ngo])
    ConsultationFactory(round=rounds["accra-2024"], participants=20, groups=[accra_ngo, university])
    ConsultationFactory(round=rounds["quito-2025"], participants=5, groups=[refugees])
    for _n in range(3):
        ConsultationFactory(round=rounds["zagreb-2024"], participants=40, groups=[zagreb_ngo])
    ConsultationFactory(round=rounds["zagreb-2025"], participants=7, groups=[zagreb_ngo])
    ConsultationFactory(
        round=rounds["bogota-2025"],
        participants=99,
        groups=[StakeholderFactory(authority=bogota, name="Bogotá diaspora", category=Category.MIGRANT_ASSOCIATION)],
    )
    return rounds


def _administrator():
    return UserFactory(username="ada-admin", is_superuser=True, is_staff=True)


def _table(response) -> list[tuple]:
    return [
        (
            row["round"].authority.name,
            row["round"].period,
            row["round"].consultation_count,
            row["round"].participant_total,
            {str(c["label"]): c["count"] for c in row["categories"]},
            row["round"].migrant_voices,
        )
        for row in response.context["rows"]
    ]


# --- access ------------------------------------------------------------------------------------


def test_an_editor_or_approver_of_an_authority_gets_a_404(client, world):
    for role in ("editor", "approver"):
        member = MembershipFactory(authority=world["quito-2025"].authority, role=role).user
        client.force_login(member)
        assert client.get(URL).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_reviewer_sees_every_authority_but_no_draft(client, reviewer, world):
    client.force_login(reviewer)

    response = client.get(URL)

    assert response.status_code == 200
    assert [(name, period) for name, period, *_rest in _table(response)] == [
        ("Accra", "2024"),
        ("Quito", "2024"),
        ("Quito", "2025"),
        ("Zagreb", "2024"),
        ("Zagreb", "2025"),
    ]
    assert "Bogotá" not in response.content.decode()


def test_an_administrator_sees_drafts_too(client, world):
    client.force_login(_administrator())

    response = client.get(URL)

    assert ("Bogotá", "2025") in [(name, period) for name, period, *_rest in _table(response)]
    assert response.context["summary"].rounds == 6


def test_the_reviewer_dashboard_links_to_the_page(client, reviewer, world):
    client.force_login(reviewer)

    body = client.get(reverse("reviewer_dashboard")).content.decode()

    assert f'href="{URL}"' in body and reverse("participation_overview") == URL


# --- the figures ---------------------------------------------------------------------------------


def test_each_round_shows_its_consultations_participants_categories_and_migrant_voices(client, reviewer, world):
    client.force_login(reviewer)

    response = client.get(URL)

    assert _table(response) == [
        (
            "Accra",
            "2024",
            2,
            30,
            {"Migrant or diaspora association": 1, "Civil society": 1, "Academia": 1},  # the NGO once
            True,
        ),
        ("Quito", "2024", 0, 0, {}, False),
        ("Quito", "2025", 1, 5, {"Refugee-led organisation": 1}, True),
        ("Zagreb", "2024", 3, 120, {"Civil society": 1}, False),
        ("Zagreb", "2025", 1, 7, {"Civil society": 1}, False),
    ]


def test_the_summary_gives_the_share_with_migrant_voices_the_mean_and_the_category_totals(client, reviewer, world):
    client.force_login(reviewer)

    response = client.get(URL)

    summary = response.context["summary"]
    assert (summary.rounds, summary.with_migrant_voices, summary.migrant_voices_percent) == (5, 2, 40)
    assert summary.consultations == 7 and summary.consultations_per_round == pytest.approx(1.4)
    assert summary.participants == 162
    # Each group once in each round it took part in: the Zagreb NGO in two rounds counts twice.
    assert {str(c["label"]): c["count"] for c in summary.categories} == {
        "Migrant or diaspora association": 1,
        "Refugee-led organisation": 1,
        "Civil society": 3,
        "Academia": 1,
    }
    body = response.content.decode()
    assert "40% (2 of 5)" in body and "1.4" in body


def test_rounds_are_ordered_by_authority_name_then_period_never_by_counts(client, reviewer, world):
    client.force_login(reviewer)

    rows = _table(client.get(URL))

    names_periods = [(name, period) for name, period, *_rest in rows]
    assert names_periods == sorted(names_periods)
    # Zagreb 2024, the most consulted round, and Quito 2024, the least, keep their places by name.
    assert names_periods.index(("Zagreb", "2024")) == 3 and names_periods.index(("Quito", "2024")) == 1


def test_the_country_and_period_filters_choose_the_rounds_and_the_summary(client, reviewer, world):
    client.force_login(reviewer)

    by_country = client.get(URL, {"country": "Croatia"})
    by_period = client.get(URL, {"period": "2025"})

    assert [(n, p) for n, p, *_rest in _table(by_country)] == [("Zagreb", "2024"), ("Zagreb", "2025")]
    assert by_country.context["summary"].consultations == 4
    assert by_country.context["summary"].migrant_voices_percent == 0
    assert [(n, p) for n, p, *_rest in _table(by_period)] == [("Quito", "2025"), ("Zagreb", "2025")]
    assert by_period.context["summary"].migrant_voices_percent == 50


def test_an_unknown_filter_value_is_a_400_with_the_form_error(client, reviewer, world):
    client.force_login(reviewer)

    response = client.get(URL, {"period": "1999"})

    assert response.status_code == 400
    assert response.context["rows"] == [] and "correct them above" in response.content.decode()


def test_the_list_is_paginated_in_the_same_order_with_the_summary_over_every_page(client, reviewer, world, monkeypatch):
    monkeypatch.setattr(participation, "PAGE_SIZE", 2)
    client.force_login(reviewer)

    pages = [client.get(URL, {"page": n}) for n in (1, 2, 3)]

    assert [[(n, p) for n, p, *_rest in _table(page)] for page in pages] == [
        [("Accra", "2024"), ("Quito", "2024")],
        [("Quito", "2025"), ("Zagreb", "2024")],
        [("Zagreb", "2025")],
    ]
    assert all(page.context["summary"].rounds == 5 for page in pages)
    filtered = client.get(URL, {"period": "2024"}).content.decode()
    assert 'href="?period=2024&amp;page=2"' in filtered  # the filters follow from page to page


def test_an_empty_programme_says_so(client, reviewer, catalogue):
    client.force_login(reviewer)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["summary"].migrant_voices_percent is None
    assert "No round matches these filters." in response.content.decode()


# --- queries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorities", [3, 30])
def test_the_page_reads_a_constant_number_of_queries(
    client, reviewer, catalogue, django_assert_max_num_queries, authorities
):
    for n in range(authorities):
        authority = AuthorityFactory(country=("Ghana", "Ecuador", "Croatia")[n % 3])
        groups = [
            StakeholderFactory(authority=authority, category=category)
            for category in (Category.MIGRANT_ASSOCIATION, Category.CIVIL_SOCIETY, Category.ACADEMIA)[: n % 3 + 1]
        ]
        for period in ("2024", "2025"):
            round = _round(catalogue, authority, period)
            for _c in range(n % 3):
                ConsultationFactory(round=round, groups=groups)
    client.force_login(reviewer)

    # The session and the user, the reviewer's permissions (two), the filter's countries and periods, the page's
    # count and rows, the rows' categories, the summary's totals and its categories: eleven, whatever the size.
    with django_assert_max_num_queries(11):
        response = client.get(URL, {"country": "Ghana"})
    assert response.status_code == 200 and response.context["rows"]
    with django_assert_max_num_queries(11):
        assert client.get(URL, {"page": 2}).status_code == 200
