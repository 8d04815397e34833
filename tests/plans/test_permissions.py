"""Who may do what to a plan: every URL of ``plans.urls`` requested as every role.

Authority A (Atlantis) has a draft round and one action on HC-01 with a progress update carrying a
PDF. Authority B (Borealis) is another city, whose editor must learn nothing of A's plan (a 404,
and none of its words in the answer). Programme reviewers read every plan and comment, but change
nothing (403); members of A change A's plan; a superuser may do everything. Someone signed in with no role
at all (no membership, no programme role) learns nothing of any plan: a 404 on every URL, the list included.

``MATRIX`` has one row per URL name: how to build the URL's arguments and the POST data from the
world, the method, and the status each role gets. A URL added to ``plans/urls.py`` without a row
fails ``test_the_matrix_covers_every_url_of_the_plans``; adding a row is a few lines.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Authority, Membership, Round
from indicators.models import Indicator
from plans import services
from plans.models import (
    Action,
    ActionComment,
    ActionIndicator,
    ActionRevision,
    ActionUpdate,
    PlanTarget,
    SuggestionDismissal,
)
from plans.urls import urlpatterns
from tests.factories import AuthorityFactory, MembershipFactory, RoundFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = ("anonymous", "editor_a", "approver_a", "editor_b", "reviewer", "superuser", "no_role")
# What B's editor, and someone with no role, must never read about A.
SECRETS = ["Atlantis", "A register of newcomers in the old customs house", "register-scan.pdf"]


@dataclass
class World:
    authority_a: Authority
    round_a: Round
    action: Action
    update: ActionUpdate
    users: dict


@pytest.fixture
def world(catalogue, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    atlantis = AuthorityFactory(name="Atlantis", slug="atlantis")
    borealis = AuthorityFactory(name="Borealis", slug="borealis", country="Norway")
    reviewers = Group.objects.create(name="Programme reviewers")
    reviewers.permissions.add(Permission.objects.get(codename="review_round"))
    users = {
        "anonymous": None,
        "editor_a": MembershipFactory(authority=atlantis, role=Membership.Role.EDITOR).user,
        "approver_a": MembershipFactory(authority=atlantis, role=Membership.Role.APPROVER).user,
        "editor_b": MembershipFactory(authority=borealis, role=Membership.Role.EDITOR).user,
        "reviewer": UserFactory(),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "no_role": UserFactory(),
    }
    users["reviewer"].groups.add(reviewers)
    round_a = RoundFactory(authority=atlantis, period="2025", actor=users["approver_a"])
    action = services.action_create(
        authority=atlantis,
        origin_round=round_a,
        actor=users["editor_a"],
        title="A register of newcomers in the old customs house",
        owner="Harbour office",
        start_date=datetime.date(2025, 1, 1),
        due_date=datetime.date(2026, 1, 1),
        targets={Indicator.objects.get(version=round_a.version, code="HC-01"): 3},
    )
    update = services.update_add(
        action=action,
        actor=users["editor_a"],
        text="The register is scanned.",
        file=SimpleUploadedFile("register-scan.pdf", PDF),
    )
    return World(atlantis, round_a, action, update, users)


# --- the matrix ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One URL: its method, how to build its arguments (and POST data), and each signed-in role's status.

    ``writes``: a 302 on this row means the change was made (the plan's data differs afterwards);
    every other answer must leave the data as it was. Anonymous visitors always go to the log-in.
    """

    method: str
    args: Callable[[World], list]
    expected: dict[str, int]
    data: Callable[[World], dict] = field(default=lambda world: {})
    writes: bool = False


def _roles(editor_a, approver_a, editor_b, reviewer, superuser, no_role=404) -> dict[str, int]:
    """Each signed-in role's status; someone with no role gets a 404 everywhere unless a row says otherwise."""
    return {
        "editor_a": editor_a,
        "approver_a": approver_a,
        "editor_b": editor_b,
        "reviewer": reviewer,
        "superuser": superuser,
        "no_role": no_role,
    }


READ = _roles(200, 200, 404, 200, 200)  # a page of A's plan
EDIT_PAGE = _roles(200, 200, 404, 403, 200)  # a form that changes A's plan
EDIT = _roles(302, 302, 404, 403, 302)  # a change to A's plan
COMMENT = _roles(403, 403, 404, 302, 302)


def _plan(world: World) -> list:
    return [world.authority_a.slug]


def _action(world: World) -> list:
    return [world.authority_a.slug, world.action.pk]


def _action_data(world: World) -> dict:
    data = {
        "title": "A register of newcomers, online too",
        "owner": "Harbour office",
        "start_date": "2025-01-01",
        "due_date": "2026-01-01",
        "budget": "none",
        "base_revision": str(world.action.revision),
        "links-TOTAL_FORMS": "1",
        "links-INITIAL_FORMS": "0",
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "1000",
        "links-0-indicator": "HC-02",
        "links-0-target_level": "4",
    }
    return data


