"""Invitations: an account made for a person, a link mailed in their language, their password set through it once."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext

from assessments.access import AccessDenied
from assessments.models import Membership, Preference
from assessments.services import WorkflowError
from outbox.models import Mail
from programme import invitations
from programme.invitation_forms import InvitationForm
from programme.models import Invitation
from tests.factories import UserFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "a-long-and-unusual-passphrase-41"
LINK = re.compile(r"https?://[^/\s]+(/programme/invitations/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def coordinator(db):
    user = UserFactory(username="cora-coordinator")
    user.user_permissions.add(Permission.objects.get(codename="open_rounds"))
    return user


def _invite(actor, authority, email="ana@example.org", *, role=Membership.Role.EDITOR, language="es") -> Invitation:
    return invitations.person_invite(
        actor=actor, authority=authority, email=email, name="Ana Pérez", role=role, language=language
    )


def _link(email="ana@example.org") -> str:
    """The path of the link in the latest mail to ``email``."""
    mail = Mail.objects.filter(to=email).latest("pk")
    return LINK.search(mail.body).group(1)


def _set_password(client, path, password=PASSWORD):
    return client.post(path, {"new_password1": password, "new_password2": password})


# --- inviting ------------------------------------------------------------------------------------


def test_an_approver_invites_a_person_without_a_password_with_their_role_and_language(quito):
    invitation = _invite(quito.approver, quito.authority, "Ana@Example.org", role=Membership.Role.EDITOR)

    person = invitation.user
    assert person.username == person.email == "ana@example.org"
    assert person.get_full_name() == "Ana Pérez"
    assert not person.has_usable_password()
    assert Membership.objects.get(user=person).role == Membership.Role.EDITOR
    assert Membership.objects.get(user=person).authority == quito.authority
    assert Preference.objects.get(user=person).language == "es"
    assert (invitation.invited_by, invitation.send_count, invitation.accepted_at) == (quito.approver, 1, None)


def test_the_mail_goes_to_the_outbox_in_the_invitees_language(quito, coordinator):
    invitation = _invite(coordinator, quito.authority, role=Membership.Role.APPROVER, language="es")

    mail = Mail.objects.get(to="ana@example.org")
    with translation.override("es"):
        subject = gettext("Coherence: you are invited to set your password")
        role = gettext("Approver")
        expires = date_format(timezone.localtime(invitation.last_sent_at + datetime.timedelta(days=14)), "DATE_FORMAT")
    assert mail.subject == subject
    assert f"Quito: {role}" in mail.body and role == "Aprobador"
    assert expires in mail.body and " de " in expires  # Spanish month names, from Django's own catalogue
    assert LINK.search(mail.body)
    assert mail.sent_at is None  # sent by the outbox's task once the transaction commits


def test_a_person_without_a_language_gets_the_mail_in_the_sites_language(quito, settings):
    _invite(quito.approver, quito.authority, language="")

    mail = Mail.objects.get(to="ana@example.org")
    assert not Preference.objects.filter(user__email="ana@example.org").exists()
    assert settings.LANGUAGE_CODE == "en"
    assert mail.subject == "Coherence: you are invited to set your password"
    assert "Quito: Editor" in mail.body


@pytest.mark.parametrize(
    ("email", "role", "language", "message"),
    [
        ("not-an-address", Membership.Role.EDITOR, "es", "is not a valid e-mail address"),
        ("", Membership.Role.EDITOR, "es", "is not a valid e-mail address"),
        ("ana@example.org", "mayor", "es", "is not a role of an authority"),
        ("ana@example.org", Membership.Role.EDITOR, "de", "is not a language of the site"),
        ("a" * 140 + "@example.org", Membership.Role.EDITOR, "es", "too long"),
    ],
)
def test_invite_refuses_bad_input_and_writes_nothing(quito, email, role, language, message):
    people = User.objects.count()
    with pytest.raises(WorkflowError, match=message):
        _invite(quito.approver, quito.authority, email, role=role, language=language)
    assert User.objects.count() == people
    assert not Mail.objects.exists()


def test_invite_refuses_an_address_a_person_already_uses_and_tells_the_programme_team(quito, coordinator):
    UserFactory(username="ana", email="ana@example.org")
    with pytest.raises(WorkflowError, match=re.escape("ana@example.org is already the address of a person")):
        _invite(coordinator, quito.authority, "ANA@example.org")
    assert not Invitation.objects.exists()


def test_invite_refuses_an_address_used_as_a_log_in_name(quito, coordinator):
    UserFactory(username="ana@example.org", email="")
    with pytest.raises(WorkflowError, match="already the address"):
        _invite(coordinator, quito.authority, "ana@example.org")


NEUTRAL = "This address cannot be invited from here; ask the programme team."


def test_an_approver_learns_nothing_of_which_addresses_have_an_account(quito):
    """Whether the address is another city's person, a log-in name or taken at once: the same words."""
    lima = make_city("lima")
    lima.editor.email = "luz@lima.example"
    lima.editor.save()
    UserFactory(username="bea@example.org", email="")
    for email in ("luz@lima.example", "bea@example.org"):
        with pytest.raises(WorkflowError) as refused:
            _invite(quito.approver, quito.authority, email.upper())
        assert refused.value.messages == [NEUTRAL]
    assert not Invitation.objects.exists()


