"""A round's consultations through their pages: who may do what, bad input, attachments, stale objects.

The permission matrix covers every URL of ``participation.consultation_urls`` (the register's too),
for every role, on a draft round (D) and a submitted one (S). Authority A (Atlantis) holds both
rounds, a consultation in each with a PDF attached, and a register of two groups: one took part in
the draft round's consultation, one never did. Authority B (Borealis) is another city, whose editor
must learn nothing of A's (a 404, and none of its words). Programme reviewers read A's register and
its submitted round but never its draft (a 404); nobody records a consultation of a submitted round
(a 403). Someone signed in with no role learns nothing (a 404 everywhere).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments.models import Authority, Membership, Round
from indicators.models import Indicator
from participation import services
from participation.consultation_urls import urlpatterns
from participation.models import Consultation, ConsultationAttachment, Stakeholder
from tests.factories import AuthorityFactory, MembershipFactory, RoundFactory, UserFactory
from tests.participation.factories import ConsultationFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = ("anonymous", "editor_a", "approver_a", "editor_b", "reviewer", "superuser", "no_role")
# What B's editor, and someone with no role, must never read about A.
SECRETS = ["Atlantis", "Harbour Migrants Union", "Interpreters were asked for at the port", "harbour-minutes.pdf"]
YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


@dataclass
class World:
    authority: Authority
    draft: Round
    submitted: Round
    used_group: Stakeholder
    free_group: Stakeholder
    consultations: dict[str, Consultation]  # "D" and "S"
    attachments: dict[str, ConsultationAttachment]
    users: dict


@pytest.fixture
def world(catalogue, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    atlantis = AuthorityFactory(name="Atlantis", slug="atlantis")
    borealis = AuthorityFactory(name="Borealis", slug="borealis", country="Norway")
    reviewers, _created = Group.objects.get_or_create(name="Programme reviewers")
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
    draft = RoundFactory(authority=atlantis, period="2025", actor=users["approver_a"])
    submitted = RoundFactory(authority=atlantis, period="2024", actor=users["approver_a"])
    used = StakeholderFactory(
        authority=atlantis, name="Harbour Migrants Union", category=Stakeholder.Category.MIGRANT_ASSOCIATION
    )
    free = StakeholderFactory(authority=atlantis, name="Atlantis Chamber of Commerce", category="private")
    consultations, attachments = {}, {}
    for key, round in (("D", draft), ("S", submitted)):
        consultations[key] = ConsultationFactory(
            round=round,
            groups=[used] if key == "D" else [],
            indicators=["SP-01"],
            summary="Interpreters were asked for at the port.",
            created_by=users["editor_a"],
        )
        attachments[key] = services.attachment_add(
            consultation=consultations[key],
            actor=users["editor_a"],
            title="Minutes",
            file=SimpleUploadedFile("harbour-minutes.pdf", PDF),
        )
    # The round was submitted once its consultations were recorded: they are locked with it.
    Round.objects.filter(pk=submitted.pk).update(status=Round.Status.SUBMITTED)
    submitted.refresh_from_db()
    return World(atlantis, draft, submitted, used, free, consultations, attachments, users)


# --- the matrix ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One request: its method, how to build its URL arguments (and POST data), and each signed-in role's status.

    ``writes``: a 302 on this row means the change was made (A's data differs afterwards); every
    other answer must leave it as it was. Anonymous visitors always go to the log-in.
    """

    method: str
    args: Callable[[World], list]
    expected: dict[str, int]
    data: Callable[[World], dict] = field(default=lambda world: {})
    writes: bool = False


def _roles(editor_a, approver_a, editor_b, reviewer, superuser, no_role=404) -> dict[str, int]:
    return {
        "editor_a": editor_a,
        "approver_a": approver_a,
        "editor_b": editor_b,
        "reviewer": reviewer,
        "superuser": superuser,
        "no_role": no_role,
    }


