"""Partner territories through their pages: who may do what, proposing and confirming, shared evidence.

The permission matrix covers every URL of ``territories.partnership_urls`` for every role. Kasserine
(A, Tunisia) and Tuscany (B, Italy) have a confirmed partnership, with an agreement (a PDF) shared
by Kasserine and a link shared by Tuscany. Lima (C) has proposed a partnership to Kasserine, which
Kasserine's approver has not confirmed yet. Dakar (D) is another city, in no partnership: its
approver, and someone signed in with no role, learn nothing of the others' (a 404, and none of their
words). Programme reviewers see every partnership but act on none (a 403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services as assessment_services
from assessments.models import Authority, Membership, Round, SnapshotDimension
from territories import services
from territories.models import Partnership, PartnershipEvidence
from territories.partnership_urls import urlpatterns
from tests.factories import AuthorityFactory, MembershipFactory, RoundFactory, UserFactory
from tests.territories.factories import PartnershipFactory
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = ("anonymous", "editor_a", "approver_a", "editor_b", "approver_b", "other_city", "reviewer", "no_role")
CONFIRMED_WORDS = ["Seasonal workers between the Kasserine governorate and Tuscany", "Cooperation agreement"]
PROPOSED_WORDS = ["Lima offers a twinning on returnees"]


@dataclass
class World:
    authorities: dict[str, Authority]
    confirmed: Partnership  # A and B
    proposed: Partnership  # proposed by C to A, waiting for A
    evidence: dict[str, PartnershipEvidence]  # "file_a" (Kasserine's PDF), "link_b" (Tuscany's link)
    users: dict


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _reviewer():
    group, _created = Group.objects.get_or_create(name="Programme reviewers")
    group.permissions.add(Permission.objects.get(codename="review_round"))
    user = UserFactory()
    user.groups.add(group)
    return user


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    a = AuthorityFactory(name="Kasserine", slug="kasserine", country="Tunisia")
    b = AuthorityFactory(name="Tuscany", slug="tuscany", country="Italy", kind=Authority.Kind.REGION)
    c = AuthorityFactory(name="Lima", slug="lima", country="Peru")
    d = AuthorityFactory(name="Dakar", slug="dakar", country="Senegal")

    def member(authority, role=Membership.Role.EDITOR):
        return MembershipFactory(authority=authority, role=role).user

    approver = Membership.Role.APPROVER
    users = {
        "anonymous": None,
        "editor_a": member(a),
        "approver_a": member(a, approver),
        "editor_b": member(b),
        "approver_b": member(b, approver),
        "approver_c": member(c, approver),
        "other_city": member(d, approver),
        "reviewer": _reviewer(),
        "no_role": UserFactory(),
    }
    confirmed = services.partnership_propose(
        authority=a,
        partner=b,
        actor=users["approver_a"],
        description="Seasonal workers between the Kasserine governorate and Tuscany.",
    )
    confirmed = services.partnership_confirm(partnership=confirmed, actor=users["approver_b"])
    proposed = services.partnership_propose(
        authority=c, partner=a, actor=users["approver_c"], description="Lima offers a twinning on returnees."
    )
    evidence = {
        "file_a": services.partnership_evidence_add(
            partnership=confirmed,
            actor=users["editor_a"],
            title="Cooperation agreement",
            file=SimpleUploadedFile("agreement.pdf", PDF),
        ),
        "link_b": services.partnership_evidence_add(
            partnership=confirmed, actor=users["editor_b"], title="Project page", url="https://example.org/project"
        ),
    }
    return World({"a": a, "b": b, "c": c, "d": d}, confirmed, proposed, evidence, users)


# --- the matrix ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One request: its method, its URL arguments (and POST data), and each signed-in role's status.

    ``writes``: a 302 on this row means the change was made; every other answer leaves the
    partnerships and their evidence as they were. Anonymous visitors always go to the log-in.
    """

    method: str
    args: Callable[[World], list]
    expected: dict[str, int]
    data: Callable[[World], dict] = field(default=lambda world: {})
    writes: bool = False


def _roles(editor_a, approver_a, editor_b, approver_b, other_city=404, reviewer=403, no_role=404) -> dict[str, int]:
    return {
        "editor_a": editor_a,
        "approver_a": approver_a,
        "editor_b": editor_b,
        "approver_b": approver_b,
        "other_city": other_city,
        "reviewer": reviewer,
        "no_role": no_role,
    }