def test_an_approver_invites_editors_only(client, quito, coordinator):
    with pytest.raises(WorkflowError, match="editors only"):
        _invite(quito.approver, quito.authority, role=Membership.Role.APPROVER)
    assert not User.objects.filter(email="ana@example.org").exists()
    assert not Mail.objects.exists()
    assert invitations.invitable_roles(quito.approver) == [Membership.Role.EDITOR]
    assert set(invitations.invitable_roles(coordinator)) == {Membership.Role.EDITOR, Membership.Role.APPROVER}

    form = InvitationForm(roles=invitations.invitable_roles(quito.approver))
    assert [value for value, _label in form.fields["role"].choices] == [Membership.Role.EDITOR]
    posted = InvitationForm(
        {"email": "ana@example.org", "name": "Ana", "role": "approver", "language": "es"},
        roles=invitations.invitable_roles(quito.approver),
    )
    assert not posted.is_valid() and "role" in posted.errors
    assert [
        v for v, _label in InvitationForm(roles=invitations.invitable_roles(coordinator)).fields["role"].choices
    ] == [
        Membership.Role.EDITOR,
        Membership.Role.APPROVER,
    ]


def test_staff_and_superusers_are_never_invited(quito, coordinator):
    for flag in ("is_staff", "is_superuser"):
        staff = UserFactory(email=f"{flag}@example.org", **{flag: True})
        staff.set_unusable_password()
        staff.save()
        with pytest.raises(WorkflowError, match="staff rights"):
            invitations.invitation_send(user=staff, actor=coordinator)
        with pytest.raises(WorkflowError, match="staff rights"):
            invitations.invitations_send_many(users=[staff], actor=coordinator)
    assert not Invitation.objects.exists() and not Mail.objects.exists()


def test_only_approvers_of_the_authority_and_coordinators_may_invite(quito, reviewer, coordinator):
    lima = make_city("lima")
    for actor in (quito.editor, lima.approver, reviewer):
        with pytest.raises(AccessDenied):
            _invite(actor, quito.authority)
    assert not User.objects.filter(email="ana@example.org").exists()

    assert _invite(coordinator, quito.authority).invited_by == coordinator


def test_sending_again_counts_and_only_the_newest_link_works(client, quito):
    invitation = _invite(quito.approver, quito.authority)
    first = _link()

    again = invitations.invitation_send(user=invitation.user, actor=quito.approver)

    assert again.pk == invitation.pk
    assert again.send_count == 2
    assert again.last_sent_at >= invitation.last_sent_at
    assert Mail.objects.filter(to="ana@example.org").count() == 2
    second = _link()
    assert second != first
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


def test_an_invitation_is_not_sent_to_a_person_who_has_set_a_password(quito):
    with pytest.raises(WorkflowError, match="has already set a password"):
        invitations.invitation_send(user=quito.editor, actor=quito.approver)
    assert not Invitation.objects.exists()


def test_an_approver_cannot_send_again_to_a_person_of_another_authority(quito):
    lima = make_city("lima")
    invitation = _invite(lima.approver, lima.authority)
    with pytest.raises(AccessDenied):
        invitations.invitation_send(user=invitation.user, actor=quito.approver)
    assert Invitation.objects.get().send_count == 1


# --- the link's page -----------------------------------------------------------------------------