REGISTER_READ = _roles(200, 200, 404, 200, 200)
REGISTER_FORM = _roles(200, 200, 404, 403, 200)
REGISTER_WRITE = _roles(302, 302, 404, 403, 302)
DRAFT_READ = _roles(200, 200, 404, 404, 200)  # a draft stays with its authority
DRAFT_FORM = _roles(200, 200, 404, 404, 200)
DRAFT_WRITE = _roles(302, 302, 404, 404, 302)
SUBMITTED_READ = _roles(200, 200, 404, 200, 200)
LOCKED = _roles(403, 403, 404, 403, 403)  # a submitted round's consultations are locked for everyone
NOT_ALLOWED = _roles(405, 405, 405, 405, 405, 405)


def _slug(world):
    return [world.authority.slug]


def _round(key):
    return lambda world: [world.draft.pk if key == "D" else world.submitted.pk]


def _consultation(key):
    return lambda world: [world.consultations[key].pk]


def _attachment(key):
    return lambda world: [world.attachments[key].pk]


def _consultation_data(world: World) -> dict:
    sp01 = Indicator.objects.get(version=world.draft.version, code="SP-01")
    return {
        "date": YESTERDAY.isoformat(),
        "method": "meeting",
        "participants": "9",
        "groups": [str(world.used_group.pk)],
        "indicators": [str(sp01.pk)],
        "summary": "The union asked for evening opening hours.",
    }


MATRIX: dict[str, Row] = {
    # Members of one authority go straight to its register; reviewers and the superuser get the list.
    "participation_home": Row("GET", lambda world: [], _roles(302, 302, 302, 200, 200)),
    "stakeholder_list": Row("GET", _slug, REGISTER_READ),
    "stakeholder_edit": Row("GET", lambda world: [world.authority.slug, world.free_group.pk], REGISTER_FORM),
    "stakeholder_delete": Row(
        "POST", lambda world: [world.authority.slug, world.free_group.pk], REGISTER_WRITE, writes=True
    ),
    "consultation_list": Row("GET", _round("D"), DRAFT_READ),
    "consultation_create": Row("GET", _round("D"), DRAFT_FORM),
    "consultation_detail": Row("GET", _consultation("D"), DRAFT_READ),
    "consultation_edit": Row("GET", _consultation("D"), DRAFT_FORM),
    "consultation_delete": Row("GET", _consultation("D"), DRAFT_FORM),
    "attachment_add": Row(
        "POST",
        _consultation("D"),
        DRAFT_WRITE,
        data=lambda world: {"title": "Photos", "url": "https://example.org/photos"},
        writes=True,
    ),
    "attachment_remove": Row("POST", _attachment("D"), DRAFT_WRITE, writes=True),
    "attachment_file": Row("GET", _attachment("D"), DRAFT_READ),
}
# Requests not named by the URL alone: another method, the submitted round, or the form posted.
EXTRA: dict[str, Row] = {
    "stakeholder_list POST": Row(
        "POST", _slug, REGISTER_WRITE, data=lambda world: {"name": "Port Workers", "category": "union"}, writes=True
    ),
    "stakeholder_edit POST": Row(
        "POST",
        lambda world: [world.authority.slug, world.free_group.pk],
        REGISTER_WRITE,
        data=lambda world: {"name": "Chamber of Commerce of Atlantis", "category": "private"},
        writes=True,
    ),
    "stakeholder_delete GET": Row("GET", lambda world: [world.authority.slug, world.free_group.pk], NOT_ALLOWED),
    "consultation_create POST": Row("POST", _round("D"), DRAFT_WRITE, data=_consultation_data, writes=True),
    "consultation_edit POST": Row("POST", _consultation("D"), DRAFT_WRITE, data=_consultation_data, writes=True),
    "consultation_delete POST": Row("POST", _consultation("D"), DRAFT_WRITE, writes=True),
    "attachment_add GET": Row("GET", _consultation("D"), NOT_ALLOWED),
    "attachment_remove GET": Row("GET", _attachment("D"), NOT_ALLOWED),
    # The submitted round: read by whoever may read it, changed by nobody.
    "consultation_list S": Row("GET", _round("S"), SUBMITTED_READ),
    "consultation_detail S": Row("GET", _consultation("S"), SUBMITTED_READ),
    "attachment_file S": Row("GET", _attachment("S"), SUBMITTED_READ),
    "consultation_create S": Row("GET", _round("S"), LOCKED),
    "consultation_create POST S": Row("POST", _round("S"), LOCKED, data=_consultation_data),
    "consultation_edit S": Row("GET", _consultation("S"), LOCKED),
    "consultation_edit POST S": Row("POST", _consultation("S"), LOCKED, data=_consultation_data),
    "consultation_delete S": Row("GET", _consultation("S"), LOCKED),
    "consultation_delete POST S": Row("POST", _consultation("S"), LOCKED),
    "attachment_add S": Row(
        "POST", _consultation("S"), LOCKED, data=lambda world: {"title": "Photos", "url": "https://example.org/p"}
    ),
    "attachment_remove S": Row("POST", _attachment("S"), LOCKED),
}