def _confirmed(world):
    return [world.confirmed.pk]


def _proposed(world):
    return [world.proposed.pk]


def _evidence(key):
    return lambda world: [world.evidence[key].pk]


def _proposal(world) -> dict:
    return {"authority": str(world.authorities["a"].pk), "partner": str(world.authorities["d"].pk)}


def _link(world) -> dict:
    return {"title": "Minutes of the joint meeting", "url": "https://example.org/minutes"}


NOT_ALLOWED = _roles(405, 405, 405, 405, 405, 405, 405)
BOTH_SIDES_READ = _roles(200, 200, 200, 200, reviewer=200)
APPROVERS = _roles(403, 200, 403, 200)
APPROVERS_WRITE = _roles(403, 302, 403, 302)

MATRIX: dict[str, Row] = {
    "partnership_list": Row("GET", lambda world: [], _roles(200, 200, 200, 200, 200, 200, 200)),
    "partnership_detail": Row("GET", _confirmed, BOTH_SIDES_READ),
    # Only Kasserine is asked to confirm Lima's proposal; Tuscany does not know of it.
    "partnership_confirm": Row("POST", _proposed, _roles(403, 302, 404, 404), writes=True),
    "partnership_end": Row("GET", _confirmed, APPROVERS),
    "partnership_evidence_add": Row("POST", _confirmed, _roles(302, 302, 302, 302), data=_link, writes=True),
    # Only the side that shared it removes it.
    "partnership_evidence_remove": Row("POST", _evidence("file_a"), _roles(302, 302, 403, 403), writes=True),
    # Members of both sides download; reviewers see the title but not the file.
    "partnership_evidence_file": Row("GET", _evidence("file_a"), _roles(200, 200, 200, 200)),
}
EXTRA: dict[str, Row] = {
    # Approvers propose for their own authorities only: another's id is no choice of theirs (a form error).
    "partnership_list POST": Row(
        "POST", lambda world: [], _roles(403, 302, 403, 422, 422, 403, 403), data=_proposal, writes=True
    ),
    "partnership_detail proposed": Row("GET", _proposed, _roles(200, 200, 404, 404, reviewer=200)),
    "partnership_end POST": Row("POST", _confirmed, APPROVERS_WRITE, writes=True),
    "partnership_end POST proposed": Row("POST", _proposed, _roles(403, 302, 404, 404), writes=True),
    "partnership_end proposed": Row("GET", _proposed, _roles(403, 200, 404, 404)),
    # Nothing is shared before both confirm (409), whoever asks.
    "partnership_evidence_add proposed": Row("POST", _proposed, _roles(409, 409, 404, 404), data=_link),
    "partnership_evidence_remove link_b": Row("POST", _evidence("link_b"), _roles(403, 403, 302, 302), writes=True),
    "partnership_evidence_file link_b": Row("GET", _evidence("link_b"), _roles(404, 404, 404, 404, reviewer=404)),
    "partnership_confirm GET": Row("GET", _proposed, NOT_ALLOWED),
    "partnership_evidence_add GET": Row("GET", _confirmed, NOT_ALLOWED),
    "partnership_evidence_remove GET": Row("GET", _evidence("file_a"), NOT_ALLOWED),
}


def _snapshot() -> dict:
    """Everything a request could change about partnerships and what they share."""
    return {
        "partnerships": list(
            Partnership.objects.order_by("pk").values_list(
                "pk", "first_id", "second_id", "first_confirmed_at", "second_confirmed_at", "description"
            )
        ),
        "evidence": list(PartnershipEvidence.objects.order_by("pk").values_list("pk", "title", "authority_id")),
    }


def _cells():
    for name, row in {**MATRIX, **EXTRA}.items():
        url_name = name.split()[0]
        for role in ROLES:
            expected = "login" if role == "anonymous" else row.expected[role]
            yield pytest.param(url_name, row, role, expected, id=f"{role} {name} -> {expected}")


def test_the_matrix_covers_every_url_of_the_partnership_pages():
    assert set(MATRIX) == {pattern.name for pattern in urlpatterns}


