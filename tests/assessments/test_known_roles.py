"""``access.remember_roles``: a user's roles loaded in one query say what the questions one at a time say."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.auth.models import User as DjangoUser
from django.utils import timezone

from assessments import access
from assessments.access import Capability
from assessments.models import Membership, Round
from tests.factories import MembershipFactory, RoundFactory, UserFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db


def _fresh(user):
    """The user as a new request loads it: no cache of Django's permissions, no roles remembered."""
    return type(user).objects.get(pk=user.pk) if user.is_authenticated else AnonymousUser()


def _users(quito, bogota, reviewer) -> dict:
    coordinator = UserFactory(username="coco-coordinator")
    coordinator.user_permissions.add(Permission.objects.get(codename="open_rounds"))
    both = MembershipFactory(authority=bogota.authority, user=UserFactory(username="both")).user
    both.user_permissions.add(Permission.objects.get(codename="review_round"))
    gone = UserFactory(username="gone", is_active=False)
    gone.user_permissions.add(Permission.objects.get(codename="review_round"))
    MembershipFactory(authority=quito.authority, user=gone)
    return {
        "editor": quito.editor,
        "approver": quito.approver,
        "other city": bogota.editor,
        "reviewer (group)": reviewer,
        "coordinator": coordinator,
        "member and reviewer": both,
        "administrator": DjangoUser.objects.create_superuser("root", "root@example.org", "x"),
        "inactive administrator": UserFactory(username="old-root", is_superuser=True, is_active=False),
        "inactive member": gone,
        "nobody": UserFactory(username="nobody"),
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def bogota(catalogue):
    return make_city("bogota")


def test_remembered_roles_say_what_the_database_says(quito, bogota, reviewer):
    opened = [RoundFactory(authority=city.authority) for city in (quito, bogota)]
    users = _users(quito, bogota, reviewer)
    for status in Round.Status.values:
        Round.objects.filter(pk__in=[r.pk for r in opened]).update(
            status=status, submitted_at=timezone.now(), validated_at=timezone.now()
        )
        for name, user in users.items():
            asked, remembered = _fresh(user), _fresh(user)
            access.remember_roles(remembered)
            assert access.programme_roles(remembered) == access.programme_roles(asked), name
            for round in Round.objects.filter(pk__in=[r.pk for r in opened]):
                assert access.roles_on(remembered, round.authority_id) == access.roles_on(asked, round.authority_id)
                assert access.capabilities(remembered, round) == access.capabilities(asked, round), (name, status)
            for capability in Capability:
                seen = set(Round.objects.with_capability(remembered, capability).values_list("pk", flat=True))
                expected = set(Round.objects.with_capability(asked, capability).values_list("pk", flat=True))
                assert seen == expected, (name, status, capability)


def test_roles_are_loaded_in_one_query_and_then_asked_no_more(quito, reviewer, django_assert_num_queries):
    MembershipFactory(authority=make_city("lima").authority, user=reviewer, role=Membership.Role.APPROVER)
    user = _fresh(reviewer)
    with django_assert_num_queries(1):
        access.remember_roles(user)
        access.remember_roles(user)
    with django_assert_num_queries(0):
        assert access.ProgrammeRole.REVIEWER in access.programme_roles(user)
        assert access.roles_on(user, quito.authority.pk) == {access.ProgrammeRole.REVIEWER}
