"""The in-app list of notifications, the unread count of the navigation, and opening one."""

import pytest
from django.urls import reverse

from assessments.events import Event, Kind
from notifications.models import Notification
from notifications.services import notify
from tests.factories import RoundFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def round(catalogue):
    return RoundFactory()


def tell(round, user, n=1, kind=Kind.RETURNED, **data):
    return notify([Event(kind, round, None, (user.pk,), data) for _ in range(n)])


def test_the_list_shows_the_persons_own_notifications_and_never_another_ones(client, round):
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    tell(round, ana, kind=Kind.VALIDATED, note="Well documented.")
    tell(round, ben, kind=Kind.OVERDUE)
    client.force_login(ana)
    response = client.get(reverse("notification_list"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "was validated" in content and "Well documented." in content
    assert "is overdue" not in content
    assert "Unread" in content and "Mark all as read" in content
    assert reverse("notification_preferences") in content


def test_the_list_is_paginated_newest_first(client, round):
    user = UserFactory()
    first = tell(round, user)[0]
    tell(round, user, n=25, kind=Kind.OVERDUE)
    client.force_login(user)
    page_1 = client.get(reverse("notification_list")).content.decode()
    page_2 = client.get(reverse("notification_list"), {"page": 2}).content.decode()
    assert page_1.count("is overdue") == 25 and "was returned" not in page_1
    assert reverse("notification_open", args=[first.pk]) in page_2 and "Page 2 of 2" in page_2
    assert client.get(reverse("notification_list"), {"page": "x"}).status_code == 200


def test_the_empty_list_says_so_and_offers_no_marking(client, db):
    client.force_login(UserFactory())
    content = client.get(reverse("notification_list")).content.decode()
    assert "You have no notifications yet." in content
    assert "Mark all as read" not in content


@pytest.mark.parametrize("n", [3, 60])
def test_the_list_costs_the_same_queries_however_many(client, round, n, django_assert_max_num_queries):
    user = UserFactory()
    for kind in (Kind.VALIDATED, Kind.SUBMITTED, Kind.MENTIONED):
        tell(round, user, n=n // 3, kind=kind, note="A note", indicator="G1", comment="See the minutes")
    client.force_login(user)
    # session, user, count, page, unread; the navigation: two for permissions, one for memberships
    with django_assert_max_num_queries(8):
        response = client.get(reverse("notification_list"))
    assert response.status_code == 200


def test_mark_all_as_read_marks_only_ones_own(client, round):
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    tell(round, ana, n=2)
    tell(round, ben)
    client.force_login(ana)
    assert client.get(reverse("notification_mark_read")).status_code == 405
    response = client.post(reverse("notification_mark_read"))
    assert response.status_code == 302
    assert not Notification.objects.for_user(ana).unread().exists()
    assert Notification.objects.for_user(ben).unread().count() == 1
    assert "Mark all as read" not in client.get(reverse("notification_list")).content.decode()


def test_opening_marks_read_and_goes_to_the_round(client, round):
    user = UserFactory()
    notification = tell(round, user)[0]
    client.force_login(user)
    response = client.get(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302
    assert response.url == reverse("round_detail", args=[round.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_another_persons_notification_is_not_found_and_stays_unread(client, round):
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    theirs = tell(round, ben)[0]
    client.force_login(ana)
    assert client.get(reverse("notification_open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_pages_need_a_login(client, db):
    for name in ("notification_list", "notification_preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response.url


def test_the_badge_counts_only_ones_own_unread(client, round):
    ana, ben = UserFactory(username="ana"), UserFactory(username="ben")
    tell(round, ana, n=3)
    tell(round, ben, n=5)
    Notification.objects.for_user(ana).filter(pk=Notification.objects.for_user(ana).first().pk).mark_read()
    client.force_login(ana)
    content = client.get(reverse("notification_badge")).content.decode()
    assert "2 unread" in content and "5" not in content


def test_the_badge_is_empty_without_unread_or_login(client, round):
    user = UserFactory()
    assert client.get(reverse("notification_badge")).content.decode().strip() == ""
    client.force_login(user)
    assert client.get(reverse("notification_badge")).content.decode().strip() == ""


def test_the_navigation_loads_the_badge_without_a_query_of_its_own(client, round):
    user = UserFactory()
    tell(round, user, n=4)
    client.force_login(user)
    content = client.get(reverse("notification_preferences")).content.decode()
    assert f'href="{reverse("notification_list")}"' in content
    assert f'hx-get="{reverse("notification_badge")}"' in content
    assert "4 unread" not in content
