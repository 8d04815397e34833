"""A small world for assessment tests: one city with an editor and an approver, a reviewer."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, Permission

from assessments import services
from assessments.models import Answer, Membership, Round
from indicators.models import Indicator
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory


@dataclass
class City:
    authority: object
    editor: object
    approver: object


def make_city(slug: str) -> City:
    authority = AuthorityFactory(slug=slug, name=slug.title())
    editor = MembershipFactory(authority=authority, user=UserFactory(username=f"{slug}-editor")).user
    approver = MembershipFactory(
        authority=authority, user=UserFactory(username=f"{slug}-approver"), role=Membership.Role.APPROVER
    ).user
    return City(authority, editor, approver)


@pytest.fixture
def quito(catalogue) -> City:
    return make_city("quito")


@pytest.fixture
def reviewer(db):
    group, _created = Group.objects.get_or_create(name="Programme reviewers")
    group.permissions.add(Permission.objects.get(codename="review_round"))
    user = UserFactory(username="rita-reviewer", email="rita@example.org")
    user.groups.add(group)
    return user


@pytest.fixture
def draft(quito) -> Round:
    return services.round_create(authority=quito.authority, period="2025", actor=quito.approver)


def answer(round: Round, code: str, user, *, level=None, response="level", justification="", evidence_url=None):
    """Save one answer through the service, as the form would, and return it."""
    indicator = Indicator.objects.get(version=round.version, code=code)
    current = Answer.objects.filter(round=round, indicator=indicator).first()
    saved = services.answer_save(
        round=round,
        indicator=indicator,
        actor=user,
        response=response,
        level=level,
        justification=justification,
        base_revision=current.revision if current else 0,
    )
    if evidence_url:
        services.evidence_add(round=round, indicator=indicator, actor=user, description="Minutes", url=evidence_url)
    return saved


def answer_everything(round: Round, user, level: int = 2) -> None:
    for indicator in services.round_indicators(round):
        answer(round, indicator.code, user, level=level, evidence_url="https://example.org/minutes.pdf")


@pytest.fixture
def submitted(draft, quito) -> Round:
    answer_everything(draft, quito.editor)
    return services.round_submit(round=draft, actor=quito.approver)
