"""Improvement plans on the dashboards: reviewers count actions by status across authorities, a city follows
its plan over its rounds, and the public page shows the actions marked public of published rounds only.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Answer, Authority, Round
from indicators.models import Dimension, Indicator
from plans.models import Action, ActionIndicator, Plan
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PAST = date(2020, 1, 1)  # an open action due then is overdue
FUTURE = date(2099, 1, 1)


def make_round(authority, version, period, *, status=Round.Status.VALIDATED, published=False, levels=None) -> Round:
    """A round made directly, with the city's answers at ``levels`` ({code: level}) if given."""
    round = Round.objects.create(
        authority=authority,
        version=version,
        period=period,
        status=status,
        validated_at=timezone.now() if status == Round.Status.VALIDATED else None,
        publication_consent=published,
    )
    for code, level in (levels or {}).items():
        Answer.objects.create(
            round=round, indicator=Indicator.objects.get(version=version, code=code), response="level", level=level
        )
    return round


def make_action(origin: Round, title: str, *, status="planned", due=FUTURE, public=False, targets=None) -> Action:
    """An action written straight to the database, linked to ``targets`` ({code: target level})."""
    plan, _created = Plan.objects.get_or_create(authority=origin.authority)
    action = Action.objects.create(
        plan=plan,
        origin_round=origin,
        title=title,
        owner="Secret Owner Office",
        start_date=date(2019, 1, 1),
        due_date=due,
        status=status,
        drop_reason="No budget" if status == "dropped" else "",
        public=public,
        created_by=UserFactory(username="action-maker"),
    )
    for code, level in (targets or {"HC-01": 3}).items():
        ActionIndicator.objects.create(
            action=action, indicator=Indicator.objects.get(version=origin.version, code=code), target_level=level
        )
    return action


@pytest.fixture
def plans(catalogue):
    """Accra, Naga and Quito with validated rounds; Naga has no plan; Lima has a draft only."""
    made = {}
    for slug, country in [("quito", "Ecuador"), ("accra", "Ghana"), ("naga", "Philippines")]:
        authority = AuthorityFactory(slug=slug, name=slug.title(), country=country)
        made[slug] = make_round(authority, catalogue, "2025")
    quito, accra = made["quito"], made["accra"]
    make_action(quito, "Q planned", status="planned")
    make_action(quito, "Q late", status="planned", due=PAST)
    make_action(quito, "Q done", status="done", due=PAST)  # done: never overdue
    make_action(accra, "A going, late", status="in_progress", due=PAST)
    make_action(accra, "A dropped", status="dropped", due=PAST)
    lima = AuthorityFactory(slug="lima", name="Lima")
    make_action(make_round(lima, catalogue, "2025", status=Round.Status.DRAFT), "L planned")
    return made


# --- reviewers: actions by status across authorities ---------------------------------------------------


def test_reviewers_see_action_counts_per_status_and_overdue_for_each_authority_by_name_and_in_total(
    client, reviewer, plans
):
    client.force_login(reviewer)

    response = client.get(reverse("reviewer_dashboard"))

    table = response.context["plan_status"]
    assert table.headers == ["Authority", "Planned", "In progress", "Done", "Dropped", "Overdue"]
    # By name, never a ranking; Naga, with no plan, counts zero; Lima's plan counts though its round is a draft.
    assert table.rows == [
        ["Accra", 0, 1, 0, 1, 1],
        ["Lima", 1, 0, 0, 0, 0],
        ["Naga", 0, 0, 0, 0, 0],
        ["Quito", 2, 0, 1, 0, 1],
    ]
    assert table.total == ["Total", 3, 1, 1, 1, 2]
    assert (
        "3 of 4 authorities have actions in their improvement plans. Open actions past their due date: 2."
        in table.summary
    )
    body = response.content.decode()
    assert '<section class="card mb-4" aria-labelledby="plan_status-title">' in body
    assert "<caption>3 of 4 authorities" in body and '<th scope="row">Total</th>' in body


def test_the_dashboard_filters_choose_whose_plans_are_counted(client, reviewer, plans):
    client.force_login(reviewer)

    table = client.get(reverse("reviewer_dashboard"), {"country": "Ghana"}).context["plan_status"]

    assert table.rows == [["Accra", 0, 1, 0, 1, 1]]