def test_the_link_sets_the_password_signs_in_and_welcomes(client, quito):
    invitation = _invite(quito.approver, quito.authority, language="fr")
    path = _link()

    page = client.get(path)
    assert page.status_code == 200
    assert b"ana@example.org" in page.content and b"new_password1" in page.content

    response = _set_password(client, path)

    assert response.status_code == 302 and response["Location"] == reverse("home")
    person = User.objects.get(pk=invitation.user.pk)
    assert person.check_password(PASSWORD)
    assert Invitation.objects.get().accepted_at is not None
    assert client.session["_auth_user_id"] == str(person.pk)
    assert response.cookies["django_language"].value == "fr"
    with translation.override("fr"):
        welcome = gettext(
            "Welcome to Coherence, %(name)s. From now on, log in with %(username)s and your new password."
        ) % {"name": "Ana Pérez", "username": "ana@example.org"}
    home = client.get(reverse("home"))
    assert welcome in [str(m) for m in home.context["messages"]]


def test_a_used_link_gets_a_clear_page(client, quito):
    _invite(quito.approver, quito.authority)
    path = _link()
    _set_password(client, path)
    client.logout()

    response = client.get(path)

    assert response.status_code == 400  # the same page as a forged link: a used token no longer verifies
    assert b"no longer works" in response.content and b"already set your password" in response.content
    assert reverse("login").encode() in response.content
    assert reverse("password_reset").encode() in response.content
    assert _set_password(client, path, "another-passphrase-for-ana-7").status_code == 400
    assert User.objects.get(email="ana@example.org").check_password(PASSWORD)


def test_a_link_past_the_timeout_gets_a_clear_page_that_says_who_can_send_it_again(client, quito, monkeypatch):
    quito.approver.first_name = "Pablo"
    quito.approver.save()
    _invite(quito.approver, quito.authority)
    path = _link()
    later = datetime.datetime.now() + datetime.timedelta(days=15)  # noqa: DTZ005 - the token generator's naive clock
    monkeypatch.setattr(invitations.token_generator, "_now", lambda: later)

    response = client.get(path)

    assert response.status_code == 410
    assert b"has expired" in response.content and b"Pablo" in response.content
    assert _set_password(client, path).status_code == 410
    assert not User.objects.get(email="ana@example.org").has_usable_password()


def test_the_timeout_is_the_invitations_own_setting(client, quito, monkeypatch, settings):
    settings.INVITATION_TIMEOUT = 30 * 24 * 3600
    settings.PASSWORD_RESET_TIMEOUT = 3600  # a password reset's timeout does not apply
    _invite(quito.approver, quito.authority)
    path = _link()
    later = datetime.datetime.now() + datetime.timedelta(days=15)  # noqa: DTZ005 - the token generator's naive clock
    monkeypatch.setattr(invitations.token_generator, "_now", lambda: later)

    assert client.get(path).status_code == 200


def _tampered(path: str, how: str) -> str:
    _empty, _programme, _invitations, uidb64, token, _end = path.split("/")
    if how == "token":
        token = token[:-1] + ("a" if token[-1] != "a" else "b")
    elif how == "no-dash":
        token = token.replace("-", "")
    elif how == "uid":
        uidb64 = "zzzz"
    elif how == "unknown-uid":
        uidb64 = urlsafe_base64_encode(b"999999")
    elif how == "non-numeric-uid":
        uidb64 = urlsafe_base64_encode(b"ana")
    return f"/programme/invitations/{uidb64}/{token}/"


@pytest.mark.parametrize("how", ["token", "no-dash", "uid", "unknown-uid", "non-numeric-uid"])
def test_a_tampered_link_gets_a_clear_page(client, quito, how):
    _invite(quito.approver, quito.authority)
    path = _tampered(_link(), how)

    response = client.get(path)

    assert response.status_code == 400
    assert b"no longer works" in response.content and b"has expired" not in response.content
    assert quito.approver.username.encode() not in response.content  # a forged link learns nothing
    assert _set_password(client, path).status_code == 400
    assert not User.objects.get(email="ana@example.org").has_usable_password()


