"""Which authority belongs to which: a cycle of parents is refused by the model, the service and the admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.access import AccessDenied
from assessments.models import Authority
from territories import services
from tests.factories import AuthorityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    """Luzon ⊃ Calabarzon ⊃ Batangas: a region in a larger one, and a municipality."""
    luzon = AuthorityFactory(name="Luzon", slug="luzon", kind=Authority.Kind.REGION)
    calabarzon = AuthorityFactory(name="Calabarzon", slug="calabarzon", kind=Authority.Kind.REGION, parent=luzon)
    batangas = AuthorityFactory(name="Batangas", slug="batangas", parent=calabarzon)
    return luzon, calabarzon, batangas


@pytest.fixture
def admin_user():
    return UserFactory(username="ada-admin", is_superuser=True, is_staff=True)


def test_the_model_refuses_a_parent_that_is_its_own_descendant(chain):
    luzon, _calabarzon, batangas = chain
    luzon.parent = batangas
    with pytest.raises(ValidationError) as refused:
        luzon.full_clean(exclude=["logo"])
    assert refused.value.message_dict["parent"] == ["Batangas is part of Luzon: a parent cannot be its own descendant."]


def test_the_model_refuses_an_authority_as_its_own_parent(chain):
    luzon = chain[0]
    luzon.parent = luzon
    with pytest.raises(ValidationError) as refused:
        luzon.full_clean(exclude=["logo"])
    assert "parent" in refused.value.message_dict


def test_the_service_refuses_a_cycle_and_changes_nothing(chain, admin_user):
    luzon, calabarzon, batangas = chain
    with pytest.raises(services.TerritoryError) as refused:
        services.authority_set_parent(authority=calabarzon, parent=batangas, actor=admin_user)
    assert "Batangas is part of Calabarzon" in " ".join(refused.value.messages)
    calabarzon.refresh_from_db()
    assert calabarzon.parent == luzon


def test_the_service_moves_an_authority_for_administrators_only(chain, admin_user):
    luzon, _calabarzon, batangas = chain
    with pytest.raises(AccessDenied):
        services.authority_set_parent(authority=batangas, parent=luzon, actor=UserFactory())
    services.authority_set_parent(authority=batangas, parent=luzon, actor=admin_user)
    batangas.refresh_from_db()
    assert batangas.parent == luzon
    assert list(luzon.children.order_by("name")) == [batangas, Authority.objects.get(slug="calabarzon")]


def _admin_form(authority: Authority, parent: Authority | None) -> dict:
    return {
        "name": authority.name,
        "slug": authority.slug,
        "kind": authority.kind,
        "country": authority.country,
        "region": authority.region,
        "parent": parent.pk if parent else "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }


def test_the_admin_shows_the_refusal_of_a_cycle_on_the_parent_field(client, chain, admin_user):
    luzon, _calabarzon, batangas = chain
    client.force_login(admin_user)
    url = reverse("admin:assessments_authority_change", args=[luzon.pk])

    response = client.post(url, _admin_form(luzon, batangas))

    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["parent"] == [
        "Batangas is part of Luzon: a parent cannot be its own descendant."
    ]
    assert "a parent cannot be its own descendant" in response.content.decode()
    luzon.refresh_from_db()
    assert luzon.parent is None


def test_the_admin_sets_a_parent_that_makes_no_cycle(client, chain, admin_user):
    luzon, _calabarzon, batangas = chain
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:assessments_authority_change", args=[batangas.pk]), _admin_form(batangas, luzon)
    )
    assert response.status_code == 302
    batangas.refresh_from_db()
    assert batangas.parent == luzon


def test_the_admin_lists_each_authoritys_parent_and_picks_it_with_a_search(client, chain, admin_user):
    client.force_login(admin_user)
    listing = client.get(reverse("admin:assessments_authority_changelist")).content.decode()
    batangas_row = listing.split(">Batangas</a>", 1)[1].split("</tr>", 1)[0]
    assert "Calabarzon" in batangas_row

    form = client.get(reverse("admin:assessments_authority_change", args=[chain[2].pk])).content.decode()
    assert 'name="parent"' in form
    assert "admin-autocomplete" in form
