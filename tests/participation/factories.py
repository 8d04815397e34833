"""factory_boy factories of the participation app: each sets only what the database requires.

Rows are written straight to the database (the services' checks are tested through the services);
the round of a consultation or survey is a new round unless given, so the catalogue must be loaded.
Indicators and dimensions are given as objects or codes of the round's catalogue version.
"""

import datetime
import uuid

import factory
from django.utils import timezone

from assessments.models import Membership
from indicators.models import Dimension, Indicator
from participation.models import Consultation, Stakeholder, Survey, SurveyAnswer, SurveyResponse
from participation.services import DEFAULT_SURVEY_DIMENSIONS
from tests.factories import AuthorityFactory, MembershipFactory, RoundFactory


def _of_version(model, version_id: int, items) -> list:
    """``items`` (objects or codes) as objects of the catalogue version."""
    codes = [item for item in items if isinstance(item, str)]
    by_code = {o.code: o for o in model.objects.filter(version_id=version_id, code__in=codes)}
    return [by_code[item] if isinstance(item, str) else item for item in items]


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder

    authority = factory.SubFactory(AuthorityFactory)
    name = factory.Sequence(lambda n: f"Group {n}")
    category = Stakeholder.Category.CIVIL_SOCIETY


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A consultation of ``round``; ``groups=[...]``, ``indicators=["SP-01", ...]``, ``dimensions=["SP"]`` link it."""

    class Meta:
        model = Consultation
        skip_postgeneration_save = True

    round = factory.SubFactory(RoundFactory)
    date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=7))
    method = Consultation.Method.WORKSHOP
    participants = 12
    summary = "Participants asked for interpreters at the one-stop shop."
    created_by = factory.LazyAttribute(lambda c: MembershipFactory(authority=c.round.authority).user)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(extracted)

    @factory.post_generation
    def indicators(self, create, extracted, **kwargs):
        if create and extracted:
            self.indicators.set(_of_version(Indicator, self.round.version_id, extracted))

    @factory.post_generation
    def dimensions(self, create, extracted, **kwargs):
        if create and extracted:
            self.dimensions.set(_of_version(Dimension, self.round.version_id, extracted))


class SurveyFactory(factory.django.DjangoModelFactory):
    """An open survey of ``round`` until 30 days from today, asking ``indicators`` (default: the SP and HC ones)."""

    class Meta:
        model = Survey
        skip_postgeneration_save = True

    round = factory.SubFactory(RoundFactory)
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    opened_by = factory.LazyAttribute(
        lambda s: MembershipFactory(authority=s.round.authority, role=Membership.Role.APPROVER).user
    )

    @factory.post_generation
    def indicators(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            chosen = Indicator.objects.filter(
                version_id=self.round.version_id, dimension__code__in=DEFAULT_SURVEY_DIMENSIONS
            )
        else:
            chosen = _of_version(Indicator, self.round.version_id, extracted)
        self.indicators.set(chosen)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    """A response to ``survey``; ``answers=2`` gives every asked indicator level 2, ``answers={"SP-01": None}`` some.

    An answer's value is a level (None: don't know) or a (level, comment) pair.
    """

    class Meta:
        model = SurveyResponse
        skip_postgeneration_save = True

    survey = factory.SubFactory(SurveyFactory)
    respondent = factory.LazyFunction(uuid.uuid4)
    language = "en"

    @factory.post_generation
    def answers(self, create, extracted, **kwargs):
        if not create or extracted is None:
            return
        if isinstance(extracted, int):
            extracted = {i: extracted for i in self.survey.indicators.all()}
        indicators = _of_version(Indicator, self.survey.round.version_id, list(extracted))
        rows = []
        for indicator, value in zip(indicators, extracted.values(), strict=True):
            level, comment = value if isinstance(value, tuple) else (value, "")
            rows.append(SurveyAnswer(response=self, indicator=indicator, level=level, comment=comment))
        SurveyAnswer.objects.bulk_create(rows)