def test_every_row_says_what_each_role_gets():
    for name, row in {**MATRIX, **EXTRA}.items():
        assert set(row.expected) == set(ROLES) - {"anonymous"}, name


def test_the_matrix_keeps_the_promises_of_the_issue():
    """A few cells stated by hand, so that shared shorthands cannot drift into saying anything."""
    assert MATRIX["partnership_detail"].expected["other_city"] == 404
    assert MATRIX["partnership_detail"].expected["editor_b"] == 200
    assert EXTRA["partnership_detail proposed"].expected["approver_b"] == 404
    assert MATRIX["partnership_confirm"].expected["editor_a"] == 403  # editors do not confirm
    assert MATRIX["partnership_evidence_file"].expected["reviewer"] == 403
    assert {row.expected["no_role"] for row in {**MATRIX, **EXTRA}.values()} <= {200, 403, 404, 405}


@pytest.mark.parametrize(("name", "row", "role", "expected"), list(_cells()))
def test_each_role_gets_what_the_matrix_says_and_refusals_change_nothing(client, world, name, row, role, expected):
    user = world.users[role]
    if user is not None:
        _login(client, user)
    url = reverse(name, args=row.args(world))
    before = _snapshot()

    response = client.get(url) if row.method == "GET" else client.post(url, row.data(world))

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    else:
        assert response.status_code == expected
    if row.writes and expected == 302:
        assert _snapshot() != before
    else:
        assert _snapshot() == before
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    secrets = {
        "other_city": CONFIRMED_WORDS + PROPOSED_WORDS,
        "no_role": CONFIRMED_WORDS + PROPOSED_WORDS,
        "anonymous": CONFIRMED_WORDS + PROPOSED_WORDS,
        "editor_b": PROPOSED_WORDS,
        "approver_b": PROPOSED_WORDS,
    }.get(role, [])
    for secret in secrets:
        assert secret.encode() not in body


# --- proposing and confirming --------------------------------------------------------------------


