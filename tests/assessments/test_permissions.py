"""Who may do what: every URL of the assessment workflow requested as every role.

Authority A (Atlantis) has a draft, a submitted and a validated round, each fully answered (so
the draft can be submitted): HC-01 at level 2 with a PDF and a link as evidence, the rest "don't
know". Authority B (Borealis) is another city, whose editor must learn nothing of A, not even
that its rounds exist; reviewers must not learn of A's drafts.

What each role should get is not written here by hand: it is read from the access table
(``assessments.access.GRANTS``), so that a role added to the table, or to ``Membership.Role``,
changes the expectations of every URL.
"""

import io
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from assessments import services
from assessments.access import GRANTS, OPEN, Capability, ProgrammeRole
from assessments.models import (
    Answer,
    AnswerRevision,
    Authority,
    Comment,
    Evidence,
    Membership,
    ReviewItem,
    Round,
    StatusEvent,
    Thread,
)
from assessments.urls import urlpatterns
from indicators.models import Indicator
from tests.factories import AuthorityFactory, MembershipFactory, RoundFactory, UserFactory
from tests.indicators.editions import second_edition

pytestmark = pytest.mark.django_db


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png_bytes()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# The people of the matrix: (the authority they are a member of, with which role; their programme roles).
# One member of A per membership role, an editor of B, a programme reviewer and an administrator.
PEOPLE = {
    "anonymous": (None, None, ()),
    **{f"{role}_a": ("A", role, ()) for role in Membership.Role.values},
    "editor_b": ("B", Membership.Role.EDITOR, ()),
    "reviewer": (None, None, (ProgrammeRole.REVIEWER,)),
    "superuser": (None, None, (ProgrammeRole.ADMINISTRATOR, ProgrammeRole.REVIEWER)),  # holds every permission
}
ROLES = tuple(PEOPLE)
JUSTIFICATIONS = {
    "draft": "The newcomers' desk keeps a register in the old customs house.",
    "submitted": "A migration council of twelve members meets every quarter.",
    "validated": "The harbour office publishes arrivals in three languages.",
}
PERIODS = {"draft": "2025", "submitted": "2024", "validated": "2023"}


def _answered_round(authority: Authority, period: str, *, editor, approver, justification: str) -> Round:
    """Open a round and answer all of it: HC-01 at level 2 with a PDF and a link, the rest "don't know"."""
    round = RoundFactory(authority=authority, period=period, actor=approver)
    hc01 = Indicator.objects.get(version=round.version, code="HC-01")
    services.answer_save(
        round=round,
        indicator=hc01,
        actor=editor,
        response=Answer.Response.LEVEL,
        level=2,
        justification=justification,
        base_revision=0,
    )
    pdf = SimpleUploadedFile(f"register-{period}.pdf", PDF, content_type="application/pdf")
    services.evidence_add(round=round, indicator=hc01, actor=editor, description="The register", file=pdf)
    services.evidence_add(
        round=round, indicator=hc01, actor=editor, description="The council", url="https://example.org/council"
    )
    Answer.objects.bulk_create(
        Answer(round=round, indicator=indicator, response=Answer.Response.DONT_KNOW)
        for indicator in services.round_indicators(round).exclude(pk=hc01.pk)
    )
    return round