def _snapshot(authority: Authority) -> dict:
    """Everything a request could change about an authority's register and consultations."""
    mine = {"round__authority": authority}
    return {
        "groups": list(
            Stakeholder.objects.filter(authority=authority).order_by("pk").values_list("pk", "name", "category")
        ),
        "consultations": list(
            Consultation.objects.filter(**mine).order_by("pk").values_list("pk", "method", "participants", "summary")
        ),
        "links": sorted(
            Consultation.groups.through.objects.filter(consultation__round__authority=authority).values_list(
                "consultation_id", "stakeholder_id"
            )
        ),
        "indicators": sorted(
            Consultation.indicators.through.objects.filter(consultation__round__authority=authority).values_list(
                "consultation_id", "indicator_id"
            )
        ),
        "attachments": list(
            ConsultationAttachment.objects.filter(consultation__round__authority=authority)
            .order_by("pk")
            .values_list("pk", "title")
        ),
    }


def _cells():
    for name, row in {**MATRIX, **EXTRA}.items():
        url_name = name.split()[0]
        for role in ROLES:
            expected = "login" if role == "anonymous" else row.expected[role]
            yield pytest.param(url_name, row, role, expected, id=f"{role} {name} -> {expected}")


def test_the_matrix_covers_every_url_of_the_register_and_consultations():
    assert set(MATRIX) == {pattern.name for pattern in urlpatterns}


def test_every_row_says_what_each_role_gets():
    for name, row in {**MATRIX, **EXTRA}.items():
        assert set(row.expected) == set(ROLES) - {"anonymous"}, name


def test_the_matrix_keeps_the_promises_of_the_issue():
    """A few cells stated by hand, so that shared shorthands cannot drift into saying anything."""
    assert MATRIX["consultation_detail"].expected["editor_b"] == 404
    assert MATRIX["consultation_list"].expected["reviewer"] == 404  # a reviewer sees no draft
    assert EXTRA["consultation_list S"].expected["reviewer"] == 200
    assert EXTRA["consultation_create POST S"].expected["approver_a"] == 403
    assert EXTRA["stakeholder_list POST"].expected["reviewer"] == 403
    assert {row.expected["no_role"] for row in {**MATRIX, **EXTRA}.values()} <= {404, 405}


@pytest.mark.parametrize(("name", "row", "role", "expected"), list(_cells()))
def test_each_role_gets_what_the_matrix_says_and_refusals_change_nothing(client, world, name, row, role, expected):
    user = world.users[role]
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse(name, args=row.args(world))
    before = _snapshot(world.authority)

    response = client.get(url) if row.method == "GET" else client.post(url, row.data(world))

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"
    else:
        assert response.status_code == expected
    if row.writes and expected == 302:
        assert _snapshot(world.authority) != before
    else:
        assert _snapshot(world.authority) == before
    if role in ("editor_b", "no_role"):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for secret in SECRETS:
            assert secret.encode() not in body
    response.close()


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_a_refusal_on_a_submitted_round_says_why(client, world):
    response = _login(client, world.users["approver_a"]).post(
        reverse("consultation_create", args=[world.submitted.pk]), _consultation_data(world)
    )
    assert response.status_code == 403
    assert "The consultations of this round cannot be changed now." in response.content.decode()


