"""Regions and their municipalities through their pages: who may do what, what stays hidden, and what it costs.

The world: Calabarzon (a region) has two municipalities. Atlantis shares its validated 2025 round
with it and keeps a 2026 draft to itself; Borealis validated its 2025 round and shares nothing.
Bicol, another region, has Cygnus, which shares its validated 2025 round with Bicol only. Dorado is
a city of no region. The roles: Calabarzon's editor and approver, Atlantis's editor and approver
(a municipality's members), Dorado's editor (another city), a programme reviewer, the superuser,
and someone with no role; anonymous visitors go to the log-in everywhere.

Rounds are validated here by setting their status and freezing their scores (``snapshot_take``),
without the whole workflow: what is tested is who sees them (``test_rollup`` validates for real).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import Authority, Membership, Round
from territories import services
from territories.models import RollupConsent
from territories.region_urls import urlpatterns
from tests.factories import AuthorityFactory, MembershipFactory, RoundFactory, UserFactory
from tests.territories.factories import RollupConsentFactory
from tests.world import answer

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "parent_editor",
    "parent_approver",
    "muni_editor",
    "muni_approver",
    "other_city",
    "reviewer",
    "superuser",
    "no_role",
)
# What must never reach anyone but Atlantis's members and Calabarzon's: Atlantis's justification.
SECRET = "The harbour office keeps a migration desk."


def validate(round: Round) -> Round:
    """Mark the round validated and freeze its scores, as validation does (without the review)."""
    Round.objects.filter(pk=round.pk).update(status=Round.Status.VALIDATED, validated_at=timezone.now())
    round.refresh_from_db()
    assessment_services.snapshot_take(round=round)
    return round


def region(name: str) -> Authority:
    return AuthorityFactory(name=name, slug=name.lower(), kind=Authority.Kind.REGION, country="Philippines")


def municipality(name: str, parent: Authority | None) -> Authority:
    return AuthorityFactory(name=name, slug=name.lower(), parent=parent, country="Philippines")


@dataclass
class World:
    calabarzon: Authority
    atlantis: Authority
    borealis: Authority
    cygnus: Authority
    shared: Round  # Atlantis 2025, validated and shared
    draft: Round  # Atlantis 2026, a draft, not shared
    private: Round  # Borealis 2025, validated, not shared
    foreign: Round  # Cygnus 2025, validated, shared with Bicol
    users: dict


@pytest.fixture
def world(catalogue) -> World:
    calabarzon, bicol = region("Calabarzon"), region("Bicol")
    atlantis, borealis = municipality("Atlantis", calabarzon), municipality("Borealis", calabarzon)
    cygnus, dorado = municipality("Cygnus", bicol), municipality("Dorado", None)
    reviewers, _created = Group.objects.get_or_create(name="Programme reviewers")
    reviewers.permissions.add(Permission.objects.get(codename="review_round"))
    approver = Membership.Role.APPROVER
    users = {
        "anonymous": None,
        "parent_editor": MembershipFactory(authority=calabarzon).user,
        "parent_approver": MembershipFactory(authority=calabarzon, role=approver).user,
        "muni_editor": MembershipFactory(authority=atlantis).user,
        "muni_approver": MembershipFactory(authority=atlantis, role=approver).user,
        "other_city": MembershipFactory(authority=dorado).user,
        "reviewer": UserFactory(),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
        "no_role": UserFactory(),
    }
    users["reviewer"].groups.add(reviewers)
    shared = RoundFactory(authority=atlantis, period="2025", actor=users["muni_approver"])
    answer(shared, "VC-06", users["muni_editor"], level=3, justification=SECRET)
    shared = validate(shared)
    RollupConsentFactory(round=shared, given_by=users["muni_approver"])
    draft = RoundFactory(authority=atlantis, period="2026", actor=users["muni_approver"])
    private = validate(RoundFactory(authority=borealis, period="2025"))
    foreign = validate(RoundFactory(authority=cygnus, period="2025"))
    RollupConsentFactory(round=foreign)
    return World(calabarzon, atlantis, borealis, cygnus, shared, draft, private, foreign, users)


# --- the matrix ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One request: method, URL arguments (and POST data), each signed-in role's status; ``writes``: a 302 changed consent."""

    name: str
    method: str
    args: Callable[[World], list]
    expected: dict[str, int]
    data: dict = field(default_factory=dict)
    writes: bool = False


def _roles(parent_editor, parent_approver, muni_editor, muni_approver, other_city, reviewer, superuser, no_role=404):
    return {
        "parent_editor": parent_editor,
        "parent_approver": parent_approver,
        "muni_editor": muni_editor,
        "muni_approver": muni_approver,
        "other_city": other_city,
        "reviewer": reviewer,
        "superuser": superuser,
        "no_role": no_role,
    }


def _round_of_region(key: str) -> Callable[[World], list]:
    return lambda world: [world.calabarzon.slug, getattr(world, key).pk]