@dataclass
class World:
    """Atlantis, Borealis and a user per role; Atlantis's rounds are made on first use (they are slow)."""

    authority_a: Authority
    users: dict
    rounds: dict[str, Round] = field(default_factory=dict)

    def round(self, state: str) -> Round:
        """Atlantis's round in the given state: draft, submitted or validated."""
        if state not in self.rounds:
            approver = self.users["approver_a"]
            round = _answered_round(
                self.authority_a,
                PERIODS[state],
                editor=self.users["editor_a"],
                approver=approver,
                justification=JUSTIFICATIONS[state],
            )
            if state in ("submitted", "validated"):
                services.round_submit(round=round, actor=approver)
            if state == "validated":
                services.round_review(
                    round=round, actor=self.users["reviewer"], decisions={}, action=services.ReviewAction.VALIDATE
                )
            self.rounds[state] = round
        return self.rounds[state]

    def thread(self, state: str, *, resolved: bool = False) -> Thread:
        """A thread on HC-01 (open) or HC-02 (resolved) of the round in the given state, written as history is."""
        round = self.round(state)
        code = "HC-02" if resolved else "HC-01"
        thread = Thread.objects.filter(round=round, indicator__code=code).first()
        if thread is None:
            editor = self.users["editor_a"]
            thread = Thread.objects.create(
                round=round, indicator=Indicator.objects.get(version=round.version, code=code)
            )
            Comment.objects.create(thread=thread, author=editor, body="Who has the register?", cycle=0)
            if resolved:
                Thread.objects.filter(pk=thread.pk).update(resolved_at=thread.started_at, resolved_by=editor)
        return thread

    def file(self, state: str) -> Evidence:
        """The PDF given for HC-01 in the round in the given state."""
        return Evidence.objects.get(answer__round=self.round(state), url="")