@pytest.mark.parametrize("role", ["editor_a", "reviewer", "superuser"])
def test_a_submitted_round_shows_no_button_that_changes_its_consultations(client, world, role):
    client = _login(client, world.users[role])
    consultation = world.consultations["S"]
    pages = [
        client.get(reverse("consultation_list", args=[world.submitted.pk])).content.decode(),
        client.get(reverse("consultation_detail", args=[consultation.pk])).content.decode(),
        client.get(reverse("round_detail", args=[world.submitted.pk])).content.decode(),
    ]
    for page in pages:
        assert reverse("consultation_create", args=[world.submitted.pk]) not in page
        assert reverse("consultation_edit", args=[consultation.pk]) not in page
        assert reverse("consultation_delete", args=[consultation.pk]) not in page
        assert reverse("attachment_add", args=[consultation.pk]) not in page
        assert reverse("attachment_remove", args=[world.attachments["S"].pk]) not in page
    assert reverse("attachment_file", args=[world.attachments["S"].pk]) in pages[1]


def test_a_member_of_a_draft_round_sees_the_buttons_that_change_it(client, world):
    client = _login(client, world.users["editor_a"])
    consultation = world.consultations["D"]
    listing = client.get(reverse("consultation_list", args=[world.draft.pk])).content.decode()
    detail = client.get(reverse("consultation_detail", args=[consultation.pk])).content.decode()
    assert reverse("consultation_create", args=[world.draft.pk]) in listing
    for url in (
        reverse("consultation_edit", args=[consultation.pk]),
        reverse("consultation_delete", args=[consultation.pk]),
        reverse("attachment_add", args=[consultation.pk]),
        reverse("attachment_remove", args=[world.attachments["D"].pk]),
    ):
        assert url in detail


# --- recording, changing and removing -------------------------------------------------------------


@pytest.fixture
def editor(client, quito):
    return _login(client, quito.editor)


def _post_data(round: Round, **changes) -> dict:
    indicators = {
        i.code: str(i.pk) for i in Indicator.objects.filter(version=round.version, code__in=["SP-01", "HC-02"])
    }
    return {
        "date": YESTERDAY.isoformat(),
        "method": "workshop",
        "participants": "25",
        "women": "12",
        "men": "11",
        "other_gender": "",
        "migrants": "15",
        "languages": "Spanish, Kichwa",
        "summary": "Newcomers asked for a single desk for all procedures.",
        "indicators": [indicators["SP-01"], indicators["HC-02"]],
        **changes,
    }


def test_an_editor_records_a_consultation_with_its_groups_and_indicators(editor, quito, draft):
    union = StakeholderFactory(authority=quito.authority, name="Venezuelan Association", category="migrant")
    response = editor.post(reverse("consultation_create", args=[draft.pk]), _post_data(draft, groups=[str(union.pk)]))

    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("consultation_detail", args=[consultation.pk])
    assert (consultation.participants, consultation.women, consultation.other_gender) == (25, 12, None)
    assert list(consultation.groups.all()) == [union]
    assert sorted(consultation.indicators.values_list("code", flat=True)) == ["HC-02", "SP-01"]
    assert consultation.created_by == quito.editor

    page = editor.get(response["Location"]).content.decode()
    assert "Venezuelan Association" in page
    assert "Newcomers asked for a single desk for all procedures." in page


