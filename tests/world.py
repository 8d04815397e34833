"""A small world for tests: a city with an editor and an approver, and answers saved as the form saves them."""

from dataclasses import dataclass

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


def answer(round: Round, code: str, user, *, level=None, response="level", justification=None, evidence_url=None):
    """Save one answer through the service, as the form would, and return it.

    Without a ``justification``, a level that needs one (``Indicator.justification_from_level``) gets one.
    """
    indicator = Indicator.objects.get(version=round.version, code=code)
    if justification is None:
        needed = response == "level" and level is not None and level >= indicator.justification_from_level
        justification = "Adopted by the council; the minutes say so." if needed else ""
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


def validated_round(city: City, reviewer, period: str, level: int = 2, *, version=None, levels=None) -> Round:
    """A round of ``city`` (on ``version``, or the current catalogue) answered at ``level`` throughout, some indicators
    at their own (``levels``: code → level), submitted and validated as given."""
    round = services.round_create(authority=city.authority, period=period, actor=city.approver, version=version)
    answer_everything(round, city.editor, level=level)
    for code, value in (levels or {}).items():
        answer(round, code, city.editor, level=value)
    services.round_submit(round=round, actor=city.approver)
    return services.round_review(round=round, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)