@pytest.fixture
def world(catalogue, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    atlantis = AuthorityFactory(name="Atlantis")
    borealis = AuthorityFactory(name="Borealis", country="Norway")
    reviewers = Group.objects.create(name="Programme reviewers")
    reviewers.permissions.add(Permission.objects.get(codename="review_round"))
    users = {
        "anonymous": None,
        **{f"{role}_a": MembershipFactory(authority=atlantis, role=role).user for role in Membership.Role.values},
        "editor_b": MembershipFactory(authority=borealis, role=Membership.Role.EDITOR).user,
        "reviewer": UserFactory(),
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }
    users["reviewer"].groups.add(reviewers)
    return World(atlantis, users)


def _client_as(client, world: World, role: str):
    if world.users[role] is not None:
        client.force_login(world.users[role], backend="django.contrib.auth.backends.ModelBackend")
    return client


def _snapshot(authority: Authority) -> dict:
    """Everything a request could change about an authority's rounds."""
    mine = {"round__authority": authority}
    return {
        "rounds": list(
            Round.objects.filter(authority=authority)
            .order_by("pk")
            .values_list("pk", "status", "submission_count", "publication_consent")
        ),
        "omitted": list(
            Round.omitted_dimensions.through.objects.filter(**mine).order_by("pk").values_list("round", "dimension")
        ),
        "answers": list(
            Answer.objects.filter(**mine)
            .order_by("pk")
            .values_list("pk", "response", "level", "justification", "revision")
        ),
        "evidence": list(Evidence.objects.filter(answer__round__authority=authority).values_list("pk", flat=True)),
        "reviews": list(
            ReviewItem.objects.filter(**mine).values_list("pk", "validated_level", "na_accepted", "comment", "returned")
        ),
        "events": StatusEvent.objects.filter(**mine).count(),
        "revisions": AnswerRevision.objects.filter(answer__round__authority=authority).count(),
        "logo": Authority.objects.get(pk=authority.pk).logo.name,
        "threads": list(Thread.objects.filter(**mine).order_by("pk").values_list("pk", "resolved_at")),
        "comments": Comment.objects.filter(thread__round__authority=authority).count(),
    }


# What the other authority's editor must never read: A's name, its answers, its files' names.
SECRETS = ["Atlantis", *JUSTIFICATIONS.values(), *(f"register-{period}.pdf" for period in PERIODS.values())]


# --- the matrix ----------------------------------------------------------------------------------


class Done(int):
    """An expected status after which the action has been carried out: the data changed."""


LOGIN = "login"  # a redirect to the log-in page
DONE = Done(302)  # carried out, then a redirect
AUTHORITY = "authority"  # a request about authority A, not one of its rounds
SAVED = Done(200)  # carried out; HTMX gets the updated fragment

# One row per request (method, URL name, which of A's rounds or evidence files) with the capability
# it asks for. Pages of no round are shown to whoever holds the capability on some authority (None:
# to everyone signed in) and are a 404 for the rest. Pages of authority A itself (AUTHORITY) are a 404 for
# whoever may see none of its rounds, and a 403 for those who may but lack the capability.
ENDPOINTS = {
    ("GET", "home", None): None,
    ("GET", "round_create", None): Capability.OPEN_ROUND,
    ("GET", "review_queue", None): Capability.REVIEW,
    ("GET", "round_detail", "draft"): Capability.VIEW,
    ("GET", "round_detail", "submitted"): Capability.VIEW,
    ("GET", "round_dimension", "draft"): Capability.VIEW,
    ("GET", "round_dimension", "submitted"): Capability.VIEW,
    ("POST", "round_dimension_toggle", "draft"): Capability.TOGGLE_DIMENSIONS,
    ("POST", "round_dimension_toggle", "submitted"): Capability.TOGGLE_DIMENSIONS,
    ("POST", "answer_save", "draft"): Capability.EDIT_ANSWERS,
    ("POST", "answer_save", "submitted"): Capability.EDIT_ANSWERS,
    ("POST", "evidence_add", "draft"): Capability.EDIT_EVIDENCE,
    ("POST", "evidence_add", "submitted"): Capability.EDIT_EVIDENCE,
    ("GET", "evidence_download", "draft"): Capability.DOWNLOAD,
    ("GET", "evidence_download", "submitted"): Capability.DOWNLOAD,
    ("POST", "evidence_delete", "draft"): Capability.EDIT_EVIDENCE,
    ("POST", "evidence_delete", "submitted"): Capability.EDIT_EVIDENCE,
    ("GET", "round_submit", "draft"): Capability.SUBMIT,
    ("POST", "round_submit", "draft"): Capability.SUBMIT,
    ("GET", "round_submit", "submitted"): Capability.SUBMIT,
    ("POST", "round_submit", "submitted"): Capability.SUBMIT,
    ("POST", "round_consent", "draft"): Capability.CONSENT,
    ("POST", "round_consent", "validated"): Capability.CONSENT,
    ("GET", "round_review", "draft"): Capability.REVIEW,
    ("GET", "round_review", "submitted"): Capability.REVIEW,
    ("POST", "round_review", "draft"): Capability.REVIEW,
    ("POST", "round_review", "submitted"): Capability.REVIEW,
    ("GET", "round_history", "draft"): Capability.VIEW,
    ("GET", "round_history", "submitted"): Capability.VIEW,
    ("POST", "comment_add", "draft"): Capability.COMMENT,
    ("POST", "comment_add", "submitted"): Capability.COMMENT,
    ("POST", "comment_add", "validated"): Capability.COMMENT,
    ("POST", "thread_resolve", "draft"): Capability.COMMENT,
    ("POST", "thread_resolve", "submitted"): Capability.COMMENT,
    ("POST", "thread_resolve", "validated"): Capability.COMMENT,
    ("POST", "thread_reopen", "draft"): Capability.COMMENT,
    ("POST", "thread_reopen", "validated"): Capability.COMMENT,
    ("GET", "authority_logo", "authority"): Capability.EDIT_AUTHORITY,
    ("POST", "authority_logo", "authority"): Capability.EDIT_AUTHORITY,
    ("GET", "authority_export", "authority"): Capability.EDIT_AUTHORITY,
    ("GET", "round_move", "draft"): Capability.MOVE_EDITION,
    ("POST", "round_move", "draft"): Capability.MOVE_EDITION,
    ("GET", "round_move", "submitted"): Capability.MOVE_EDITION,
    ("POST", "round_move", "submitted"): Capability.MOVE_EDITION,
}

# The workflow's own order, which the services keep whoever asks: out of turn, a 409 that says why.
IN_TURN = {
    "round_submit": OPEN,
    "round_consent": {Round.Status.VALIDATED},
    "round_review": {Round.Status.SUBMITTED},
    "round_move": OPEN,
}


def _roles(person: str, authority: str | None) -> set[str]:
    """The table's roles a person holds on authority "A" (None: on any authority)."""
    member_of, role, programme = PEOPLE[person]
    return {*programme, *([role] if member_of and authority in (None, member_of) else [])}


def _granted(roles: set[str], capability: Capability, status: str | None = None) -> bool:
    return any(capability in GRANTS.get(role, {}) and status in {None, *GRANTS[role][capability]} for role in roles)


def _expected(person: str, method: str, name: str, target: str | None):
    """What the access table says ``person`` gets for the request.

    404 for a round they may not see; 403 for an action their roles do not allow in the round's
    status; 409 for an action out of the workflow's turn; otherwise done (or the page shown).
    """
    if person == "anonymous":
        return LOGIN
    capability = ENDPOINTS[(method, name, target)]
    if target is None:
        return 200 if capability is None or _granted(_roles(person, None), capability) else 404
    if target == AUTHORITY:
        roles = _roles(person, "A")
        if not _granted(roles, Capability.VIEW):
            return 404
        return (200 if method == "GET" else DONE) if _granted(roles, capability) else 403
    roles = _roles(person, "A")
    if not _granted(roles, Capability.VIEW, target):
        return 404
    if not _granted(roles, capability, target):
        return 403
    if method == "GET":
        return 200
    if target not in IN_TURN.get(name, {target}):
        return 409
    return SAVED if name in HTMX_VIEWS else DONE


# The form's autosave and the evidence list post through HTMX, which is also the only way these
# three views tell a refusal by its status (without it they redirect back with a message).
HTMX_VIEWS = {"answer_save", "evidence_add", "evidence_delete"}
URL_CODES = {
    "round_dimension": "HC",
    "round_dimension_toggle": "DC",
    "answer_save": "HC-01",
    "evidence_add": "HC-01",
    "comment_add": "HC-01",
}


def _cell_id(role: str, method: str, name: str, target: str | None, expected) -> str:
    on = f" on {target}" if target else ""
    done = " done" if isinstance(expected, Done) else ""
    return f"{role} {method} {name}{on} -> {expected}{done}"


MATRIX = {(role, *request): _expected(role, *request) for request in ENDPOINTS for role in ROLES}
CELLS = [
    pytest.param(role, method, name, target, outcome, id=_cell_id(role, method, name, target, outcome))
    for (role, method, name, target), outcome in MATRIX.items()
]


def test_the_matrix_covers_every_url_of_the_workflow():
    assert {name for _method, name, _target in ENDPOINTS} == {pattern.name for pattern in urlpatterns}


def test_the_table_gives_the_matrix_the_product_promises():
    """A few cells stated by hand, so that the derivation cannot drift into saying anything."""
    assert {MATRIX[(role, "GET", "round_detail", "draft")] for role in ("editor_b", "reviewer")} == {404}
    assert MATRIX[("reviewer", "GET", "round_detail", "submitted")] == 200
    assert [role for role in ROLES if MATRIX[(role, "POST", "round_submit", "draft")] == DONE] == [
        "approver_a",
        "superuser",
    ]
    assert MATRIX[("editor_a", "POST", "round_submit", "draft")] == 403
    assert MATRIX[("approver_a", "POST", "round_submit", "submitted")] == 409
    assert MATRIX[("editor_a", "POST", "answer_save", "draft")] == SAVED
    assert MATRIX[("editor_a", "POST", "answer_save", "submitted")] == 403
    assert MATRIX[("reviewer", "POST", "round_review", "submitted")] == DONE
    assert {MATRIX[(role, "GET", "round_create", None)] for role in ("editor_a", "reviewer")} == {404}


def _url(world: World, name: str, target: str | None) -> str:
    if target is None:
        return reverse(name)
    if target == AUTHORITY:
        return reverse(name, args=[world.authority_a.slug])
    if name in ("evidence_download", "evidence_delete"):
        return reverse(name, args=[world.file(target).pk])
    if name in ("thread_resolve", "thread_reopen"):
        return reverse(name, args=[world.thread(target, resolved=name == "thread_reopen").pk])
    code = URL_CODES.get(name)
    return reverse(name, args=[world.round(target).pk, *([code] if code else [])])


def _data(world: World, name: str, target: str | None) -> dict:
    if name == "answer_save":
        answer = Answer.objects.get(round=world.round(target), indicator__code="HC-01")
        return {"HC-01-choice": "3", "HC-01-justification": "Rewritten.", "HC-01-revision": answer.revision}
    return {
        "evidence_add": {"HC-01-evidence-description": "Minutes", "HC-01-evidence-url": "https://example.org/minutes"},
        "round_consent": {"consent": "yes"},
        "comment_add": {"body": "The register is in the customs house."},
        # The decisions of the indicators the page shows (their codes in hidden "indicator" fields).
        "round_review": {"action": services.ReviewAction.SAVE, "indicator": ["HC-01"], "HC-01-validated_level": "1"},
        "authority_logo": {"logo": SimpleUploadedFile("logo.png", PNG, content_type="image/png")},
        "round_move": {"confirm": "yes"},
    }.get(name, {})


@pytest.mark.parametrize(("role", "method", "name", "target", "expected"), CELLS)
def test_each_role_gets_what_the_matrix_says_and_refusals_change_nothing(
    client, world, role, method, name, target, expected
):
    # Pages without an id show (or hide) all of A's rounds; the authority's own pages need none.
    for state in {None: PERIODS, AUTHORITY: []}.get(target, [target]):
        world.round(state)
    if name == "round_move":  # a newer edition to move to, published once the rounds are made on the first
        second_edition(world.round(target).version)
    client = _client_as(client, world, role)
    url = _url(world, name, target)
    headers = {"HX-Request": "true"} if name in HTMX_VIEWS else {}
    before = _snapshot(world.authority_a)

    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        response = client.post(url, _data(world, name, target), headers=headers)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    else:
        assert response.status_code == expected
    if isinstance(expected, Done):
        assert _snapshot(world.authority_a) != before
    else:
        assert _snapshot(world.authority_a) == before
    if expected == 404 or role == "editor_b":
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for secret in SECRETS:
            assert secret.encode() not in body
    response.close()


# --- focused tests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "target"),
    [("editor_a", "draft"), ("approver_a", "draft"), ("superuser", "draft"), ("reviewer", "submitted")],
)
def test_evidence_is_downloaded_as_an_attachment_under_its_uploaded_name(client, world, role, target):
    response = _client_as(client, world, role).get(reverse("evidence_download", args=[world.file(target).pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{world.file(target).filename}"'
    assert b"".join(response.streaming_content) == PDF
    response.close()


def test_a_link_has_no_file_to_download(client, world):
    link = Evidence.objects.get(answer__round=world.round("draft"), file="")

    response = _client_as(client, world, "editor_a").get(reverse("evidence_download", args=[link.pk]))

    assert response.status_code == 404


def test_without_htmx_a_reviewers_answer_is_refused_with_a_page_that_says_why(client, world):
    round = world.round("submitted")
    answer = Answer.objects.get(round=round, indicator__code="HC-01")

    response = _client_as(client, world, "reviewer").post(
        reverse("answer_save", args=[round.pk, "HC-01"]),
        {"HC-01-choice": "4", "HC-01-justification": "A reviewer's view.", "HC-01-revision": answer.revision},
    )

    assert response.status_code == 403
    assert "You cannot change this round now." in response.content.decode()
    assert reverse("round_dimension", args=[round.pk, "HC"]) + "#indicator-HC-01" in response.content.decode()
    saved = Answer.objects.get(pk=answer.pk)
    assert (saved.level, saved.justification, saved.revision) == (2, JUSTIFICATIONS["submitted"], answer.revision)


def test_in_a_returned_round_only_the_returned_indicators_can_be_changed(client, world):
    round = world.round("submitted")
    hc01 = Indicator.objects.get(version=round.version, code="HC-01")
    services.round_review(
        round=round,
        actor=world.users["reviewer"],
        decisions={hc01.pk: services.Decision(comment="Show the register's last page.", send_back=True)},
        action=services.ReviewAction.RETURN,
    )
    client = _client_as(client, world, "editor_a")
    htmx = {"HX-Request": "true"}
    hc01_answer, hc02_answer = (Answer.objects.get(round=round, indicator__code=code) for code in ("HC-01", "HC-02"))

    refused = client.post(
        reverse("answer_save", args=[round.pk, "HC-02"]),
        {"HC-02-choice": "1", "HC-02-justification": "", "HC-02-revision": hc02_answer.revision},
        headers=htmx,
    )
    accepted = client.post(
        reverse("answer_save", args=[round.pk, "HC-01"]),
        {"HC-01-choice": "3", "HC-01-justification": "Page 12.", "HC-01-revision": hc01_answer.revision},
        headers=htmx,
    )

    assert refused.status_code == 409
    assert "Only the indicators the reviewer returned can be changed now." in refused.content.decode()
    assert Answer.objects.get(pk=hc02_answer.pk).response == Answer.Response.DONT_KNOW
    assert accepted.status_code == 200
    assert Answer.objects.get(pk=hc01_answer.pk).level == 3


def test_a_returned_round_stays_hidden_from_the_other_authority_and_closed_to_reviewers(client, world):
    round = world.round("submitted")
    hc01 = Indicator.objects.get(version=round.version, code="HC-01")
    services.round_review(
        round=round,
        actor=world.users["reviewer"],
        decisions={hc01.pk: services.Decision(comment="Which page?", send_back=True)},
        action=services.ReviewAction.RETURN,
    )
    revision = Answer.objects.get(round=round, indicator=hc01).revision
    data = {"HC-01-choice": "4", "HC-01-justification": "Taken over.", "HC-01-revision": revision}
    url = reverse("answer_save", args=[round.pk, "HC-01"])

    foreign = _client_as(client, world, "editor_b").post(url, data, headers={"HX-Request": "true"})
    client.logout()
    reviewer = _client_as(client, world, "reviewer").post(url, data, headers={"HX-Request": "true"})

    assert foreign.status_code == 404
    assert reviewer.status_code == 403
    assert Answer.objects.get(round=round, indicator=hc01).level == 2


def test_the_review_queue_lists_every_authoritys_submitted_rounds_and_no_drafts(client, world):
    borealis = Authority.objects.get(name="Borealis")
    approver_b = MembershipFactory(authority=borealis, role=Membership.Role.APPROVER).user
    foreign = _answered_round(
        borealis, "2024", editor=world.users["editor_b"], approver=approver_b, justification="Their council."
    )
    services.round_submit(round=foreign, actor=approver_b)
    draft, submitted, validated = (world.round(state) for state in ("draft", "submitted", "validated"))

    page = _client_as(client, world, "reviewer").get(reverse("review_queue")).content.decode()

    for listed in (foreign, submitted, validated):
        assert reverse("round_review", args=[listed.pk]) in page
    assert reverse("round_review", args=[draft.pk]) not in page


def test_an_approver_cannot_open_a_round_for_another_authority(client, world):
    borealis = Authority.objects.get(name="Borealis")

    response = _client_as(client, world, "approver_a").post(
        reverse("round_create"), {"authority": borealis.pk, "period": "2026"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["authority"]
    assert not Round.objects.filter(authority=borealis).exists()
