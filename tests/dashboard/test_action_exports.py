"""The export of improvement actions: tidy rows (action × linked indicator), the plans' permission scopes,
filters, formats and query counts.
"""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Round
from plans.models import ActionUpdate
from tests.dashboard.test_plan_dashboards import PAST, make_action, make_round
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

COLUMNS = [
    "authority",
    "authority_slug",
    "action_id",
    "title",
    "status",
    "owner",
    "start_date",
    "due_date",
    "overdue",
    "budget",
    "budget_amount",
    "indicator",
    "target_level",
    "origin_period",
    "last_update",
]


def download(client, fmt: str = "csv", **filters) -> list[dict]:
    """Fetch the action export as a user would and read it back as one dict per row."""
    response = client.get(reverse("export_actions", args=[fmt]), filters)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
        reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
        rows = list(reader)
        assert reader.fieldnames == COLUMNS
        return rows
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    header, *rows = sheet.iter_rows(values_only=True)
    assert list(header) == COLUMNS
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def two_cities(catalogue):
    """Quito (a validated 2023 round, a draft 2025 round) and Lima (a validated 2025 round), each with a plan."""
    quito = AuthorityFactory(slug="quito", name="Quito", country="Ecuador")
    lima = AuthorityFactory(slug="lima", name="Lima", country="Perú")
    q2023 = make_round(quito, catalogue, "2023")
    q2025 = make_round(quito, catalogue, "2025", status=Round.Status.DRAFT)
    l2025 = make_round(lima, catalogue, "2025")
    committee = make_action(q2023, "Committee", status="in_progress", due=PAST, targets={"HC-01": 3, "VC-02": 4})
    committee.budget, committee.budget_amount = "partial", Decimal("12500.00")
    committee.save(update_fields=["budget", "budget_amount"])
    author = UserFactory(username="writer")
    ActionUpdate.objects.create(action=committee, date=date(2024, 5, 1), text="Met.", author=author)
    ActionUpdate.objects.create(action=committee, date=date(2024, 9, 1), text="Met again.", author=author)
    make_action(q2025, "Desk", status="done", due=PAST, targets={"SP-01": 2})
    make_action(l2025, "Lima secret", status="planned", targets={"HC-02": 3})
    return {"quito": quito, "lima": lima, "committee": committee}


def test_the_csv_has_one_row_per_action_and_linked_indicator_with_every_column(client, two_cities):
    client.force_login(MembershipFactory(authority=two_cities["quito"]).user)

    rows = download(client)

    committee = two_cities["committee"]
    assert [(row["title"], row["indicator"]) for row in rows] == [
        ("Committee", "HC-01"),
        ("Committee", "VC-02"),
        ("Desk", "SP-01"),
    ]
    assert rows[0] == {
        "authority": "Quito",
        "authority_slug": "quito",
        "action_id": str(committee.pk),
        "title": "Committee",
        "status": "in_progress",
        "owner": "Secret Owner Office",
        "start_date": "2019-01-01",
        "due_date": PAST.isoformat(),
        "overdue": "true",  # open and past its due date
        "budget": "partial",
        "budget_amount": "12500.00",
        "indicator": "HC-01",
        "target_level": "3",
        "origin_period": "2023",
        "last_update": "2024-09-01",
    }
    assert rows[1]["target_level"] == "4"
    desk = rows[2]
    assert (desk["status"], desk["overdue"], desk["origin_period"], desk["last_update"]) == (
        "done",
        "false",
        "2025",
        "",
    )


def test_the_xlsx_carries_the_same_rows_with_dates_and_numbers(client, two_cities):
    client.force_login(MembershipFactory(authority=two_cities["quito"]).user)

    rows = download(client, "xlsx")

    assert len(rows) == 3
    first = rows[0]
    assert first["due_date"].date() == PAST and first["last_update"].date() == date(2024, 9, 1)
    assert first["target_level"] == 3 and first["overdue"] is True and first["budget_amount"] == 12500


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_editor_of_another_city_never_gets_the_first_citys_actions(client, two_cities, fmt):
    client.force_login(MembershipFactory(authority=two_cities["lima"]).user)

    rows = download(client, fmt)

    assert {row["authority_slug"] for row in rows} == {"lima"}
    assert [row["title"] for row in rows] == ["Lima secret"]


def test_someone_without_a_membership_gets_no_rows(client, two_cities):
    client.force_login(UserFactory(username="stranger"))

    assert download(client) == []


def test_a_reviewer_gets_every_plans_actions(client, reviewer, two_cities):
    client.force_login(reviewer)

    rows = download(client)

    assert [row["authority_slug"] for row in rows] == ["lima", "quito", "quito", "quito"]  # by authority name


def test_the_filters_narrow_by_the_origin_rounds_period_the_country_and_the_status(client, reviewer, two_cities):
    client.force_login(reviewer)

    assert {row["title"] for row in download(client, period="2025")} == {"Desk", "Lima secret"}
    assert {row["title"] for row in download(client, country="perú")} == {"Lima secret"}
    assert {row["title"] for row in download(client, status="done")} == {"Desk"}
    assert download(client, status="done", country="Perú") == []


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"status": "validated"}, "status: Unknown status “validated”."),
        ({"period": "25"}, "period: Give the period as a year, such as 2025."),
    ],
)
def test_bad_filters_are_refused_with_a_plain_message(client, two_cities, filters, message):
    client.force_login(MembershipFactory(authority=two_cities["quito"]).user)

    response = client.get(reverse("export_actions", args=["csv"]), filters)

    assert response.status_code == 400
    assert response.content.decode() == message


def test_an_unknown_format_is_not_found_and_anonymous_visitors_are_sent_to_log_in(client, two_cities):
    url = reverse("export_actions", args=["csv"])
    assert client.get(url)["Location"] == f"{reverse('login')}?next={url}"
    client.force_login(MembershipFactory(authority=two_cities["quito"]).user)
    assert client.get(reverse("export_actions", args=["json"])).status_code == 404


def test_an_action_due_today_is_not_overdue_yet(client, catalogue):
    quito = AuthorityFactory(slug="quito", name="Quito")
    round = make_round(quito, catalogue, "2025")
    make_action(round, "Today", due=timezone.localdate())
    make_action(round, "Yesterday", due=timezone.localdate() - timedelta(days=1))
    client.force_login(MembershipFactory(authority=quito).user)

    assert {row["title"]: row["overdue"] for row in download(client)} == {"Today": "false", "Yesterday": "true"}


@pytest.mark.parametrize("actions", [1, 20])
def test_the_export_is_one_query_whatever_the_number_of_actions(
    client, reviewer, catalogue, django_assert_max_num_queries, actions
):
    for n in range(actions):
        round = make_round(AuthorityFactory(), catalogue, "2025")
        action = make_action(round, f"Action {n}", targets={"HC-01": 3, "VC-02": 2})
        ActionUpdate.objects.create(action=action, text="Progress.", author=reviewer)
    client.force_login(reviewer)

    for fmt in ("csv", "xlsx"):
        # Session, user, the reviewer's two permission queries, the export itself.
        with django_assert_max_num_queries(5):
            response = client.get(reverse("export_actions", args=[fmt]))
            content = b"".join(response.streaming_content)
        assert len(content) > 0