def test_another_persons_id_with_a_valid_token_is_refused(client, quito):
    _invite(quito.approver, quito.authority)
    _invite(quito.approver, quito.authority, "bea@example.org")
    ana = _link("ana@example.org").split("/")
    bea = _link("bea@example.org").split("/")

    assert client.get(f"/programme/invitations/{bea[3]}/{ana[4]}/").status_code == 400


def test_mismatched_passwords_are_a_form_error_and_nothing_is_set(client, quito):
    _invite(quito.approver, quito.authority)
    path = _link()

    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD + "x"})

    assert response.status_code == 422
    assert "_auth_user_id" not in client.session
    assert Invitation.objects.get().accepted_at is None
    assert client.get(path).status_code == 200  # the link still works


def test_the_page_is_in_the_invitees_language_unless_they_chose_one(client, quito):
    _invite(quito.approver, quito.authority, language="es")
    path = _link()

    assert client.get(path).context["LANGUAGE_CODE"] == "es"
    client.cookies["django_language"] = "fr"
    assert client.get(path).context["LANGUAGE_CODE"] == "fr"


# --- the authority's page ------------------------------------------------------------------------


def _page(slug="quito"):
    return reverse("person_invite", args=[slug])


def _form(**overrides):
    return {"email": "ana@example.org", "name": "Ana Pérez", "role": "editor", "language": "es", **overrides}


def test_an_approver_invites_from_the_page_and_sees_the_person_waiting(client, quito):
    client.force_login(quito.approver)

    response = client.post(_page(), _form())

    assert response.status_code == 302
    page = client.get(_page())
    assert [row["membership"].user.email for row in page.context["pending"]] == ["ana@example.org"]
    assert "An invitation is on its way to ana@example.org." in [str(m) for m in page.context["messages"]]
    assert reverse("invitation_resend", args=["quito", Invitation.objects.get().pk]).encode() in page.content


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (_form(email="not-an-address"), "email"),
        (_form(role="mayor"), "role"),
        (_form(language="de"), "language"),
        (_form(name=""), "name"),
    ],
)
def test_the_page_shows_bad_input_as_form_errors(client, quito, data, error):
    client.force_login(quito.approver)

    response = client.post(_page(), data)

    assert response.status_code == 422
    assert error in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_the_page_says_when_the_address_is_taken(client, quito):
    client.force_login(quito.approver)

    quito.editor.email = f"{quito.editor.username}@example.org"
    quito.editor.save()
    response = client.post(_page(), _form(email=quito.editor.email.upper()))

    assert response.status_code == 422
    assert NEUTRAL in str(response.context["form"].non_field_errors())


def test_sending_again_from_the_page_makes_a_new_working_link(client, quito):
    invitation = _invite(quito.approver, quito.authority)
    first = _link()
    client.force_login(quito.approver)

    response = client.post(reverse("invitation_resend", args=["quito", invitation.pk]))

    assert response.status_code == 302
    assert Invitation.objects.get().send_count == 2
    client.logout()
    assert client.get(first).status_code == 400
    assert _set_password(client, _link()).status_code == 302


def test_sending_again_is_a_post(client, quito):
    invitation = _invite(quito.approver, quito.authority)
    client.force_login(quito.approver)
    assert client.get(reverse("invitation_resend", args=["quito", invitation.pk])).status_code == 405
    assert Invitation.objects.get().send_count == 1


@pytest.mark.parametrize(("who", "status"), [("editor", 403), ("other_approver", 404), ("reviewer", 403)])
def test_others_may_not_invite(client, quito, reviewer, who, status):
    lima = make_city("lima")
    invitation = _invite(quito.approver, quito.authority)
    user = {"editor": quito.editor, "other_approver": lima.approver, "reviewer": reviewer}[who]
    client.force_login(user)

    assert client.get(_page()).status_code == status
    assert client.post(_page(), _form(email="bea@example.org")).status_code == status
    assert client.post(reverse("invitation_resend", args=["quito", invitation.pk])).status_code == status
    assert not User.objects.filter(email="bea@example.org").exists()
    assert Invitation.objects.get().send_count == 1


def test_an_approver_cannot_send_again_through_their_own_authoritys_address(client, quito):
    lima = make_city("lima")
    theirs = _invite(lima.approver, lima.authority)
    client.force_login(quito.approver)

    assert client.post(reverse("invitation_resend", args=["quito", theirs.pk])).status_code == 404
    assert Invitation.objects.get().send_count == 1