NOBODY = _roles(404, 404, 404, 404, 404, 404, 404)
MATRIX: dict[str, Row] = {
    # The parent's members and programme staff see the roll-up; a municipality's members do not.
    "rollup": Row("region_rollup", "GET", lambda w: [w.calabarzon.slug], _roles(200, 200, 404, 404, 404, 200, 200)),
    # Only the parent's members open a shared round here; everyone else, programme staff included, a 404.
    "shared round": Row("region_round", "GET", _round_of_region("shared"), _roles(200, 200, 404, 404, 404, 404, 404)),
    "unshared round": Row("region_round", "GET", _round_of_region("private"), NOBODY),
    "draft, not shared": Row("region_round", "GET", _round_of_region("draft"), NOBODY),
    "round of another region": Row("region_round", "GET", _round_of_region("foreign"), NOBODY),
    # Only Atlantis's approvers (and administrators) decide; the reviewer may see the validated round (403).
    "withdraw": Row(
        "rollup_consent",
        "POST",
        lambda w: [w.shared.pk],
        _roles(404, 404, 403, 302, 404, 403, 302),
        data={"action": "withdraw"},
        writes=True,
    ),
    # A draft: the reviewer does not see it (404).
    "give": Row(
        "rollup_consent",
        "POST",
        lambda w: [w.draft.pk],
        _roles(404, 404, 403, 302, 404, 404, 302),
        data={"action": "give"},
        writes=True,
    ),
    "consent by GET": Row(
        "rollup_consent", "GET", lambda w: [w.draft.pk], _roles(405, 405, 405, 405, 405, 405, 405, 405)
    ),
    "unknown action": Row(
        "rollup_consent",
        "POST",
        lambda w: [w.draft.pk],
        _roles(404, 404, 400, 400, 404, 404, 400),
        data={"action": "publish"},
    ),
}


def _consents() -> list[int]:
    return sorted(RollupConsent.objects.values_list("round_id", flat=True))


def _cells():
    for key, row in MATRIX.items():
        for role in ROLES:
            expected = "login" if role == "anonymous" else row.expected[role]
            yield pytest.param(row, role, expected, id=f"{role} {key} -> {expected}")


def test_the_matrix_covers_every_url_of_regions():
    assert {row.name for row in MATRIX.values()} == {pattern.name for pattern in urlpatterns}


def test_the_matrix_keeps_the_promises_of_the_issue():
    """A few cells stated by hand, so that shared shorthands cannot drift into saying anything."""
    assert MATRIX["unshared round"].expected["parent_editor"] == 404  # no consent, no view
    assert MATRIX["round of another region"].expected["parent_approver"] == 404
    assert MATRIX["shared round"].expected["reviewer"] == 404  # only the parent's members
    assert MATRIX["rollup"].expected["muni_editor"] == 404
    assert MATRIX["withdraw"].expected["parent_approver"] == 404  # the parent never decides for a municipality


@pytest.mark.parametrize(("row", "role", "expected"), list(_cells()))
def test_each_role_gets_what_the_matrix_says_and_refusals_change_nothing(client, world, row, role, expected):
    user = world.users[role]
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse(row.name, args=row.args(world))
    before = _consents()

    response = client.get(url) if row.method == "GET" else client.post(url, row.data)

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    else:
        assert response.status_code == expected
    if row.writes and expected == 302:
        assert _consents() != before
    else:
        assert _consents() == before
    if expected != 200 or row.name != "region_round":
        assert SECRET not in response.content.decode()


# --- what the parent sees, and stops seeing ------------------------------------------------------


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_parent_reads_a_shared_round_with_its_answers_and_no_control_that_changes_it(client, world):
    page = _login(client, world.users["parent_editor"]).get(
        reverse("region_round", args=[world.calabarzon.slug, world.shared.pk])
    )
    html = page.content.decode()
    assert SECRET in html
    vc06 = html.split('id="indicator-VC-06"', 1)[1].split("</article>", 1)[0]
    assert "3 · Operational" in vc06 and "As answered" in vc06  # the city's level, which validation kept
    assert "<form" not in html.split("<main", 1)[1]  # no control in the page's content
    for name in ("round_dimension", "round_submit", "round_history"):
        assert reverse(name, args=[world.shared.pk] + (["VC"] if name == "round_dimension" else [])) not in html


def test_withdrawing_consent_hides_the_round_and_its_figures_at_once(client, world):
    parent = _login(client, world.users["parent_editor"])
    round_url = reverse("region_round", args=[world.calabarzon.slug, world.shared.pk])
    rollup_url = reverse("region_rollup", args=[world.calabarzon.slug])
    assert parent.get(round_url).status_code == 200
    assert round_url in parent.get(rollup_url).content.decode()

    services.rollup_consent_withdraw(round=world.shared, actor=world.users["muni_approver"])

    assert parent.get(round_url).status_code == 404
    rollup = parent.get(rollup_url)
    html = rollup.content.decode()
    assert round_url not in html
    assert "Validated round 2025" not in html
    assert "Atlantis" in html and "Not shared" in html  # its name only