def test_a_proposal_waits_for_the_partner_and_its_confirmation_opens_the_partnership(client, world):
    a, d = world.authorities["a"], world.authorities["d"]
    response = _login(client, world.users["approver_a"]).post(
        reverse("partnership_list"), {"authority": a.pk, "partner": d.pk, "description": "Coastal migration routes."}
    )

    partnership = Partnership.objects.of(d.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("partnership_detail", args=[partnership.pk])
    assert partnership.confirmed_by_side(a.pk) and not partnership.confirmed_by_side(d.pk)
    assert (partnership.proposed_by, partnership.description) == (
        world.users["approver_a"],
        "Coastal migration routes.",
    )
    proposer = client.get(reverse("partnership_list"))
    assert [r.partner for r in proposer.context["groups"]["waiting_partner"]] == [d]
    assert "Waiting for Dakar" in proposer.content.decode()

    other = _login(client, world.users["other_city"])
    listing = other.get(reverse("partnership_list"))
    [row] = listing.context["groups"]["waiting_you"]
    assert (row.partner, row.can_confirm) == (a, True)
    assert reverse("partnership_confirm", args=[partnership.pk]) in listing.content.decode()
    detail = other.get(reverse("partnership_detail", args=[partnership.pk])).content.decode()
    assert "Nothing is shared yet" in detail
    assert "Shared evidence" not in detail

    assert other.post(reverse("partnership_confirm", args=[partnership.pk])).status_code == 302
    partnership.refresh_from_db()
    assert partnership.confirmed
    assert partnership.second_confirmed_by == world.users["other_city"]
    page = other.get(reverse("partnership_detail", args=[partnership.pk])).content.decode()
    assert "Decentralised cooperation side by side" in page
    assert "Shared evidence" in page


def test_an_editor_is_told_only_an_approver_confirms(client, world):
    page = _login(client, world.users["editor_a"]).get(reverse("partnership_detail", args=[world.proposed.pk]))
    assert "Only an approver of your authority can confirm or decline it." in page.content.decode()
    assert reverse("partnership_confirm", args=[world.proposed.pk]) not in page.content.decode()


def test_an_authority_cannot_be_its_own_partner(client, world):
    a = world.authorities["a"]
    before = _snapshot()
    response = _login(client, world.users["approver_a"]).post(
        reverse("partnership_list"), {"authority": a.pk, "partner": a.pk}
    )
    assert response.status_code == 422
    assert "An authority cannot be its own partner." in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("proposer", ["approver_a", "approver_b"])
def test_a_second_partnership_of_the_same_pair_is_refused_whoever_proposes(client, world, proposer):
    mine, theirs = ("a", "b") if proposer == "approver_a" else ("b", "a")
    before = _snapshot()
    response = _login(client, world.users[proposer]).post(
        reverse("partnership_list"),
        {"authority": world.authorities[mine].pk, "partner": world.authorities[theirs].pk},
    )
    assert response.status_code == 422
    assert "These two authorities already have a partnership." in response.content.decode()
    assert _snapshot() == before


def test_a_pending_proposal_cannot_be_proposed_again_from_the_other_side(client, world):
    a, c = world.authorities["a"], world.authorities["c"]
    response = _login(client, world.users["approver_a"]).post(
        reverse("partnership_list"), {"authority": a.pk, "partner": c.pk}
    )
    assert response.status_code == 422
    assert "These two authorities already have a partnership." in response.content.decode()


def test_the_same_pair_proposed_at_the_same_moment_is_refused_not_a_500(client, world, monkeypatch):
    a, d = world.authorities["a"], world.authorities["d"]
    real = services._text

    def proposed_meanwhile(value, **kwargs):
        # Dakar's approver proposes the same pair between the check for an existing one and the write.
        if not Partnership.objects.of(d.pk).exists():
            PartnershipFactory(first=a, second=d, proposed_by=world.users["other_city"])
        return real(value, **kwargs)

    monkeypatch.setattr(services, "_text", proposed_meanwhile)
    response = _login(client, world.users["approver_a"]).post(
        reverse("partnership_list"), {"authority": a.pk, "partner": d.pk}
    )
    assert response.status_code == 422
    assert "These two authorities already have a partnership." in response.content.decode()
    # Written here inside the request's own transaction, the competing proposal goes with its rollback.
    assert not Partnership.objects.of(d.pk).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"partner": ""}, "This field is required."),
        ({"partner": "987654"}, "Select a valid choice."),
        ({"description": "x" * 5001}, "at most 5000 characters"),
    ],
)
def test_a_bad_proposal_is_a_form_error_and_nothing_is_written(client, world, data, message):
    before = _snapshot()
    post = {"authority": world.authorities["a"].pk, "partner": world.authorities["d"].pk, **data}
    response = _login(client, world.users["approver_a"]).post(reverse("partnership_list"), post)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _snapshot() == before


def test_another_authoritys_id_in_the_hidden_field_is_refused_with_a_message(client, world):
    response = _login(client, world.users["approver_b"]).post(
        reverse("partnership_list"), {"authority": world.authorities["a"].pk, "partner": world.authorities["d"].pk}
    )
    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    assert not Partnership.objects.of(world.authorities["d"].pk).exists()


def test_an_approver_of_one_authority_proposes_for_it_without_choosing(client, world):
    response = _login(client, world.users["approver_a"]).get(reverse("partnership_list"))
    page = response.content.decode()
    assert "On behalf of <strong>Kasserine</strong>." in page
    assert f'type="hidden" name="authority" value="{world.authorities["a"].pk}"' in page


def test_an_approver_of_several_authorities_chooses_which_one_proposes(client, world):
    user = world.users["approver_a"]
    MembershipFactory(user=user, authority=world.authorities["d"], role=Membership.Role.APPROVER)
    response = _login(client, user).get(reverse("partnership_list"))
    form = response.context["form"]
    assert [label for _pk, label in form.fields["authority"].choices] == ["Dakar", "Kasserine"]
    assert '<select name="authority"' in response.content.decode()


def test_partners_are_listed_by_country_then_name(client, world):
    AuthorityFactory(name="Florence", slug="florence", country="Italy")
    form = _login(client, world.users["approver_a"]).get(reverse("partnership_list")).context["form"]
    groups = [(country, [label for _pk, label in options]) for country, options in form.fields["partner"].choices[1:]]
    assert groups == [
        ("Italy", ["Florence", "Tuscany"]),
        ("Peru", ["Lima"]),
        ("Senegal", ["Dakar"]),
        ("Tunisia", ["Kasserine"]),
    ]


