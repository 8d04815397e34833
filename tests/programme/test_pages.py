"""The campaign pages, through the client: list, open, board, CSV, extend, close, and who may see them."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import Round, StatusEvent
from programme import services
from programme.models import Campaign, Extension, Participant
from tests.factories import AuthorityFactory, RoundFactory, UserFactory
from tests.world import answer

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def coordinator(db):
    user = UserFactory(username="cora-coordinator")
    user.user_permissions.add(Permission.objects.get(codename="open_rounds"))
    return user


@pytest.fixture
def signed_in(client, coordinator):
    client.force_login(coordinator)
    return client


def _open(coordinator, catalogue, authorities, *, period="2027", days=30, name="Campaign 2027"):
    return services.campaign_open(
        actor=coordinator,
        name=name,
        period=period,
        version=catalogue,
        due_date=TODAY() + datetime.timedelta(days=days),
        authorities=authorities,
    )


def _form(catalogue, **overrides):
    data = {
        "name": "Campaign 2027",
        "period": "2027",
        "version": catalogue.pk,
        "due_date": (TODAY() + datetime.timedelta(days=60)).isoformat(),
        "message": "Please fill in by the end of March.",
    }
    return {**data, **overrides}


def _rows(response) -> dict[str, Participant]:
    return {row.authority.name: row for row in response.context["page"].object_list}


# --- the list and the home page ------------------------------------------------------------------


def test_the_list_says_when_there_is_no_campaign_and_offers_to_open_one(signed_in, catalogue):
    response = signed_in.get(reverse("campaign_list"))
    html = response.content.decode()
    assert "No campaign is open" in html
    assert reverse("campaign_create") in html


def test_the_list_shows_open_and_closed_campaigns_with_their_counts(signed_in, coordinator, catalogue):
    had = AuthorityFactory(name="Had one")
    RoundFactory(authority=had, period="2027")
    campaign, _participants = _open(coordinator, catalogue, [had, *AuthorityFactory.create_batch(2)])
    old, _participants = _open(coordinator, catalogue, [AuthorityFactory()], period="2026", name="Old campaign")
    services.campaign_close(campaign=old, actor=coordinator)

    response = signed_in.get(reverse("campaign_list"))

    assert [c.name for c in response.context["open_campaigns"]] == ["Campaign 2027"]
    assert [c.name for c in response.context["closed_campaigns"]] == ["Old campaign"]
    [shown] = response.context["open_campaigns"]
    assert (shown.authority_count, shown.opened_count, shown.skipped_count) == (3, 2, 1)
    assert reverse("campaign_board", args=[campaign.pk]) in response.content.decode()


def test_the_home_page_lists_the_open_campaigns_for_coordinators_only(client, coordinator, catalogue, reviewer):
    campaign, _participants = _open(coordinator, catalogue, [AuthorityFactory()])
    client.force_login(coordinator)
    html = client.get(reverse("home")).content.decode()
    assert reverse("campaign_board", args=[campaign.pk]) in html
    assert reverse("campaign_list") in html

    client.force_login(reviewer)
    assert reverse("campaign_list") not in client.get(reverse("home")).content.decode()


# --- who may see the pages -----------------------------------------------------------------------


def _every_page(campaign: Campaign) -> list[tuple[str, str]]:
    participant = campaign.participants.first()
    return [
        ("get", reverse("campaign_list")),
        ("get", reverse("campaign_create")),
        ("post", reverse("campaign_create")),
        ("get", reverse("campaign_board", args=[campaign.pk])),
        ("get", reverse("campaign_export", args=[campaign.pk])),
        ("get", reverse("campaign_extend", args=[participant.pk])),
        ("post", reverse("campaign_extend", args=[participant.pk])),
        ("get", reverse("campaign_close", args=[campaign.pk])),
        ("post", reverse("campaign_close", args=[campaign.pk])),
    ]


@pytest.mark.parametrize("who", ["reviewer", "city member"])
def test_people_without_the_permission_get_a_404_everywhere(client, coordinator, catalogue, quito, reviewer, who):
    campaign, _participants = _open(coordinator, catalogue, [quito.authority])
    client.force_login(reviewer if who == "reviewer" else quito.approver)
    for method, url in _every_page(campaign):
        assert getattr(client, method)(url).status_code == 404, url
    campaign.refresh_from_db()
    assert campaign.is_open
    assert not Extension.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, coordinator, catalogue, quito):
    campaign, _participants = _open(coordinator, catalogue, [quito.authority])
    for method, url in _every_page(campaign):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


# --- opening a campaign --------------------------------------------------------------------------


def test_the_form_offers_the_published_versions_and_the_values_present(signed_in, catalogue):
    AuthorityFactory(country="Peru", region="Latin America and the Caribbean")
    AuthorityFactory(country="Ecuador", kind="province")
    form = signed_in.get(reverse("campaign_create")).context["form"]
    assert form["version"].value() == catalogue.pk
    assert {value for value, _label in form.fields["countries"].choices} == {"Peru", "Ecuador"}
    assert {value for value, _label in form.fields["kinds"].choices} == {"municipality", "province"}


def test_opening_by_filters_opens_rounds_and_says_which_authorities_were_skipped(signed_in, catalogue):
    first = AuthorityFactory(name="Ambato", country="Ecuador")
    had = AuthorityFactory(name="Cuenca", country="Ecuador")
    AuthorityFactory(name="Lima", country="Peru")
    earlier = RoundFactory(authority=had, period="2027")

    response = signed_in.post(reverse("campaign_create"), _form(catalogue, countries=["Ecuador"]), follow=True)

    campaign = Campaign.objects.get()
    assert response.redirect_chain[-1][0] == reverse("campaign_board", args=[campaign.pk])
    html = response.content.decode()
    assert "1 round opened; 1 authority skipped because it already had a round for 2027." in html
    assert campaign.message == "Please fill in by the end of March."
    opened = Round.objects.get(authority=first, period="2027")
    assert opened.due_date == TODAY() + datetime.timedelta(days=60)
    assert not Round.objects.filter(authority__name="Lima").exists()
    rows = _rows(response)
    assert set(rows) == {"Ambato", "Cuenca"}
    assert rows["Cuenca"].opened is False and rows["Cuenca"].round == earlier
    assert html.count("skipped: had a round already") == 1
    assert [p.authority.name for p in response.context["skipped"]] == ["Cuenca"]


def test_opening_by_a_list_of_slugs_opens_exactly_those(signed_in, catalogue):
    chosen = AuthorityFactory.create_batch(2)
    AuthorityFactory()
    slugs = f"\n  {chosen[0].slug}\r\n\n{chosen[1].slug}\n{chosen[0].slug}\n"

    response = signed_in.post(reverse("campaign_create"), _form(catalogue, slugs=slugs))

    assert response.status_code == 302
    assert set(Round.objects.values_list("authority_id", flat=True)) == {a.pk for a in chosen}
    assert "2 rounds opened." in [str(m) for m in response.wsgi_request._messages]


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"slugs": "city-known\nnowhere\natlantis"}, "Unknown authorities: atlantis, nowhere."),
        ({"countries": ["Ecuador"], "due_date": "2020-01-01"}, "The due date cannot be in the past."),
        ({}, "Choose the authorities: by kind, country or region, or by a list."),
        ({"countries": ["Ecuador"], "slugs": "city-known"}, "either by the filters or by a list, not both"),
        ({"countries": ["Ecuador"], "kinds": ["province"]}, "No authority matches these filters."),
        ({"countries": ["Atlantis"]}, "Select a valid choice"),
        ({"countries": ["Ecuador"], "period": "next year"}, "Enter a valid value"),
        ({"countries": ["Ecuador"], "period": "٢٠٢٧"}, "Enter a valid value"),  # Arabic-Indic digits: not 2027
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_written(signed_in, catalogue, overrides, error):
    AuthorityFactory(slug="city-known", country="Ecuador")
    AuthorityFactory(country="Peru", kind="province")

    response = signed_in.post(reverse("campaign_create"), _form(catalogue, **overrides))

    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Campaign.objects.exists()
    assert not Round.objects.exists()


# --- the board -----------------------------------------------------------------------------------


@pytest.fixture
def board(coordinator, catalogue, quito):
    """A campaign of three, due in 10 days: Quito with 3 answers, Lima 3 days overdue, Cuenca skipped (had a round)."""
    lima = AuthorityFactory(name="Lima", slug="lima", country="Peru")
    cuenca = AuthorityFactory(name="Cuenca", slug="cuenca", country="Ecuador")
    RoundFactory(authority=cuenca, period="2027")
    campaign, _participants = _open(coordinator, catalogue, [quito.authority, lima, cuenca], days=10)
    quito_round = Round.objects.get(authority=quito.authority, period="2027")
    for indicator in list(assessment_services.round_indicators(quito_round))[:3]:
        answer(quito_round, indicator.code, quito.editor, level=1)
    Round.objects.filter(authority=lima, period="2027").update(due_date=TODAY() - datetime.timedelta(days=3))
    return campaign


def test_the_board_shows_answered_shares_days_to_the_due_date_and_markers(signed_in, board, quito):
    total = len(assessment_services.round_indicators(Round.objects.get(authority=quito.authority, period="2027")))

    response = signed_in.get(reverse("campaign_board", args=[board.pk]))

    assert response.status_code == 200
    rows = _rows(response)
    assert list(rows) == ["Cuenca", "Lima", "Quito"]
    assert (rows["Quito"].answered, rows["Quito"].indicator_total) == (3, total)
    assert rows["Quito"].percent_answered == round(300 / total)
    assert (rows["Lima"].answered, rows["Lima"].days_left, rows["Lima"].is_overdue) == (0, -3, True)
    assert (rows["Quito"].days_left, rows["Quito"].is_overdue) == (10, False)
    html = response.content.decode()
    assert f"3 / {total}" in html
    assert '<strong class="text-danger days-left">-3</strong>' in html
    assert html.count(">Overdue</span>") == 1
    assert html.count("skipped: had a round already") == 1
    assert reverse("campaign_extend", args=[rows["Lima"].pk]) in html
    assert reverse("campaign_extend", args=[rows["Cuenca"].pk]) not in html  # skipped: not the campaign's round
    assert reverse("round_detail", args=[rows["Quito"].round_id]) in html


def test_the_last_activity_is_the_latest_answer_or_change_of_status(signed_in, board, quito):
    quito_round = Round.objects.get(authority=quito.authority, period="2027")
    latest_save = quito_round.answers.order_by("-updated_at").first().updated_at
    later = latest_save + datetime.timedelta(hours=5)
    quito_round.events.create(from_status=Round.Status.DRAFT, to_status=Round.Status.SUBMITTED, actor=quito.approver)
    StatusEvent.objects.filter(round=quito_round).update(at=later)

    rows = _rows(signed_in.get(reverse("campaign_board", args=[board.pk])))

    assert rows["Quito"].last_activity == later
    StatusEvent.objects.filter(round=quito_round).update(at=latest_save - datetime.timedelta(days=1))
    rows = _rows(signed_in.get(reverse("campaign_board", args=[board.pk])))
    assert rows["Quito"].last_activity == latest_save


def test_opening_the_round_or_moving_its_due_date_is_no_activity_of_the_authority(signed_in, board, coordinator, quito):
    quito_round = Round.objects.get(authority=quito.authority, period="2027")
    latest_save = quito_round.answers.order_by("-updated_at").first().updated_at
    StatusEvent.objects.filter(round=quito_round).update(at=latest_save - datetime.timedelta(days=1))
    for participant in Participant.objects.filter(campaign=board, authority__slug__in=["quito", "lima"]):
        services.campaign_extend(participant=participant, actor=coordinator, due_date=TODAY() + datetime.timedelta(40))
    assert StatusEvent.objects.filter(round=quito_round, at__gt=latest_save).exists()

    rows = _rows(signed_in.get(reverse("campaign_board", args=[board.pk])))

    assert rows["Quito"].last_activity == latest_save
    assert rows["Lima"].last_activity is None  # opened and extended, never touched by Lima
    lima_cell = signed_in.get(reverse("campaign_board", args=[board.pk]), {"country": "Peru"}).content.decode()
    assert '<td data-label="Last activity">—</td>' in lima_cell


@pytest.mark.parametrize(
    "query, shown",
    [
        ({"country": "Peru"}, ["Lima"]),
        ({"overdue": "on"}, ["Lima"]),
        ({"q": "qui"}, ["Quito"]),
        ({"status": "draft", "country": "Ecuador"}, ["Cuenca", "Quito"]),
        ({"status": "validated"}, []),
    ],
)
def test_the_board_filters(signed_in, board, query, shown):
    response = signed_in.get(reverse("campaign_board", args=[board.pk]), query)
    assert list(_rows(response)) == shown


def test_a_submitted_round_past_its_due_date_is_not_overdue(signed_in, board):
    lima_round = Round.objects.get(authority__slug="lima", period="2027")
    Round.objects.filter(pk=lima_round.pk).update(status=Round.Status.SUBMITTED)
    response = signed_in.get(reverse("campaign_board", args=[board.pk]), {"overdue": "on"})
    assert list(_rows(response)) == []


def test_a_bad_filter_is_a_form_error_not_a_crash(signed_in, board):
    response = signed_in.get(reverse("campaign_board", args=[board.pk]), {"status": "lost", "page": "x"})
    assert response.status_code == 422
    assert list(_rows(response)) == []
    assert signed_in.get(reverse("campaign_export", args=[board.pk]), {"country": "Atlantis"}).status_code == 400


def test_the_board_of_an_unknown_campaign_is_a_404(signed_in, catalogue):
    assert signed_in.get(reverse("campaign_board", args=[999999])).status_code == 404


def test_the_board_pages_by_fifty(signed_in, coordinator, catalogue):
    campaign, _participants = _open(coordinator, catalogue, AuthorityFactory.create_batch(51))
    first = signed_in.get(reverse("campaign_board", args=[campaign.pk]))
    assert len(first.context["page"].object_list) == 50
    second = signed_in.get(reverse("campaign_board", args=[campaign.pk]), {"page": 2})
    assert len(second.context["page"].object_list) == 1


# --- the CSV -------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_every_row_with_the_board_numbers(signed_in, board):
    response = signed_in.get(reverse("campaign_export", args=[board.pk]))
    header, *rows = _csv(response)
    assert header[:4] == ["Authority", "Slug", "Country", "Status"]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert list(by_name) == ["Cuenca", "Lima", "Quito"]
    assert by_name["Quito"]["Answered"] == "3"
    assert by_name["Lima"]["Days to the due date"] == "-3"
    assert by_name["Lima"]["Overdue"] == "yes"
    assert by_name["Quito"]["Overdue"] == "no"
    assert by_name["Cuenca"]["Skipped: had a round already"] == "yes"
    assert by_name["Quito"]["Skipped: had a round already"] == "no"
    assert by_name["Quito"]["Last activity"]


def test_the_csv_follows_the_board_filters(signed_in, board):
    _header, *rows = _csv(signed_in.get(reverse("campaign_export", args=[board.pk]), {"overdue": "on"}))
    assert [row[0] for row in rows] == ["Lima"]


# --- extending a due date ------------------------------------------------------------------------


def test_an_extension_is_recorded_with_the_round_history(signed_in, board, coordinator):
    participant = Participant.objects.get(campaign=board, authority__slug="lima")
    new = TODAY() + datetime.timedelta(days=20)

    response = signed_in.post(
        reverse("campaign_extend", args=[participant.pk]), {"due_date": new.isoformat(), "reason": "Elections"}
    )

    assert response.status_code == 302
    extension = Extension.objects.get(participant=participant)
    assert (extension.old_date, extension.new_date, extension.reason, extension.by) == (
        TODAY() - datetime.timedelta(days=3),
        new,
        "Elections",
        coordinator,
    )
    participant.round.refresh_from_db()
    assert participant.round.due_date == new
    event = StatusEvent.objects.filter(round=participant.round).latest("at", "id")
    assert "Elections" in event.note and event.actor == coordinator
    page = signed_in.get(reverse("campaign_extend", args=[participant.pk])).content.decode()
    assert "Elections" in page
    rows = _rows(signed_in.get(reverse("campaign_board", args=[board.pk])))
    assert (rows["Lima"].days_left, rows["Lima"].is_overdue) == (20, False)


def test_an_extension_to_a_past_date_is_refused(signed_in, board):
    participant = Participant.objects.get(campaign=board, authority__slug="lima")
    response = signed_in.post(
        reverse("campaign_extend", args=[participant.pk]), {"due_date": "2020-01-01", "reason": "x"}
    )
    assert response.status_code == 422
    assert "The due date cannot be in the past." in response.content.decode()
    assert not Extension.objects.exists()


def test_a_closed_campaign_cannot_be_extended(signed_in, board, coordinator):
    services.campaign_close(campaign=board, actor=coordinator)
    participant = Participant.objects.get(campaign=board, authority__slug="lima")
    response = signed_in.post(
        reverse("campaign_extend", args=[participant.pk]),
        {"due_date": (TODAY() + datetime.timedelta(days=5)).isoformat()},
    )
    assert response.status_code == 422
    assert "This campaign is closed." in response.content.decode()
    assert not Extension.objects.exists()
    assert (
        reverse("campaign_extend", args=[participant.pk])
        not in signed_in.get(reverse("campaign_board", args=[board.pk])).content.decode()
    )


# --- closing -------------------------------------------------------------------------------------


def test_closing_asks_first_then_closes(signed_in, board, coordinator):
    url = reverse("campaign_close", args=[board.pk])
    confirm = signed_in.get(url)
    assert confirm.status_code == 200
    assert "Its board stays readable" in confirm.content.decode()
    board.refresh_from_db()
    assert board.is_open

    response = signed_in.post(url, follow=True)

    board.refresh_from_db()
    assert board.closed_by == coordinator and board.closed_at is not None
    assert "The campaign is closed." in response.content.decode()
    assert signed_in.post(url).status_code == 409


# --- query counts --------------------------------------------------------------------------------

# Session, user, permissions (2), campaign, the countries present, then the board: count, page, the skipped list
# (and the navigation's membership check); the CSV streams the rows through one server-side cursor.
BOARD_QUERIES = 10
CSV_QUERIES = 7


@pytest.mark.parametrize("size", [3, 30])
def test_the_board_and_the_csv_cost_the_same_queries_for_3_or_30_authorities(
    signed_in, coordinator, catalogue, size, django_assert_max_num_queries
):
    authorities = AuthorityFactory.create_batch(size)
    RoundFactory(authority=authorities[0], period="2027")  # one skipped
    campaign, _participants = _open(coordinator, catalogue, authorities)
    board_url = reverse("campaign_board", args=[campaign.pk])
    export_url = reverse("campaign_export", args=[campaign.pk])
    signed_in.get(board_url)  # warm the session and the per-process caches

    with django_assert_max_num_queries(BOARD_QUERIES):
        response = signed_in.get(board_url, {"country": "Ecuador"})
    assert len(response.context["page"].object_list) == size
    with django_assert_max_num_queries(CSV_QUERIES):
        rows = _csv(signed_in.get(export_url))
    assert len(rows) == size + 1


def test_the_board_query_count_does_not_grow_with_the_authorities(signed_in, coordinator, catalogue):
    counts = []
    for period, size in (("2027", 3), ("2028", 30)):
        campaign, _participants = _open(coordinator, catalogue, AuthorityFactory.create_batch(size), period=period)
        signed_in.get(reverse("campaign_board", args=[campaign.pk]))
        with CaptureQueriesContext(connection) as board_queries:
            signed_in.get(reverse("campaign_board", args=[campaign.pk]))
        with CaptureQueriesContext(connection) as csv_queries:
            b"".join(signed_in.get(reverse("campaign_export", args=[campaign.pk])).streaming_content)
        counts.append((len(board_queries), len(csv_queries)))
    assert counts[0] == counts[1]


def test_a_skipped_authority_cannot_be_extended_through_the_page(signed_in, board):
    participant = Participant.objects.get(campaign=board, authority__slug="cuenca")
    due_date = participant.round.due_date

    response = signed_in.post(
        reverse("campaign_extend", args=[participant.pk]),
        {"due_date": (TODAY() + datetime.timedelta(days=5)).isoformat()},
    )

    assert response.status_code == 422
    assert "This authority was skipped" in response.content.decode()
    assert not Extension.objects.exists()
    assert Round.objects.get(pk=participant.round_id).due_date == due_date