def test_withdrawing_through_the_round_page_hides_the_round_from_the_next_request_of_the_parent(client, world):
    from django.test import Client

    parent = _login(Client(), world.users["parent_editor"])
    round_url = reverse("region_round", args=[world.calabarzon.slug, world.shared.pk])
    assert parent.get(round_url).status_code == 200

    municipality = _login(client, world.users["muni_approver"])
    response = municipality.post(reverse("rollup_consent", args=[world.shared.pk]), {"action": "withdraw"})
    assert response.status_code == 302
    assert response["Location"] == reverse("round_detail", args=[world.shared.pk]) + "#rollup"

    assert parent.get(round_url).status_code == 404
    assert not RollupConsent.objects.filter(round=world.shared).exists()


def test_a_municipality_without_consent_appears_by_name_only_in_the_rollup(client, world):
    html = _login(client, world.users["parent_editor"]).get(reverse("region_rollup", args=[world.calabarzon.slug]))
    html = html.content.decode()
    borealis_row = html.split("Borealis", 1)[1].split("</tr>", 1)[0]
    assert "Not shared" in borealis_row
    assert str(world.private.pk) not in borealis_row
    assert "level" not in borealis_row
    assert "Cygnus" not in html  # a municipality of another region


def test_giving_consent_lets_the_parent_in(client, world):
    parent = _login(client, world.users["parent_editor"])
    url = reverse("region_round", args=[world.calabarzon.slug, world.draft.pk])
    assert parent.get(url).status_code == 404

    services.rollup_consent_give(round=world.draft, actor=world.users["muni_approver"])

    page = parent.get(url)
    assert page.status_code == 200
    assert "Atlantis · 2026" in page.content.decode()


def test_a_round_shared_with_another_region_is_a_404_under_this_one_even_for_its_own_region(client, world):
    bicol = world.cygnus.parent
    member = MembershipFactory(authority=bicol).user
    client = _login(client, member)
    assert client.get(reverse("region_round", args=[bicol.slug, world.foreign.pk])).status_code == 200
    assert client.get(reverse("region_round", args=[world.calabarzon.slug, world.foreign.pk])).status_code == 404
    assert client.get(reverse("region_round", args=[bicol.slug, world.shared.pk])).status_code == 404


def test_a_municipality_with_no_parent_cannot_share(client, world):
    dorado = Authority.objects.get(slug="dorado")
    approver = MembershipFactory(authority=dorado, role=Membership.Role.APPROVER).user
    round = RoundFactory(authority=dorado, period="2025", actor=approver)
    response = _login(client, approver).post(reverse("rollup_consent", args=[round.pk]), {"action": "give"})
    assert response.status_code == 409
    assert "Dorado is not part of a region or province." in response.content.decode()
    assert not RollupConsent.objects.filter(round=round).exists()


def test_an_unknown_period_is_a_400_that_shows_the_latest_instead(client, world):
    response = _login(client, world.users["parent_editor"]).get(
        reverse("region_rollup", args=[world.calabarzon.slug]), {"period": "1999"}
    )
    assert response.status_code == 400
    assert "No municipality shares a round of that period." in response.content.decode()
    assert response.context["rollup"].period == "2025"


def test_staff_see_the_rollup_with_links_to_the_round_pages_they_may_read(client, world):
    html = _login(client, world.users["reviewer"]).get(reverse("region_rollup", args=[world.calabarzon.slug]))
    html = html.content.decode()
    assert reverse("round_detail", args=[world.shared.pk]) in html
    assert reverse("region_round", args=[world.calabarzon.slug, world.shared.pk]) not in html


# --- query counts --------------------------------------------------------------------------------


def _children(parent: Authority, n: int) -> None:
    """``n`` more municipalities of ``parent``, each with a validated, shared 2025 round with VC-06 and IN-01 answered."""
    for i in range(n):
        city = municipality(f"Town{i:02d}", parent)
        approver = MembershipFactory(authority=city, role=Membership.Role.APPROVER).user
        round = RoundFactory(authority=city, period="2025", actor=approver)
        answer(round, "VC-06", approver, level=3)
        answer(round, "IN-01", approver, level=1)
        RollupConsentFactory(round=validate(round))


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_rollup_costs_the_same_queries_for_two_municipalities_or_twelve(client, world):
    client = _login(client, world.users["parent_editor"])
    url = reverse("region_rollup", args=[world.calabarzon.slug])
    small = _count(client, url)  # Atlantis and Borealis
    _children(world.calabarzon, 10)
    assert len(client.get(url).context["rollup"].municipalities) == 12
    assert _count(client, url) == small


def test_a_shared_round_costs_the_same_queries_with_one_answer_or_many(client, world):
    client = _login(client, world.users["parent_editor"])
    url = reverse("region_round", args=[world.calabarzon.slug, world.draft.pk])
    services.rollup_consent_give(round=world.draft, actor=world.users["muni_approver"])
    answer(world.draft, "HC-01", world.users["muni_editor"], level=1, evidence_url="https://example.org/a")
    few = _count(client, url)
    for code in ("HC-02", "HC-03", "VC-01", "VC-02", "IN-01", "IN-02"):
        answer(world.draft, code, world.users["muni_editor"], level=2, evidence_url="https://example.org/b")
    assert _count(client, url) == few
