"""The header's menu offers each person what their roles let them open, from roles loaded once per request."""

import pytest
from django.contrib.auth.models import User as DjangoUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.services import round_create
from tests.factories import UserFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db

QUEUE, PLANS, PEERS = "Review queue", "Improvement plans", "Progress and peers"


def _menu(client, user) -> str:
    client.force_login(user)
    body = client.get(reverse("methodology")).content.decode()
    return body.split('id="main-nav"')[1].split("</ul>")[0]


def test_a_reviewer_is_offered_the_queue_and_the_plans(client, reviewer):
    menu = _menu(client, reviewer)
    assert QUEUE in menu and PLANS in menu and PEERS not in menu


def test_a_member_is_offered_the_plans_and_their_progress_not_the_queue(client):
    menu = _menu(client, make_city("quito").editor)
    assert PLANS in menu and PEERS in menu and QUEUE not in menu


def test_a_signed_in_person_without_a_role_is_offered_neither(client):
    menu = _menu(client, UserFactory(username="nobody"))
    assert QUEUE not in menu and PLANS not in menu


def test_an_administrator_is_offered_the_queue(client):
    admin = DjangoUser.objects.create_superuser("root", "root@example.org", "x")
    assert QUEUE in _menu(client, admin)


def test_a_page_asks_for_the_users_roles_once(client):
    """The view's access checks, its slots and the menu read the roles the request loaded (RolesMiddleware)."""
    city = make_city("quito")
    round = round_create(authority=city.authority, period="2030", actor=city.approver)
    client.force_login(city.editor)
    client.get(reverse("round_dimension", args=[round.pk, "HC"]))  # warm the catalogue kept per process
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("round_dimension", args=[round.pk, "HC"]))
    assert response.status_code == 200 and PLANS in response.content.decode()
    asking_roles = [q["sql"] for q in queries if "assessments_membership" in q["sql"] or "auth_permission" in q["sql"]]
    assert len(asking_roles) == 1, asking_roles
