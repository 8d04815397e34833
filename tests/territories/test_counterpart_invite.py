"""Inviting a round's national or regional counterpart: who may, what the mail says, what the round page shows.

Quito has an editor and an approver, Lima an approver; Rita is a programme reviewer. Nadia, of the
Ministry of Foreign Affairs, is invited as Quito's counterpart.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from assessments import services as assessment_services
from outbox.models import Mail
from territories.models import Counterpart
from tests.factories import RoundFactory, UserFactory
from tests.territories.factories import counterpart_answer_all, invite_counterpart
from tests.world import answer_everything, make_city

pytestmark = pytest.mark.django_db

NADIA = "nadia@gov.example"


def invite_url(round) -> str:
    return reverse("counterpart_invite", args=[round.pk])


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def invitation(**changes) -> dict:
    return {
        "name": "Nadia Mansour",
        "email": NADIA,
        "organisation": "Ministry of Foreign Affairs",
        "level": "national",
        "language": "en",
        **changes,
    }


@pytest.fixture
def lima(catalogue):
    return make_city("lima")


@pytest.fixture
def other_counterpart(lima):
    """The counterpart of a round of Lima's."""
    round = RoundFactory(authority=lima.authority, actor=lima.approver)
    return invite_counterpart(round, lima.approver, email="oscar@gov.example", name="Oscar")


# --- who may invite ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [
        ("approver", 200, 302),
        ("editor", 403, 403),
        ("reviewer", 404, 404),  # a reviewer does not see a draft
        ("other_city_approver", 404, 404),
        ("other_counterpart", 404, 404),
        ("anonymous", 302, 302),  # to the log-in page
    ],
)
def test_on_a_draft_only_the_approver_may_invite(who, get, post, quito, lima, reviewer, draft, other_counterpart):
    user = {
        "approver": quito.approver,
        "editor": quito.editor,
        "reviewer": reviewer,
        "other_city_approver": lima.approver,
        "other_counterpart": other_counterpart.user,
        "anonymous": None,
    }[who]
    client = as_user(user)

    assert client.get(invite_url(draft)).status_code == get
    response = client.post(invite_url(draft), invitation())

    assert response.status_code == post
    assert Counterpart.objects.filter(round=draft).exists() == (who == "approver")
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_a_reviewer_may_invite_once_the_round_is_submitted(submitted, reviewer):
    response = as_user(reviewer).post(invite_url(submitted), invitation())

    assert response.status_code == 302
    assert Counterpart.objects.get(round=submitted).invited_by == reviewer


def test_nobody_invites_to_a_validated_round(validated, quito, reviewer):
    for user in (quito.approver, reviewer):
        response = as_user(user).post(invite_url(validated), invitation())
        assert response.status_code == 403
        assert "validated" in response.content.decode()
    assert not Counterpart.objects.exists()


# --- the invitation ------------------------------------------------------------------------------


def test_the_form_has_a_labelled_field_for_everything_it_asks(quito, draft):
    page = as_user(quito.approver).get(invite_url(draft)).content.decode()

    for field in ("name", "email", "organisation", "language"):
        assert re.search(rf'<label[^>]* for="id_{field}"', page), field
    assert "National government" in page and "Regional government" in page
    assert "Counterpart levels never change the city's scores." in page
    assert "VC-01" in page  # the mirrored indicators it will answer


def test_inviting_makes_an_account_and_mails_the_set_password_and_answer_links(quito, draft, settings):
    settings.SITE_URL = "https://coherence.example.org"
    quito.approver.first_name, quito.approver.last_name = "Ana", "Torres"
    quito.approver.save()

    response = as_user(quito.approver).post(invite_url(draft), invitation(email="Nadia@Gov.Example"))

    assert response["Location"] == reverse("round_detail", args=[draft.pk])
    user = get_user_model().objects.get(email=NADIA)
    assert not user.has_usable_password()
    counterpart = Counterpart.objects.get(round=draft)
    assert (counterpart.user, counterpart.level, counterpart.organisation) == (
        user,
        "national",
        "Ministry of Foreign Affairs",
    )
    mail = Mail.objects.get(to=NADIA)
    assert "Quito (2025)" in mail.subject
    assert "Dear Nadia Mansour," in mail.body
    assert "Ana Torres invites you, for Ministry of Foreign Affairs (National government)" in mail.body
    assert "as the counterpart of Quito in its assessment 2025" in mail.body
    assert f"https://coherence.example.org{reverse('counterpart_answer', args=[draft.pk])}" in mail.body
    assert re.search(r"https://coherence\.example\.org/accounts/reset/\S+/\S+/", mail.body)
    assert f"Your user name: {user.username}" in mail.body