def test_city_users_never_see_the_reviewers_plan_counts(client, plans):
    client.force_login(MembershipFactory(authority=plans["quito"].authority).user)

    assert client.get(reverse("reviewer_dashboard")).status_code == 404


@pytest.mark.parametrize("authorities", [3, 30])
def test_the_reviewers_plan_counts_take_one_query_whatever_the_number_of_authorities(
    client, reviewer, catalogue, django_assert_max_num_queries, authorities
):
    for n in range(authorities):
        round = make_round(AuthorityFactory(), catalogue, "2025")
        make_action(round, f"Action {n}", status="planned", due=PAST if n % 2 else FUTURE)
    client.force_login(reviewer)

    # The dashboard's five panels and filters (tests/dashboard/test_dashboards.py) and one count of the plans.
    with django_assert_max_num_queries(20):
        response = client.get(reverse("reviewer_dashboard"))
    assert response.context["plan_status"].total == ["Total", authorities, 0, 0, 0, authorities // 2]


# --- a city: its plan over its rounds -----------------------------------------------------------------------


@pytest.fixture
def quito_rounds(catalogue):
    """Quito's 2023 round (HC-01 at 1) and 2025 round (HC-01 at 2, HC-02 at 3), both validated, and a 2027 draft."""
    quito = AuthorityFactory(slug="quito", name="Quito")
    rounds = {
        "2023": make_round(quito, catalogue, "2023", levels={"HC-01": 1, "HC-02": 1}),
        "2025": make_round(quito, catalogue, "2025", levels={"HC-01": 2, "HC-02": 3}),
        "2027": make_round(quito, catalogue, "2027", status=Round.Status.DRAFT),
    }
    make_action(rounds["2023"], "Committee", status="done", due=PAST, targets={"HC-01": 2})
    make_action(rounds["2023"], "Plan chapter", status="planned", due=PAST, targets={"HC-02": 3, "HC-01": 4})
    make_action(rounds["2025"], "Dropped", status="dropped", targets={"HC-02": 2})
    make_action(rounds["2025"], "Going", status="in_progress", targets={"HC-01": 3})
    return rounds


def test_a_city_sees_its_plans_progress_round_by_round(client, quito_rounds):
    client.force_login(MembershipFactory(authority=quito_rounds["2023"].authority).user)

    response = client.get(reverse("authority_dashboard"))

    table = response.context["plan_progress"]
    assert table.headers == [
        "Round",
        "Actions made",
        "Done",
        "Dropped",
        "Open",
        "Overdue",
        "Indicators at target",
    ]
    assert table.rows == [
        # Made in 2023: two, one done, one open and late; in 2023 no linked indicator is at its target.
        ["2023 · Validated", 2, 1, 0, 1, 1, 0],
        # In 2025: HC-01 (2) reached the committee's target 2, HC-02 (3) the plan chapter's 3 and the dropped one's 2.
        ["2025 · Validated", 2, 0, 1, 1, 0, 2],
        # The 2027 draft has no answers yet: nothing reached.
        ["2027 · Draft", 0, 0, 0, 0, 0, 0],
    ]
    assert "Quito: improvement plan over rounds" in response.content.decode()


def test_a_city_never_sees_another_citys_plan_on_its_dashboard(client, quito_rounds, catalogue):
    lima = AuthorityFactory(slug="lima", name="Lima")
    make_round(lima, catalogue, "2025")
    client.force_login(MembershipFactory(authority=lima).user)

    response = client.get(reverse("authority_dashboard"), {"authority": "quito"})

    assert response.context["chosen"] == lima
    assert response.context["plan_progress"].rows == [["2025 · Validated", 0, 0, 0, 0, 0, 0]]
    assert "Plan chapter" not in response.content.decode()


@pytest.mark.parametrize("rounds", [1, 5])
def test_the_citys_plan_progress_takes_the_same_queries_whatever_the_number_of_rounds_and_actions(
    client, catalogue, django_assert_max_num_queries, rounds
):
    quito = AuthorityFactory(slug="quito", name="Quito")
    for n in range(rounds):
        round = make_round(quito, catalogue, str(2015 + 2 * n), levels={"HC-01": n % 5, "VC-02": 2})
        for m in range(n + 1):
            make_action(round, f"Action {n}.{m}", targets={"HC-01": 2, "VC-02": 3})
    client.force_login(MembershipFactory(authority=quito).user)

    # The dashboard's trend and profile, the plan over rounds: rounds, counts, links and their levels (5), and
    # whether the menu shows the improvement plans (base.html: is this member a member anywhere, one query).
    with django_assert_max_num_queries(19):
        response = client.get(reverse("authority_dashboard"))
    assert len(response.context["plan_progress"].rows) == rounds


# --- the public page ----------------------------------------------------------------------------------------


@pytest.fixture
def public_world(catalogue):
    """Quito and Accra published 2025; Lima validated without consent; Bogotá has a draft only."""
    quito = make_round(AuthorityFactory(slug="quito", name="Quito"), catalogue, "2025", published=True)
    accra = make_round(AuthorityFactory(slug="accra", name="Accra"), catalogue, "2025", published=True)
    lima = make_round(AuthorityFactory(slug="lima", name="Lima"), catalogue, "2025", published=False)
    bogota = make_round(AuthorityFactory(slug="bogota", name="Bogotá"), catalogue, "2025", status=Round.Status.DRAFT)
    make_action(quito, "Quito public committee", public=True, status="in_progress", targets={"HC-01": 3, "VC-02": 2})
    make_action(quito, "Quito internal note", public=False)
    make_action(accra, "Accra public desk", public=True, due=date(2026, 3, 31))
    make_action(lima, "Lima public but unpublished", public=True)
    make_action(bogota, "Bogota public but draft", public=True)
    later = make_round(quito.authority, catalogue, "2027", status=Round.Status.DRAFT)
    make_action(later, "Quito public, made after 2025", public=True)
    return {"quito": quito, "accra": accra, "lima": lima, "bogota": bogota}


def test_the_public_page_shows_public_actions_of_published_rounds_with_title_status_due_date_and_codes(
    client, public_world
):
    response = client.get(reverse("public_dashboard"), {"period": "2025"})

    assert response.status_code == 200
    groups = [(authority.name, [a.title for a in actions]) for authority, actions in response.context["public_actions"]]
    assert groups == [("Accra", ["Accra public desk"]), ("Quito", ["Quito public committee"])]
    body = response.content.decode()
    section = body[body.index('<section aria-labelledby="public-actions-title">') :]
    assert "Quito public committee" in section and "In progress" in section and "HC-01, VC-02" in section
    assert "March 31, 2026" in section


def test_nothing_but_actions_marked_public_of_published_rounds_reaches_the_public_page(client, public_world):
    body = client.get(reverse("public_dashboard"), {"period": "2025"}).content.decode()

    assert "Quito internal note" not in body  # not marked public
    assert "Lima public but unpublished" not in body  # validated without consent
    assert "Bogota public but draft" not in body  # a draft is never published
    assert "Quito public, made after 2025" not in body  # not an action of the published period
    assert "Secret Owner Office" not in body  # an action's owner is not published


def test_withdrawing_consent_takes_the_actions_off_the_public_page(client, public_world):
    Round.objects.filter(pk=public_world["quito"].pk).update(publication_consent=False)

    body = client.get(reverse("public_dashboard"), {"period": "2025"}).content.decode()

    assert "Quito public committee" not in body and "Accra public desk" in body


def test_a_published_period_without_public_actions_says_so(client, catalogue):
    make_round(AuthorityFactory(slug="quito", name="Quito"), catalogue, "2025", published=True)

    body = client.get(reverse("public_dashboard")).content.decode()

    assert "None of these authorities has made an improvement action public." in body


@pytest.mark.parametrize("authorities", [2, 20])
def test_the_public_pages_actions_take_two_queries_whatever_their_number(
    client, catalogue, django_assert_max_num_queries, authorities
):
    for n in range(authorities):
        round = make_round(AuthorityFactory(), catalogue, "2025", published=True)
        make_action(round, f"Public {n}", public=True, targets={"HC-01": 3, "VC-02": 2})

    # The page without signing in (its rounds a page at a time: the page and their count), and the actions with
    # their linked indicators (two queries).
    with django_assert_max_num_queries(7):
        response = client.get(reverse("public_dashboard"))
    assert sum(len(actions) for _authority, actions in response.context["public_actions"]) == authorities


def test_overdue_counts_follow_the_calendar(client, reviewer, catalogue):
    round = make_round(AuthorityFactory(name="Quito"), catalogue, "2025")
    make_action(round, "Due yesterday", due=timezone.localdate() - timedelta(days=1))
    make_action(round, "Due today", due=timezone.localdate())
    client.force_login(reviewer)

    table = client.get(reverse("reviewer_dashboard")).context["plan_status"]

    assert table.rows == [["Quito", 2, 0, 0, 0, 1]]


# --- reviewers: whose plans are counted ---------------------------------------------------------------------


def test_a_plan_whose_rounds_are_not_yet_validated_is_counted_for_reviewers(client, reviewer, catalogue):
    """A plan needs no validated round: an authority with only a submitted round and a plan is in the table."""
    bogota = AuthorityFactory(slug="bogota", name="Bogotá", country="Colombia")
    make_action(make_round(bogota, catalogue, "2025", status=Round.Status.SUBMITTED), "B late", due=PAST)
    client.force_login(reviewer)

    table = client.get(reverse("reviewer_dashboard")).context["plan_status"]

    assert table.rows == [["Bogotá", 1, 0, 0, 0, 1]]


def test_only_the_filters_on_authorities_choose_whose_plans_are_counted(client, reviewer, plans, catalogue):
    """Country, region and kind narrow the plans; period and catalogue version choose rounds, not plans."""
    make_round(plans["accra"].authority, catalogue, "2023")
    accra = plans["accra"].authority
    client.force_login(reviewer)

    def names(**params) -> list[str]:
        return [row[0] for row in client.get(reverse("reviewer_dashboard"), params).context["plan_status"].rows]

    assert names(period="2023") == ["Accra", "Lima", "Naga", "Quito"]
    assert names(country="Ghana", period="2023") == ["Accra"]
    assert names(region=accra.region, kind=accra.kind) == [
        a.name for a in Authority.objects.filter(region=accra.region, kind=accra.kind).order_by("name")
    ]


def test_reviewers_see_authorities_without_a_plan_or_a_round_with_zero_actions(client, reviewer, catalogue):
    """Authorities that have no plan and no round are listed too, with zero actions (the table counts, never ranks)."""
    AuthorityFactory(name="Zaragoza")
    client.force_login(reviewer)

    table = client.get(reverse("reviewer_dashboard")).context["plan_status"]

    assert table.rows == [["Zaragoza", 0, 0, 0, 0, 0]]


# --- a city: what "indicators at target" counts ---------------------------------------------------------------


def test_indicators_of_a_dimension_a_round_left_out_never_count_as_at_target(client, catalogue):
    """DC-01 answered at 4 in a round that left DC out is no part of that round: not at target there."""
    quito = AuthorityFactory(slug="quito", name="Quito")
    origin = make_round(quito, catalogue, "2023", levels={"DC-01": 1, "HC-01": 1})
    later = make_round(quito, catalogue, "2025", levels={"DC-01": 4, "HC-01": 3})
    later.omitted_dimensions.add(Dimension.objects.get(version=catalogue, code="DC"))
    make_action(origin, "Diaspora desk", targets={"DC-01": 3, "HC-01": 3})
    client.force_login(MembershipFactory(authority=quito).user)

    table = client.get(reverse("authority_dashboard")).context["plan_progress"]

    assert [row[-1] for row in table.rows] == [0, 1]  # in 2025 only HC-01 reached its target


def test_an_answer_carried_over_and_not_confirmed_never_counts_as_at_target(client, catalogue):
    """A level carried over from 2023 and not yet confirmed in 2025 is not 2025's level."""
    quito = AuthorityFactory(slug="quito", name="Quito")
    origin = make_round(quito, catalogue, "2023", levels={"HC-01": 3})
    later = make_round(quito, catalogue, "2025", status=Round.Status.DRAFT, levels={"HC-01": 3})
    Answer.objects.filter(round=later).update(carried_over=True)
    make_action(origin, "Committee", targets={"HC-01": 3})
    client.force_login(MembershipFactory(authority=quito).user)

    table = client.get(reverse("authority_dashboard")).context["plan_progress"]

    assert [row[-1] for row in table.rows] == [1, 0]
