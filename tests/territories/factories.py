"""factory_boy factories of territories: each sets only what the database requires."""

import factory
from django.utils import timezone

from territories.models import Counterpart, CounterpartAnswer, Partnership, PartnershipEvidence, RollupConsent
from tests.factories import AuthorityFactory, IndicatorFactory, RoundFactory, UserFactory


class CounterpartFactory(factory.django.DjangoModelFactory):
    """The counterpart of a round (not submitted; ``submitted=True`` for one that has)."""

    class Meta:
        model = Counterpart

    round = factory.SubFactory(RoundFactory)
    user = factory.SubFactory(UserFactory)
    level = Counterpart.Level.NATIONAL
    organisation = "Ministry of Foreign Affairs"
    invited_by = factory.SubFactory(UserFactory)

    class Params:
        submitted = factory.Trait(submitted_at=factory.LazyFunction(timezone.now))


class CounterpartAnswerFactory(factory.django.DjangoModelFactory):
    """A level-2 answer; pass ``indicator`` (a mirrored one of the round's version) in real tests."""

    class Meta:
        model = CounterpartAnswer

    counterpart = factory.SubFactory(CounterpartFactory)
    indicator = factory.SubFactory(IndicatorFactory)
    response = CounterpartAnswer.Response.LEVEL
    level = 2

    class Params:
        dont_know = factory.Trait(response=CounterpartAnswer.Response.DONT_KNOW, level=None)


class RollupConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RollupConsent

    round = factory.SubFactory(RoundFactory)
    parent = factory.LazyAttribute(lambda consent: consent.round.authority.parent)  # the parent it is given to
    given_by = factory.SubFactory(UserFactory)


class PartnershipFactory(factory.django.DjangoModelFactory):
    """A proposed partnership of two authorities (``first`` has the smaller pk); ``confirmed=True`` for both sides."""

    class Meta:
        model = Partnership

    first = factory.SubFactory(AuthorityFactory)
    second = factory.SubFactory(AuthorityFactory)
    proposed_by = factory.SubFactory(UserFactory)

    class Params:
        confirmed = factory.Trait(
            first_confirmed_by=factory.SubFactory(UserFactory),
            first_confirmed_at=factory.LazyFunction(timezone.now),
            second_confirmed_by=factory.SubFactory(UserFactory),
            second_confirmed_at=factory.LazyFunction(timezone.now),
        )

    @classmethod
    def _create(cls, model_class, *args, first, second, **kwargs):
        # The pair is stored in pk order, whichever way round it was given.
        first, second = sorted((first, second), key=lambda authority: authority.pk)
        return super()._create(model_class, *args, first=first, second=second, **kwargs)


class PartnershipEvidenceFactory(factory.django.DjangoModelFactory):
    """A link shared in a partnership, added for its first authority."""

    class Meta:
        model = PartnershipEvidence

    partnership = factory.SubFactory(PartnershipFactory, confirmed=True)
    authority = factory.SelfAttribute("partnership.first")
    title = factory.Sequence(lambda n: f"Shared evidence {n}")
    url = "https://example.org/evidence"
    added_by = factory.SubFactory(UserFactory)


# --- helpers: a counterpart invited and answering as the pages do it, through territories.services ---


def invite_counterpart(round, actor, *, email: str = "nadia@gov.example", name: str = "Nadia Mansour", **fields):
    """Invite the round's counterpart through the service (as the invitation page does) and return it."""
    from territories import services

    fields = {"organisation": "Ministry of Foreign Affairs", "level": "national", **fields}
    return services.counterpart_invite(round=round, actor=actor, email=email, name=name, **fields)


def counterpart_answer_all(
    counterpart, *, level: int = 3, justification: str = "What the ministry knows.", submit=False
):
    """Answer every mirrored indicator of the counterpart's round through the service (and submit, if asked)."""
    from territories import services

    for indicator in services.mirrored_indicators(counterpart.round):
        services.counterpart_answer_save(
            counterpart=counterpart,
            actor=counterpart.user,
            indicator=indicator,
            response="level",
            level=level,
            justification=justification,
        )
    if submit:
        counterpart = services.counterpart_submit(counterpart=counterpart, actor=counterpart.user)
    return counterpart