def test_a_coordinator_invites_to_any_authority(client, quito, coordinator):
    client.force_login(coordinator)

    assert client.get(_page()).status_code == 200
    assert client.post(_page(), _form()).status_code == 302
    assert Invitation.objects.get().invited_by == coordinator


def test_the_page_needs_a_log_in(client, quito):
    response = client.get(_page())
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_page_lists_the_waiting_people_in_a_constant_number_of_queries(client, quito):
    client.force_login(quito.approver)
    _invite(quito.approver, quito.authority)
    with CaptureQueriesContext(connection) as one:
        client.get(_page())
    for n in range(4):
        _invite(quito.approver, quito.authority, f"person{n}@example.org")
    with CaptureQueriesContext(connection) as five:
        response = client.get(_page())

    assert len(response.context["pending"]) == 5
    assert len(five) == len(one)


def test_the_page_lists_only_the_authoritys_people_still_waiting(client, quito):
    lima = make_city("lima")
    _invite(lima.approver, lima.authority, "luis@example.org")
    _invite(quito.approver, quito.authority)
    _invite(quito.approver, quito.authority, "bea@example.org")
    _set_password(client, _link("bea@example.org"))
    client.force_login(quito.approver)

    page = client.get(_page())

    assert [row["membership"].user.email for row in page.context["pending"]] == ["ana@example.org"]
    assert b"luis@example.org" not in page.content


def test_the_page_marks_an_expired_link_to_send_again(client, quito, settings):
    _invite(quito.approver, quito.authority)
    Invitation.objects.update(last_sent_at=timezone.now() - datetime.timedelta(days=15))
    client.force_login(quito.approver)

    page = client.get(_page())

    assert [row["expired"] for row in page.context["pending"]] == [True]
    assert b"Link expired" in page.content


def test_an_editor_is_told_who_may_invite(client, quito):
    client.force_login(quito.editor)

    response = client.get(_page())

    assert response.status_code == 403
    assert "Only an approver of Quito or a programme coordinator can invite people to it." in response.content.decode()


def test_an_invitation_is_not_sent_to_a_switched_off_account(quito):
    invitation = _invite(quito.approver, quito.authority)
    User.objects.filter(pk=invitation.user_id).update(is_active=False)

    with pytest.raises(WorkflowError, match="switched off"):
        invitations.invitation_send(user=invitation.user, actor=quito.approver)
    assert Invitation.objects.get().send_count == 1


def _refusal(response) -> tuple[int, str]:
    """The status and the page's main content (the rest names the path, in the language switcher)."""
    html = response.content.decode()
    return response.status_code, html[html.index("<main") : html.index("</main>")]


def test_a_refused_link_does_not_tell_whether_its_person_has_set_a_password(client, quito):
    _invite(quito.approver, quito.authority, "ana@example.org")
    _invite(quito.approver, quito.authority, "bea@example.org")
    _set_password(client, _link("ana@example.org"))
    client.logout()
    ana_uid = _link("ana@example.org").split("/")[3]
    bea_uid = _link("bea@example.org").split("/")[3]

    for token in ["garbage", "1-x", "c0ffee-0123456789abcdef0123"]:
        accepted = client.get(f"/programme/invitations/{ana_uid}/{token}/")
        waiting = client.get(f"/programme/invitations/{bea_uid}/{token}/")
        assert accepted.status_code == 400
        assert _refusal(accepted) == _refusal(waiting)
    used = client.get(_link("ana@example.org"))  # her genuine link, used
    assert _refusal(used) == _refusal(client.get(f"/programme/invitations/{bea_uid}/garbage/"))
    unknown = client.get(f"/programme/invitations/{urlsafe_base64_encode(b'999999')}/garbage/")
    assert _refusal(unknown) == _refusal(used)


def test_an_expired_link_of_a_person_who_has_set_a_password_is_not_called_expired(client, quito, monkeypatch):
    _invite(quito.approver, quito.authority)
    path = _link()
    _set_password(client, path)
    client.logout()
    later = datetime.datetime.now() + datetime.timedelta(days=15)  # noqa: DTZ005 - the token generator's naive clock
    monkeypatch.setattr(invitations.token_generator, "_now", lambda: later)

    response = client.get(path)

    assert response.status_code == 400
    assert b"has expired" not in response.content and b"no longer works" in response.content