def test_an_editor_and_a_reviewer_get_no_proposal_form(client, world):
    for role in ("editor_a", "reviewer"):
        response = _login(client, world.users[role]).get(reverse("partnership_list"))
        assert response.context["form"] is None
        assert "Propose a partnership" not in response.content.decode()


def test_someone_with_no_authority_is_told_so(client, world):
    page = _login(client, world.users["no_role"]).get(reverse("partnership_list")).content.decode()
    assert "You are not a member of any authority" in page


def test_a_reviewer_sees_every_partnership_but_no_button(client, world):
    response = _login(client, world.users["reviewer"]).get(reverse("partnership_list"))
    groups = response.context["groups"]
    assert [r.partnership for r in groups["confirmed"]] == [world.confirmed]
    assert [r.partnership for r in groups["pending"]] == [world.proposed]
    page = response.content.decode()
    assert reverse("partnership_confirm", args=[world.proposed.pk]) not in page
    assert reverse("partnership_end", args=[world.confirmed.pk]) not in page


# --- ending and declining ------------------------------------------------------------------------


def test_ending_asks_first_then_removes_the_partnership_and_its_files(
    client, world, tmp_path, django_capture_on_commit_callbacks
):
    stored = tmp_path / world.evidence["file_a"].file.name
    assert stored.exists()
    client = _login(client, world.users["approver_b"])
    confirm = client.get(reverse("partnership_end", args=[world.confirmed.pk]))
    assert confirm.status_code == 200
    assert "End the partnership?" in confirm.content.decode()
    assert Partnership.objects.filter(pk=world.confirmed.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partnership_end", args=[world.confirmed.pk]))
    assert response.status_code == 302
    assert not Partnership.objects.filter(pk=world.confirmed.pk).exists()
    assert not PartnershipEvidence.objects.exists()
    assert not stored.exists()
    assert "is ended" in client.get(response["Location"]).content.decode()


def test_declining_from_the_list_removes_the_proposal(client, world):
    client = _login(client, world.users["approver_a"])
    listing = client.get(reverse("partnership_list")).content.decode()
    assert reverse("partnership_end", args=[world.proposed.pk]) in listing

    response = client.post(reverse("partnership_end", args=[world.proposed.pk]), follow=True)
    assert not Partnership.objects.filter(pk=world.proposed.pk).exists()
    assert "The proposal of Lima is declined." in response.content.decode()


def test_an_ended_partnership_is_a_404_everywhere_never_a_500(client, world):
    pk, evidence = world.confirmed.pk, world.evidence["file_a"].pk
    Partnership.objects.filter(pk=pk).delete()
    client = _login(client, world.users["approver_a"])
    for name in ("partnership_detail", "partnership_end"):
        assert client.get(reverse(name, args=[pk])).status_code == 404
    for name in ("partnership_confirm", "partnership_end", "partnership_evidence_add"):
        assert client.post(reverse(name, args=[pk]), _link(world)).status_code == 404
    assert client.get(reverse("partnership_evidence_file", args=[evidence])).status_code == 404


def test_an_ending_at_the_same_moment_is_a_409_not_a_500(client, world, monkeypatch):
    client = _login(client, world.users["approver_a"])
    real = services.partnership_confirm

    def ended_meanwhile(*, partnership, actor):
        Partnership.objects.filter(pk=partnership.pk).delete()
        return real(partnership=partnership, actor=actor)

    monkeypatch.setattr(services, "partnership_confirm", ended_meanwhile)
    response = client.post(reverse("partnership_confirm", args=[world.proposed.pk]))
    assert response.status_code == 409
    assert "This partnership has been ended meanwhile." in response.content.decode()


# --- shared evidence -----------------------------------------------------------------------------


def test_a_shared_file_is_downloaded_as_an_attachment_by_the_partner(client, world):
    evidence = world.evidence["file_a"]
    assert "agreement" not in evidence.file.name  # stored under a generated name
    client = _login(client, world.users["editor_b"])
    download = reverse("partnership_evidence_file", args=[evidence.pk])
    assert download in client.get(reverse("partnership_detail", args=[world.confirmed.pk])).content.decode()

    file = client.get(download)
    assert file.status_code == 200
    assert file["Content-Type"] == "application/pdf"
    assert file["Content-Disposition"] == 'attachment; filename="agreement.pdf"'
    assert b"".join(file.streaming_content) == PDF
    file.close()


def test_a_reviewer_sees_the_shared_evidence_but_does_not_download_it(client, world):
    client = _login(client, world.users["reviewer"])
    page = client.get(reverse("partnership_detail", args=[world.confirmed.pk])).content.decode()
    assert "Cooperation agreement" in page
    assert reverse("partnership_evidence_file", args=[world.evidence["file_a"].pk]) not in page
    assert "Share evidence with the partner" not in page


def test_a_member_shares_a_file_for_their_own_side(client, world):
    client = _login(client, world.users["approver_b"])
    response = client.post(
        reverse("partnership_evidence_add", args=[world.confirmed.pk]),
        {"title": "Project report", "file": SimpleUploadedFile("report.pdf", PDF)},
    )
    assert response.status_code == 302
    shared = PartnershipEvidence.objects.get(title="Project report")
    assert (shared.authority, shared.filename, shared.added_by) == (
        world.authorities["b"],
        "report.pdf",
        world.users["approver_b"],
    )


def test_only_the_side_that_shared_evidence_sees_its_remove_button(client, world):
    remove_a = reverse("partnership_evidence_remove", args=[world.evidence["file_a"].pk])
    remove_b = reverse("partnership_evidence_remove", args=[world.evidence["link_b"].pk])
    page = _login(client, world.users["editor_a"]).get(reverse("partnership_detail", args=[world.confirmed.pk]))
    assert remove_a in page.content.decode()
    assert remove_b not in page.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "javascript:alert(1)"}, "http and https"),
        ({"url": "ftp://example.org/minutes.pdf"}, "http and https"),
        ({"file": "exe"}, "not an accepted type"),
        ({"file": "renamed"}, "not an accepted type"),
        ({"file": "pdf", "url": "https://example.org/x"}, "Give either a file or a link."),
        ({}, "Give either a file or a link."),
        ({"title": "", "url": "https://example.org/x"}, "This field is required."),
        ({"title": "t" * 201, "url": "https://example.org/x"}, "at most 200 characters"),
    ],
)
def test_bad_evidence_is_a_422_and_nothing_is_written(client, world, fields, message):
    data = {"title": "Minutes", **fields}
    if "file" in data:
        data["file"] = {
            "pdf": SimpleUploadedFile("a.pdf", PDF),
            "exe": SimpleUploadedFile("tool.exe", b"MZ\x90\x00"),
            "renamed": SimpleUploadedFile("minutes.pdf", b"just some text, not a PDF"),
        }[data["file"]]
    before = _snapshot()
    response = _login(client, world.users["editor_a"]).post(
        reverse("partnership_evidence_add", args=[world.confirmed.pk]), data
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _snapshot() == before


def test_an_oversized_file_is_refused(client, world, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    before = _snapshot()
    response = _login(client, world.users["editor_a"]).post(
        reverse("partnership_evidence_add", args=[world.confirmed.pk]),
        {"title": "Big", "file": SimpleUploadedFile("a.pdf", PDF)},
    )
    assert response.status_code == 413
    assert _snapshot() == before


def test_removed_evidence_takes_its_file_with_it(client, world, tmp_path, django_capture_on_commit_callbacks):
    evidence = world.evidence["file_a"]
    stored = tmp_path / evidence.file.name
    client = _login(client, world.users["editor_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partnership_evidence_remove", args=[evidence.pk]))
    assert response.status_code == 302
    assert not PartnershipEvidence.objects.filter(pk=evidence.pk).exists()
    assert not stored.exists()
    assert client.post(reverse("partnership_evidence_remove", args=[evidence.pk])).status_code == 404


def test_a_file_gone_from_the_disk_is_a_404(client, world, tmp_path):
    evidence = world.evidence["file_a"]
    (tmp_path / evidence.file.name).unlink()
    assert (
        _login(client, world.users["editor_b"])
        .get(reverse("partnership_evidence_file", args=[evidence.pk]))
        .status_code
        == 404
    )


# --- the two partners side by side ---------------------------------------------------------------


def _submit(round: Round, editor, approver, dc: dict[str, tuple[int | str, str]]) -> Round:
    """Answer every indicator at level 2, then the DC ones as given (level or "dk", justification), and submit."""
    answer_everything(round, editor)
    _answer_dc(round, editor, dc)
    return assessment_services.round_submit(round=round, actor=approver)


def _answer_dc(round: Round, editor, dc: dict[str, tuple[int | str, str]]) -> None:
    for code, (level, justification) in dc.items():
        if level == "dk":
            answer(round, code, editor, response="dk", justification=justification)
        else:
            answer(round, code, editor, level=level, justification=justification)


@pytest.fixture
def partners(catalogue, world):
    """Kasserine's round 2025 submitted; Tuscany's 2023 validated (its DC score frozen) and a 2025 draft."""
    users, reviewer = world.users, world.users["reviewer"]
    a, b = world.authorities["a"], world.authorities["b"]
    kasserine = RoundFactory(authority=a, period="2025", actor=users["approver_a"])
    _submit(
        kasserine,
        users["editor_a"],
        users["approver_a"],
        {"DC-01": (3, "Kasserine and Tuscany signed an agreement on seasonal work."), "DC-02": ("dk", "")},
    )
    tuscany = RoundFactory(authority=b, period="2023", actor=users["approver_b"])
    _submit(tuscany, users["editor_b"], users["approver_b"], {"DC-01": (4, "The region funds the joint desk.")})
    assessment_services.round_review(
        round=tuscany, actor=reviewer, decisions={}, action=assessment_services.ReviewAction.VALIDATE
    )
    draft = RoundFactory(authority=b, period="2025", actor=users["approver_b"])
    _answer_dc(draft, users["editor_b"], {"DC-01": (1, "TUSCANY DRAFT, NOT FOR THE PARTNER")})
    return {"kasserine": kasserine, "tuscany": Round.objects.get(pk=tuscany.pk), "draft": draft}


def _detail(client, world, role):
    return _login(client, world.users[role]).get(reverse("partnership_detail", args=[world.confirmed.pk]))


def test_each_partner_sees_the_others_latest_submitted_dc_answers_never_a_draft(client, world, partners):
    response = _detail(client, world, "editor_a")
    page = response.content.decode()

    sides = response.context["sides"]
    assert [s.authority.slug for s in sides] == ["kasserine", "tuscany"]  # the viewer's own side first
    assert [s.round for s in sides] == [partners["kasserine"], partners["tuscany"]]
    assert "Kasserine and Tuscany signed an agreement on seasonal work." in page
    assert "The region funds the joint desk." in page
    assert "TUSCANY DRAFT" not in page
    rows = {row.code: row for row in response.context["indicators"]}
    assert list(rows) == ["DC-01", "DC-02", "DC-03", "DC-04"]
    assert [cell.label for cell in rows["DC-01"].cells] == ["3 · Operational", "4 · Institutionalised"]
    assert [cell.label for cell in rows["DC-02"].cells] == ["Don't know", "2 · Partial"]

    other = _detail(client, world, "approver_b")
    assert [s.authority.slug for s in other.context["sides"]] == ["tuscany", "kasserine"]
    assert "Kasserine and Tuscany signed an agreement on seasonal work." in other.content.decode()


def test_the_dc_score_is_the_validated_snapshots_never_recomputed(client, world, partners):
    frozen = SnapshotDimension.objects.get(
        snapshot__round=partners["tuscany"], score_set=SnapshotDimension.ScoreSet.VALIDATED, dimension="DC"
    )
    # Levels 4, 2, 2, 2 give 62.5 live; a frozen value that differs shows where the page reads it.
    assert frozen.score == pytest.approx(62.5)
    SnapshotDimension.objects.filter(pk=frozen.pk).update(score=80.0, band="advanced")

    response = _detail(client, world, "editor_a")
    kasserine, tuscany = response.context["sides"]
    assert kasserine.score is None  # submitted, not validated: no DC score yet
    assert (tuscany.score.score, tuscany.band) == (80.0, "Advanced")
    page = response.content.decode()
    assert "80 · Advanced" in page
    assert "validated round 2023" in page
    assert "No validated score yet" in page


def test_a_partner_without_a_submitted_round_shows_none(client, world, partners):
    Round.objects.filter(pk=partners["kasserine"].pk).update(status=Round.Status.DRAFT)
    response = _detail(client, world, "approver_b")
    _tuscany, kasserine = response.context["sides"]
    assert kasserine.round is None
    assert "No submitted round yet" in response.content.decode()
    assert "Kasserine and Tuscany signed an agreement" not in response.content.decode()
    assert all(not row.cells[1].shown for row in response.context["indicators"])


def test_a_round_that_leaves_dc_out_says_so(client, world, partners):
    dc = partners["kasserine"].version.dimensions.get(code="DC")
    partners["kasserine"].omitted_dimensions.add(dc)
    response = _detail(client, world, "editor_b")
    assert "This round leaves decentralised cooperation out." in response.content.decode()
    assert "Kasserine and Tuscany signed an agreement" not in response.content.decode()


def test_a_partnership_confirmed_by_one_side_only_shows_nothing_of_the_other(client, world, partners):
    Partnership.objects.filter(pk=world.confirmed.pk).delete()
    proposal = services.partnership_propose(
        authority=world.authorities["b"], partner=world.authorities["a"], actor=world.users["approver_b"]
    )

    for role, secret in (("approver_a", "The region funds the joint desk."), ("approver_b", "seasonal work")):
        response = _login(client, world.users[role]).get(reverse("partnership_detail", args=[proposal.pk]))
        page = response.content.decode()
        assert response.status_code == 200
        assert "Nothing is shared yet" in page
        assert secret not in page
        assert "sides" not in response.context
        assert "Decentralised cooperation side by side" not in page


def test_a_reviewer_sees_both_sides(client, world, partners):
    page = _detail(client, world, "reviewer").content.decode()
    assert "Kasserine and Tuscany signed an agreement on seasonal work." in page
    assert "The region funds the joint desk." in page


# --- query counts --------------------------------------------------------------------------------


# Measured: session, user, the user's memberships, all authorities (the proposal form), their permissions
# (2), the partnerships, and the menu's membership check (8); the detail adds the two sides' authorities,
# rounds, DC scores, DC indicators and answers, and the shared evidence, with the side checks (14).
PINNED = {"partnership_list": 8, "partnership_detail": 14}


def _add_partnerships(world, n: int) -> None:
    a = world.authorities["a"]
    for i in range(n):
        other = AuthorityFactory(name=f"Partner {i}", country="Spain")
        partnership = PartnershipFactory(
            first=a, second=other, proposed_by=world.users["approver_a"], confirmed=i % 2 == 0
        )
        PartnershipEvidence.objects.create(
            partnership=partnership,
            authority=a,
            title=f"Link {i}",
            url="https://example.org/",
            added_by=world.users["editor_a"],
        )
        PartnershipEvidence.objects.create(
            partnership=world.confirmed,
            authority=a,
            title=f"Shared {i}",
            url="https://example.org/",
            added_by=world.users["editor_a"],
        )


@pytest.mark.parametrize("name", ["partnership_list", "partnership_detail"])
def test_the_pages_cost_the_same_queries_for_two_partnerships_or_twenty(
    client, world, partners, django_assert_max_num_queries, name
):
    client = _login(client, world.users["approver_a"])
    url = reverse(name, args=[] if name == "partnership_list" else [world.confirmed.pk])
    _add_partnerships(world, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    assert len(small) <= PINNED[name]
    _add_partnerships(world, 19)
    with django_assert_max_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200
    if name == "partnership_detail":
        assert len(response.context["evidence"]) == 22
    else:
        assert sum(len(rows) for rows in response.context["groups"].values()) == 22


def test_evidence_the_file_store_refuses_is_a_form_error_and_nothing_is_shared(client, world, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"  # a file where the media folder should be: the disk refuses every write
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker
    before = _snapshot()
    response = _login(client, world.users["editor_a"]).post(
        reverse("partnership_evidence_add", args=[world.confirmed.pk]),
        {"title": "Signed agreement", "file": SimpleUploadedFile("agreement.pdf", PDF)},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "The file could not be stored: the file store is unavailable." in page
    assert 'value="Signed agreement"' in page
    assert _snapshot() == before