MATRIX: dict[str, Row] = {
    # Members of one authority go straight to its plan; reviewers and the superuser get the list; no role, a 404.
    "plan_list": Row("GET", lambda world: [], _roles(302, 302, 302, 200, 200)),
    "plan_detail": Row("GET", _plan, READ),
    "plan_action_create": Row("GET", _plan, EDIT_PAGE),
    "plan_action_detail": Row("GET", _action, READ),
    "plan_action_edit": Row("POST", _action, EDIT, data=_action_data, writes=True),
    "plan_action_status": Row(
        "POST", _action, EDIT, data=lambda world: {"status": "dropped", "reason": "Done by the province."}, writes=True
    ),
    "plan_update_add": Row(
        "POST", _action, EDIT, data=lambda world: {"text": "Half the districts.", "date": "2025-06-01"}, writes=True
    ),
    "plan_comment_add": Row("POST", _action, COMMENT, data=lambda world: {"text": "Which districts?"}, writes=True),
    "plan_action_history": Row("GET", _action, READ),
    "plan_update_file": Row("GET", lambda world: [world.authority_a.slug, world.update.pk], READ),
    # The suggestions of A's draft round: a draft stays with its authority, so reviewers get a 404.
    "plan_suggestions": Row("GET", lambda world: [world.round_a.pk], _roles(200, 200, 404, 404, 200)),
}
# Requests not named by the URL alone: the same URL with another method, or as a form page.
EXTRA: dict[str, Row] = {
    "plan_action_create POST": Row(
        "POST", _plan, EDIT, data=lambda world: {**_action_data(world), "title": "Another action"}, writes=True
    ),
    "plan_action_edit GET": Row("GET", _action, EDIT_PAGE),
    "plan_suggestions POST": Row(
        "POST",
        lambda world: [world.round_a.pk],
        _roles(302, 302, 404, 404, 302),
        data=lambda world: {"do": "dismiss", "indicator": "HC-01"},
        writes=True,
    ),
}


def _snapshot(authority: Authority) -> dict:
    """Everything a request could change about an authority's plan."""
    mine = {"action__plan__authority": authority}
    return {
        "actions": list(
            Action.objects.filter(plan__authority=authority)
            .order_by("pk")
            .values_list("pk", "title", "status", "drop_reason", "revision")
        ),
        "links": list(
            ActionIndicator.objects.filter(**mine).order_by("pk").values_list("indicator_id", "target_level")
        ),
        "updates": ActionUpdate.objects.filter(**mine).count(),
        "comments": ActionComment.objects.filter(**mine).count(),
        "revisions": ActionRevision.objects.filter(**mine).count(),
        "targets": list(PlanTarget.objects.filter(plan__authority=authority).values_list("indicator_code", "level")),
        "dismissals": SuggestionDismissal.objects.filter(plan__authority=authority).count(),
    }


def _cells():
    for name, row in {**MATRIX, **EXTRA}.items():
        url_name = name.split()[0]
        for role in ROLES:
            expected = "login" if role == "anonymous" else row.expected[role]
            yield pytest.param(url_name, row, role, expected, id=f"{role} {row.method} {url_name} -> {expected}")


def test_the_matrix_covers_every_url_of_the_plans():
    assert set(MATRIX) == {pattern.name for pattern in urlpatterns}


def test_every_row_says_what_each_role_gets():
    for name, row in {**MATRIX, **EXTRA}.items():
        assert set(row.expected) == set(ROLES) - {"anonymous"}, name


def test_the_matrix_keeps_the_promises_of_the_plan():
    """A few cells stated by hand, so that shared shorthands cannot drift into saying anything."""
    assert MATRIX["plan_detail"].expected["editor_b"] == 404
    assert MATRIX["plan_update_file"].expected["editor_b"] == 404
    assert MATRIX["plan_action_edit"].expected["reviewer"] == 403
    assert MATRIX["plan_comment_add"].expected["reviewer"] == 302
    assert {MATRIX[name].expected["superuser"] for name in MATRIX} <= {200, 302}
    assert {row.expected["no_role"] for row in {**MATRIX, **EXTRA}.values()} == {404}


@pytest.mark.parametrize(("name", "row", "role", "expected"), list(_cells()))
def test_each_role_gets_what_the_matrix_says_and_refusals_change_nothing(client, world, name, row, role, expected):
    user = world.users[role]
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse(name, args=row.args(world))
    before = _snapshot(world.authority_a)

    response = client.get(url) if row.method == "GET" else client.post(url, row.data(world))

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    else:
        assert response.status_code == expected
    if row.writes and expected == 302:
        assert _snapshot(world.authority_a) != before
    else:
        assert _snapshot(world.authority_a) == before
    if role in ("editor_b", "no_role"):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for secret in SECRETS:
            assert secret.encode() not in body
    response.close()


def test_another_authoritys_action_under_this_slug_is_a_404(client, world):
    """B's editor asks for A's action (and A's update file) under B's own slug: a 404, not a way in."""
    client.force_login(world.users["editor_b"], backend="django.contrib.auth.backends.ModelBackend")
    for name, pk in (
        ("plan_action_detail", world.action.pk),
        ("plan_action_edit", world.action.pk),
        ("plan_action_history", world.action.pk),
        ("plan_update_file", world.update.pk),
    ):
        assert client.get(reverse(name, args=["borealis", pk])).status_code == 404
    before = _snapshot(world.authority_a)
    assert client.post(reverse("plan_update_add", args=["borealis", world.action.pk]), {"text": "x"}).status_code == 404
    assert _snapshot(world.authority_a) == before


def test_a_reviewer_refused_an_edit_is_told_why(client, world):
    client.force_login(world.users["reviewer"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("plan_action_status", args=_action(world)), {"status": "done"})
    assert response.status_code == 403
    assert "Only members of Atlantis can change its improvement plan." in response.content.decode()


@pytest.mark.parametrize("role", ["editor_a", "approver_a", "reviewer", "superuser"])
def test_the_update_file_is_an_attachment_for_every_reader(client, world, role):
    client.force_login(world.users[role], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("plan_update_file", args=[world.authority_a.slug, world.update.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="register-scan.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    response.close()
