"""factory_boy factories of the plans app: each sets only what the database requires."""

import datetime

import factory

from indicators.models import Indicator
from plans.models import Action, ActionIndicator, Plan
from tests.factories import AuthorityFactory, RoundFactory, UserFactory


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ["authority"]

    authority = factory.SubFactory(AuthorityFactory)


class ActionFactory(factory.django.DjangoModelFactory):
    """An action written straight to the database (no history); ``targets={"HC-01": 3}`` links indicators.

    The origin round is a new round of the plan's authority unless given; the catalogue must be loaded.
    """

    class Meta:
        model = Action
        skip_postgeneration_save = True

    plan = factory.SubFactory(PlanFactory)
    origin_round = factory.LazyAttribute(lambda action: RoundFactory(authority=action.plan.authority))
    title = factory.Sequence(lambda n: f"Action {n}")
    owner = "Office of migrant affairs"
    start_date = datetime.date(2025, 1, 1)
    due_date = datetime.date(2030, 12, 31)
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def targets(self, create, extracted, **kwargs):
        """Link indicators of the origin round's catalogue by code, each with its target level."""
        if create and extracted:
            indicators = {
                i.code: i for i in Indicator.objects.filter(version_id=self.origin_round.version_id, code__in=extracted)
            }
            ActionIndicator.objects.bulk_create(
                ActionIndicator(action=self, indicator=indicators[code], target_level=level)
                for code, level in extracted.items()
            )