def test_a_change_replaces_the_groups_and_indicators(editor, quito, draft):
    old = StakeholderFactory(authority=quito.authority, name="Old group")
    new = StakeholderFactory(authority=quito.authority, name="New group")
    consultation = ConsultationFactory(round=draft, groups=[old], indicators=["SP-01"], created_by=quito.editor)

    page = editor.get(reverse("consultation_edit", args=[consultation.pk])).content.decode()
    assert f'value="{old.pk}"' in page and "checked" in page

    response = editor.post(
        reverse("consultation_edit", args=[consultation.pk]),
        _post_data(draft, groups=[str(new.pk)], indicators=[], participants="30"),
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.participants == 30
    assert list(consultation.groups.all()) == [new]
    assert not consultation.indicators.exists()
    assert Consultation.objects.count() == 1


def test_the_form_groups_the_indicators_by_dimension_in_catalogue_order(editor, draft):
    response = editor.get(reverse("consultation_create", args=[draft.pk]))
    form = response.context["form"]
    fieldsets = form.indicator_fieldsets()
    codes = [dimension.code for dimension, _options in fieldsets]
    assert codes == list(draft.version.dimensions.order_by("order", "code").values_list("code", flat=True))
    assert sum(len(options) for _d, options in fieldsets) == Indicator.objects.filter(version=draft.version).count()
    page = response.content.decode()
    for dimension, _options in fieldsets:
        assert f"{dimension.code} · {dimension.name}</legend>" in page


LONG = "x" * 5001


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"summary": LONG}, "at most 5000 characters"),
        ({"summary": "   "}, "This field is required."),
        ({"participants": "100001"}, "less than or equal to 100000"),
        ({"participants": "0"}, "greater than or equal to 1"),
        ({"participants": "many"}, "Enter a whole number."),
        ({"women": "20", "men": "20"}, "Women, men and others add up to more than the participants."),
        ({"migrants": "26"}, "There cannot be more migrants than participants."),
        ({"indicators": ["999999999"]}, "Select a valid choice."),
        ({"date": "2999-01-01"}, "A consultation cannot be dated in the future."),
        ({"method": "seance"}, "Select a valid choice."),
        ({"languages": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_written(editor, draft, changes, message):
    response = editor.post(reverse("consultation_create", args=[draft.pk]), _post_data(draft, **changes))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Consultation.objects.exists()


def test_a_group_of_another_authority_is_a_form_error(editor, draft):
    elsewhere = StakeholderFactory(name="Lima Migrants Network")
    response = editor.post(
        reverse("consultation_create", args=[draft.pk]), _post_data(draft, groups=[str(elsewhere.pk)])
    )
    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    assert not Consultation.objects.exists()


def test_an_indicator_of_another_catalogue_version_is_a_form_error(editor, draft):
    from tests.factories import IndicatorFactory

    stranger = IndicatorFactory()
    response = editor.post(
        reverse("consultation_create", args=[draft.pk]), _post_data(draft, indicators=[str(stranger.pk)])
    )
    assert response.status_code == 422
    assert not Consultation.objects.exists()


def test_a_refusal_of_the_service_is_a_form_error_never_a_500(editor, draft, monkeypatch):
    def refuse(**kwargs):
        raise services.ParticipationError("The round changed while you were typing.")

    monkeypatch.setattr(services, "consultation_save", refuse)
    response = editor.post(reverse("consultation_create", args=[draft.pk]), _post_data(draft))
    assert response.status_code == 422
    assert "The round changed while you were typing." in response.content.decode()


def test_removing_asks_first_then_removes_the_consultation_and_its_files(
    editor, quito, draft, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    consultation = ConsultationFactory(round=draft, created_by=quito.editor)
    attachment = services.attachment_add(
        consultation=consultation, actor=quito.editor, title="Minutes", file=SimpleUploadedFile("m.pdf", PDF)
    )
    stored = tmp_path / attachment.file.name
    assert stored.exists()

    confirm = editor.get(reverse("consultation_delete", args=[consultation.pk]))
    assert confirm.status_code == 200
    assert Consultation.objects.exists()
    assert 'method="post"' in confirm.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(reverse("consultation_delete", args=[consultation.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("consultation_list", args=[draft.pk])
    assert not Consultation.objects.exists()
    assert not ConsultationAttachment.objects.exists()
    assert not stored.exists()


def test_the_list_shows_the_newest_consultation_first_and_the_totals(editor, quito, draft):
    union = StakeholderFactory(authority=quito.authority, name="Union", category="union")
    refugees = StakeholderFactory(authority=quito.authority, name="Refugees Together", category="refugee")
    ConsultationFactory(
        round=draft,
        date=YESTERDAY - datetime.timedelta(days=30),
        participants=10,
        groups=[union],
        summary="The older one.",
    )
    ConsultationFactory(round=draft, date=YESTERDAY, participants=7, groups=[union, refugees], summary="The newer one.")

    response = editor.get(reverse("consultation_list", args=[draft.pk]))
    page = response.content.decode()
    assert page.index("The newer one.") < page.index("The older one.")
    summary = response.context["summary"]
    assert (summary.consultations, summary.participants, summary.groups) == (2, 17, 2)
    assert summary.categories == [("Refugee-led organisation", 1), ("Trade union", 1)]
    assert summary.migrant_voices


def test_an_empty_round_says_what_a_consultation_is_and_why_it_matters(editor, draft):
    page = editor.get(reverse("consultation_list", args=[draft.pk])).content.decode()
    assert "No consultation recorded for this round yet" in page
    assert "A consultation is a workshop, meeting, public hearing, survey or online exchange" in page
    assert "counts as evidence" in page
    assert reverse("consultation_create", args=[draft.pk]) in page


def test_the_list_costs_the_same_queries_for_two_consultations_or_twenty(
    editor, quito, draft, settings, tmp_path, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.MEDIA_ROOT = tmp_path

    def add(n):
        for i in range(n):
            groups = [StakeholderFactory(authority=quito.authority) for _ in range(2)]
            consultation = ConsultationFactory(
                round=draft, groups=groups, indicators=["SP-01", "HC-02"], dimensions=["SP"], created_by=quito.editor
            )
            ConsultationAttachment.objects.create(
                consultation=consultation, title=f"Link {i}", url="https://example.org/", added_by=quito.editor
            )

    url = reverse("consultation_list", args=[draft.pk])
    add(2)
    with CaptureQueriesContext(connection) as small:
        assert editor.get(url).status_code == 200
    add(18)
    with django_assert_max_num_queries(len(small)):
        response = editor.get(url)
    assert len(response.context["consultations"]) == 20


# --- attachments ---------------------------------------------------------------------------------


@pytest.fixture
def recorded(quito, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return ConsultationFactory(round=draft, created_by=quito.editor)


def test_a_file_is_attached_and_downloaded_as_an_attachment(editor, recorded):
    response = editor.post(
        reverse("attachment_add", args=[recorded.pk]),
        {"title": "Minutes of the workshop", "file": SimpleUploadedFile("workshop-minutes.pdf", PDF)},
    )
    assert response.status_code == 302
    attachment = ConsultationAttachment.objects.get()
    assert (attachment.title, attachment.filename, attachment.url) == (
        "Minutes of the workshop",
        "workshop-minutes.pdf",
        "",
    )
    assert "workshop-minutes" not in attachment.file.name  # stored under a generated name

    download = reverse("attachment_file", args=[attachment.pk])
    assert download in editor.get(reverse("consultation_detail", args=[recorded.pk])).content.decode()
    file = editor.get(download)
    assert file.status_code == 200
    assert file["Content-Type"] == "application/pdf"
    assert file["Content-Disposition"] == 'attachment; filename="workshop-minutes.pdf"'
    assert b"".join(file.streaming_content) == PDF
    file.close()


def test_a_link_is_attached_and_shown_but_has_no_file_to_download(editor, recorded):
    response = editor.post(
        reverse("attachment_add", args=[recorded.pk]), {"title": "Photos", "url": "https://example.org/photos"}
    )
    assert response.status_code == 302
    attachment = ConsultationAttachment.objects.get()
    assert attachment.url == "https://example.org/photos"
    assert (
        'href="https://example.org/photos"'
        in editor.get(reverse("consultation_detail", args=[recorded.pk])).content.decode()
    )
    assert editor.get(reverse("attachment_file", args=[attachment.pk])).status_code == 404


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
def test_bad_attachments_are_a_422_and_nothing_is_written(editor, recorded, fields, message):
    data = {"title": "Minutes", **fields}
    if "file" in data:
        data["file"] = {
            "pdf": SimpleUploadedFile("a.pdf", PDF),
            "exe": SimpleUploadedFile("tool.exe", b"MZ\x90\x00"),
            "renamed": SimpleUploadedFile("minutes.pdf", b"just some text, not a PDF"),
        }[data["file"]]
    response = editor.post(reverse("attachment_add", args=[recorded.pk]), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ConsultationAttachment.objects.exists()


def test_an_oversized_file_is_refused(editor, recorded, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    response = editor.post(
        reverse("attachment_add", args=[recorded.pk]), {"title": "Big", "file": SimpleUploadedFile("a.pdf", PDF)}
    )
    # The upload handler stops reading past the limit, and the request is answered with a 413.
    assert response.status_code == 413
    assert not ConsultationAttachment.objects.exists()


def test_an_attachment_is_removed_with_its_file(editor, recorded, quito, tmp_path, django_capture_on_commit_callbacks):
    attachment = services.attachment_add(
        consultation=recorded, actor=quito.editor, title="Minutes", file=SimpleUploadedFile("m.pdf", PDF)
    )
    stored = tmp_path / attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(reverse("attachment_remove", args=[attachment.pk]))
    assert response.status_code == 302
    assert not ConsultationAttachment.objects.exists()
    assert not stored.exists()


# --- stale and missing objects -------------------------------------------------------------------


def test_a_removed_consultation_is_a_404_everywhere_never_a_500(editor, recorded, draft):
    pk = recorded.pk
    Consultation.objects.filter(pk=pk).delete()
    for name in ("consultation_detail", "consultation_edit", "consultation_delete"):
        assert editor.get(reverse(name, args=[pk])).status_code == 404
    assert editor.post(reverse("consultation_edit", args=[pk]), _post_data(draft)).status_code == 404
    assert editor.post(reverse("consultation_delete", args=[pk])).status_code == 404
    assert (
        editor.post(reverse("attachment_add", args=[pk]), {"title": "x", "url": "https://example.org"}).status_code
        == 404
    )
    assert not Consultation.objects.exists()


def test_a_removed_attachment_is_a_404(editor, recorded, quito):
    attachment = services.attachment_add(
        consultation=recorded, actor=quito.editor, title="Minutes", file=SimpleUploadedFile("m.pdf", PDF)
    )
    assert editor.post(reverse("attachment_remove", args=[attachment.pk])).status_code == 302
    assert editor.post(reverse("attachment_remove", args=[attachment.pk])).status_code == 404
    assert editor.get(reverse("attachment_file", args=[attachment.pk])).status_code == 404


def test_a_file_gone_from_the_disk_is_a_404(editor, recorded, quito, tmp_path):
    attachment = services.attachment_add(
        consultation=recorded, actor=quito.editor, title="Minutes", file=SimpleUploadedFile("m.pdf", PDF)
    )
    (tmp_path / attachment.file.name).unlink()
    assert editor.get(reverse("attachment_file", args=[attachment.pk])).status_code == 404


def test_an_unknown_round_is_a_404(editor):
    assert editor.get(reverse("consultation_list", args=[987654])).status_code == 404
    assert editor.post(reverse("consultation_create", args=[987654]), {}).status_code == 404


def test_an_attachment_the_file_store_refuses_is_a_form_error_and_nothing_is_recorded(
    editor, recorded, settings, tmp_path
):
    blocker = tmp_path / "not-a-folder"  # a file where the media folder should be: the disk refuses every write
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker
    response = editor.post(
        reverse("attachment_add", args=[recorded.pk]),
        {"title": "Minutes of the workshop", "file": SimpleUploadedFile("workshop-minutes.pdf", PDF)},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "The file could not be stored: the file store is unavailable." in page
    assert 'value="Minutes of the workshop"' in page  # what was typed stays in the form
    assert not ConsultationAttachment.objects.exists()
