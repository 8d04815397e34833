"""The register of groups an authority consults, through its pages (who may do what: test_consultations.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Membership
from participation.models import Stakeholder
from tests.factories import AuthorityFactory, MembershipFactory
from tests.participation.factories import ConsultationFactory, StakeholderFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def editor(client, quito):
    return _login(client, quito.editor)


def _register(slug="quito"):
    return reverse("stakeholder_list", args=[slug])


# --- the way in ----------------------------------------------------------------------------------


def test_a_member_of_one_authority_goes_straight_to_its_register(editor):
    response = editor.get(reverse("participation_home"))
    assert response.status_code == 302
    assert response["Location"] == _register()


def test_a_member_of_two_authorities_chooses_between_them(client, quito):
    lima = AuthorityFactory(name="Lima", slug="lima")
    MembershipFactory(authority=lima, user=quito.editor)
    page = _login(client, quito.editor).get(reverse("participation_home")).content.decode()
    assert _register("quito") in page and _register("lima") in page


def test_the_reviewers_list_pages_the_authorities_with_their_counts(client, reviewer, quito, submitted):
    for n in range(30):
        AuthorityFactory(name=f"Zeta town {n:02d}")
    StakeholderFactory(authority=quito.authority)
    StakeholderFactory(authority=quito.authority)
    ConsultationFactory(round=submitted)

    response = _login(client, reviewer).get(reverse("participation_home"))
    rows = list(response.context["page"])
    assert len(rows) == 25
    quito_row = next(row for row in rows if row.slug == "quito")
    assert (quito_row.n_groups, quito_row.n_consultations) == (2, 1)
    assert "page=2" in response.content.decode()
    assert len(list(client.get(reverse("participation_home") + "?page=2").context["page"])) == 31 - 25


def test_someone_with_no_authority_may_see_no_register(client, django_user_model):
    user = django_user_model.objects.create_user("nobody")
    assert _login(client, user).get(reverse("participation_home")).status_code == 404


def test_the_nav_offers_participation_to_members_and_reviewers_only(client, quito, reviewer, django_user_model):
    link = f'href="{reverse("participation_home")}"'
    assert link in _login(client, quito.editor).get(reverse("home")).content.decode()
    assert link in _login(client, reviewer).get(reverse("home")).content.decode()
    nobody = django_user_model.objects.create_user("nobody")
    assert link not in _login(client, nobody).get(reverse("home")).content.decode()


# --- the register --------------------------------------------------------------------------------


def test_the_register_lists_each_group_with_the_consultations_it_took_part_in(editor, quito, draft):
    union = StakeholderFactory(authority=quito.authority, name="Union of street vendors", category="union")
    StakeholderFactory(authority=quito.authority, name="Diaspora network", category="migrant", description="Abroad.")
    ConsultationFactory(round=draft, groups=[union])
    ConsultationFactory(round=draft, groups=[union])

    response = editor.get(_register())
    groups = {g.name: g for g in response.context["groups"]}
    assert groups["Union of street vendors"].n_consultations == 2
    assert groups["Diaspora network"].n_consultations == 0
    page = response.content.decode()
    assert "Migrant or diaspora association" in page and "Abroad." in page
    assert reverse("consultation_list", args=[draft.pk]) in page


def test_a_reviewer_reads_the_register_but_gets_no_form(client, reviewer, quito):
    StakeholderFactory(authority=quito.authority, name="Diaspora network")
    response = _login(client, reviewer).get(_register())
    page = response.content.decode()
    assert "Diaspora network" in page
    assert "Add a group" not in page
    assert 'name="name"' not in page


def test_the_register_costs_the_same_queries_for_two_groups_or_forty(
    editor, quito, draft, django_assert_max_num_queries
):
    def add(n):
        groups = [StakeholderFactory(authority=quito.authority) for _ in range(n)]
        ConsultationFactory(round=draft, groups=groups)

    add(2)
    with CaptureQueriesContext(connection) as small:
        editor.get(_register())
    add(38)
    with django_assert_max_num_queries(len(small)):
        response = editor.get(_register())
    assert len(response.context["groups"]) == 40


def test_the_authorities_list_costs_the_same_queries_for_two_authorities_or_thirty(
    client, reviewer, django_assert_max_num_queries
):
    client = _login(client, reviewer)
    for _ in range(2):
        StakeholderFactory()
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("participation_home"))
    for _ in range(28):
        StakeholderFactory()
    with django_assert_max_num_queries(len(small)):
        client.get(reverse("participation_home"))


def test_an_editor_adds_a_group(editor, quito):
    response = editor.post(
        _register(),
        {"name": "  Haitian Women's Collective ", "category": "migrant", "description": "North of the city."},
    )
    assert response.status_code == 302
    group = Stakeholder.objects.get()
    assert (group.authority, group.name, group.category) == (quito.authority, "Haitian Women's Collective", "migrant")
    assert (
        "Haitian Women&#x27;s Collective is added to the register." in editor.get(response["Location"]).content.decode()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "category": "civil"}, "This field is required."),
        ({"name": "x" * 201, "category": "civil"}, "at most 200 characters"),
        ({"name": "A group", "category": "secret-society"}, "Select a valid choice."),
        ({"name": "A group", "category": ""}, "This field is required."),
        ({"name": "A group", "category": "civil", "description": "d" * 5001}, "at most 5000 characters"),
    ],
)
def test_a_bad_group_is_a_form_error_and_nothing_is_written(editor, data, message):
    response = editor.post(_register(), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Stakeholder.objects.exists()


def test_a_name_already_in_the_register_is_refused_by_the_service_as_a_form_error(editor, quito):
    StakeholderFactory(authority=quito.authority, name="Diaspora Network")
    response = editor.post(_register(), {"name": "diaspora network", "category": "civil"})
    assert response.status_code == 422
    assert "The register already has a group called diaspora network." in response.content.decode()
    assert Stakeholder.objects.count() == 1


def test_the_same_name_may_be_in_another_authoritys_register(editor, quito):
    StakeholderFactory(name="Diaspora Network")
    assert editor.post(_register(), {"name": "Diaspora Network", "category": "civil"}).status_code == 302
    assert Stakeholder.objects.filter(authority=quito.authority).count() == 1


def test_an_editor_changes_a_group(editor, quito):
    group = StakeholderFactory(authority=quito.authority, name="Diaspora net", category="other")
    form = editor.get(reverse("stakeholder_edit", args=["quito", group.pk]))
    assert form.context["form"].initial["name"] == "Diaspora net"
    response = editor.post(
        reverse("stakeholder_edit", args=["quito", group.pk]), {"name": "Diaspora Network", "category": "migrant"}
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.category) == ("Diaspora Network", "migrant")


def test_a_change_to_a_name_another_group_has_is_a_form_error(editor, quito):
    StakeholderFactory(authority=quito.authority, name="Union")
    group = StakeholderFactory(authority=quito.authority, name="Network")
    response = editor.post(
        reverse("stakeholder_edit", args=["quito", group.pk]), {"name": "UNION", "category": "civil"}
    )
    assert response.status_code == 422
    group.refresh_from_db()
    assert group.name == "Network"


def test_another_authoritys_group_under_this_slug_is_a_404(editor, quito):
    lima = make_city("lima")
    theirs = StakeholderFactory(authority=lima.authority, name="Lima network")
    assert editor.get(reverse("stakeholder_edit", args=["quito", theirs.pk])).status_code == 404
    response = editor.post(
        reverse("stakeholder_edit", args=["quito", theirs.pk]), {"name": "Mine", "category": "civil"}
    )
    assert response.status_code == 404
    assert editor.post(reverse("stakeholder_delete", args=["quito", theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Lima network"


def test_a_group_that_never_took_part_is_removed(editor, quito):
    group = StakeholderFactory(authority=quito.authority, name="Gone")
    response = editor.post(reverse("stakeholder_delete", args=["quito", group.pk]))
    assert response.status_code == 302
    assert not Stakeholder.objects.exists()


def test_a_group_that_took_part_stays_and_the_refusal_says_why(editor, quito, draft):
    group = StakeholderFactory(authority=quito.authority, name="Refugees Together")
    ConsultationFactory(round=draft, groups=[group])

    page = editor.get(_register()).content.decode()
    assert reverse("stakeholder_delete", args=["quito", group.pk]) not in page  # no button to press

    response = editor.post(reverse("stakeholder_delete", args=["quito", group.pk]))
    assert response.status_code == 409
    assert "Refugees Together took part in a consultation: it stays in the register." in response.content.decode()
    assert Stakeholder.objects.filter(pk=group.pk).exists()


def test_a_removed_group_is_a_404_not_a_500(editor, quito):
    group = StakeholderFactory(authority=quito.authority)
    pk = group.pk
    group.delete()
    assert editor.get(reverse("stakeholder_edit", args=["quito", pk])).status_code == 404
    assert editor.post(reverse("stakeholder_delete", args=["quito", pk])).status_code == 404


def test_an_approver_keeps_the_register_too(client, quito):
    assert Membership.objects.get(user=quito.approver).role == Membership.Role.APPROVER
    response = _login(client, quito.approver).post(_register(), {"name": "Chamber", "category": "private"})
    assert response.status_code == 302
    assert Stakeholder.objects.get().name == "Chamber"


def test_a_reviewer_counts_no_consultation_of_a_draft(client, reviewer, quito, draft):
    group = StakeholderFactory(authority=quito.authority, name="Refugees Together")
    ConsultationFactory(round=draft, groups=[group])
    client = _login(client, reviewer)

    register = client.get(_register())
    assert [g.n_consultations for g in register.context["groups"]] == [0]
    assert reverse("consultation_list", args=[draft.pk]) not in register.content.decode()
    home = client.get(reverse("participation_home"))
    assert next(row for row in home.context["page"] if row.slug == "quito").n_consultations == 0