def test_the_mailed_link_sets_a_password_that_opens_the_answer_page(quito, draft, settings):
    settings.SITE_URL = "https://coherence.example.org"
    as_user(quito.approver).post(invite_url(draft), invitation())
    body = Mail.objects.get(to=NADIA).body
    link = re.search(r"https://coherence\.example\.org(/accounts/reset/\S+)", body).group(1)
    client = Client()

    form_url = client.get(link)["Location"]
    done = client.post(form_url, {"new_password1": "a-long-ministry-pass", "new_password2": "a-long-ministry-pass"})
    assert done["Location"] == reverse("password_reset_complete")

    logged_in = client.post(reverse("login"), {"username": NADIA, "password": "a-long-ministry-pass"})
    assert logged_in.status_code == 302
    page = client.get(reverse("counterpart_answer", args=[draft.pk]))
    assert page.status_code == 200
    assert "Your answers as counterpart" in page.content.decode()


def test_the_mail_is_written_in_the_language_chosen(quito, draft):
    as_user(quito.approver).post(invite_url(draft), invitation(language="fr", level="regional"))

    mail = Mail.objects.get(to=NADIA)
    assert "(Gouvernement régional)" in mail.body
    assert "Regional government" not in mail.body


def test_a_person_with_an_account_is_invited_with_it_and_gets_no_password_link(quito, draft):
    nadia = UserFactory(username="nadia", email=NADIA)

    as_user(quito.approver).post(invite_url(draft), invitation())

    assert Counterpart.objects.get(round=draft).user == nadia
    assert get_user_model().objects.filter(email__iexact=NADIA).count() == 1
    body = Mail.objects.get(to=NADIA).body
    assert "/accounts/reset/" not in body
    assert "Log in with your account" in body
    assert nadia.has_usable_password()


def test_a_second_invitation_is_refused_and_nothing_changes(quito, draft):
    client = as_user(quito.approver)
    client.post(invite_url(draft), invitation())

    again = client.post(invite_url(draft), invitation(email="other@gov.example", name="Other"))

    assert again.status_code == 409
    assert "already has a counterpart" in again.content.decode()
    assert Counterpart.objects.get(round=draft).user.email == NADIA
    assert Mail.objects.count() == 1
    page = client.get(invite_url(draft)).content.decode()
    assert "already invited: Nadia Mansour" in page and '<form method="post" novalidate' not in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"organisation": "  "}, "This field is required."),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"level": "municipal"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_what_was_typed_kept(changes, message, quito, draft):
    response = as_user(quito.approver).post(invite_url(draft), invitation(**changes))

    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert 'value="Nadia Mansour"' in page
    assert not Counterpart.objects.exists() and not Mail.objects.exists()


def test_a_member_of_the_city_cannot_be_its_counterpart(quito, draft):
    quito.editor.email = "editor@quito.example"
    quito.editor.save()

    response = as_user(quito.approver).post(invite_url(draft), invitation(email="editor@quito.example"))

    assert response.status_code == 422
    assert "A member of Quito cannot be its counterpart." in response.content.decode()
    assert not Counterpart.objects.exists()


# --- the round page's panel ----------------------------------------------------------------------


def panel(html: str) -> str:
    start = html.index('id="counterpart"')
    return html[start : html.index("</section>", start)]


def test_the_round_page_offers_the_approver_to_invite_and_not_the_editor(quito, draft):
    round_url = reverse("round_detail", args=[draft.pk])

    approver = panel(as_user(quito.approver).get(round_url).content.decode())
    editor = panel(as_user(quito.editor).get(round_url).content.decode())

    assert "National or regional counterpart" in approver
    assert "No national or regional counterpart is invited to this round." in approver
    assert invite_url(draft) in approver
    assert invite_url(draft) not in editor


def test_the_round_page_says_who_is_invited_and_keeps_the_answers_apart_until_both_submitted(quito, draft):
    counterpart = invite_counterpart(draft, quito.approver)
    round_url = reverse("round_detail", args=[draft.pk])
    comparison = reverse("counterpart_comparison", args=[draft.pk])

    before = panel(as_user(quito.editor).get(round_url).content.decode())
    counterpart_answer_all(counterpart, submit=True)
    counterpart_only = panel(as_user(quito.editor).get(round_url).content.decode())
    answer_everything(draft, quito.editor)
    assessment_services.round_submit(round=draft, actor=quito.approver)
    both = panel(as_user(quito.editor).get(round_url).content.decode())

    assert "Nadia Mansour, Ministry of Foreign Affairs (National government)" in before
    assert "Not submitted yet" in before and "Neither side sees the other's answers" in before
    assert invite_url(draft) not in before
    assert "Submitted on" in counterpart_only and comparison not in counterpart_only
    assert "Neither side sees the other's answers" in counterpart_only
    assert comparison in both and "Neither side sees" not in both
