"""factory_boy factories: each sets only what the database requires."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from assessments import services
from assessments.models import Authority, Membership, Round
from indicators.models import CatalogueVersion, Dimension, Framework, Indicator, IndicatorExample, SdgTarget


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-only")


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Framework
        django_get_or_create = ["slug"]

    slug = "test-framework"
    name_en = "Test framework"


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogueVersion

    framework = factory.SubFactory(FrameworkFactory)
    number = factory.Sequence(lambda n: n + 100)
    label_en = factory.LazyAttribute(lambda v: f"Version {v.number}")

    class Params:
        published = factory.Trait(
            status=CatalogueVersion.Status.PUBLISHED, published_at=factory.LazyFunction(timezone.now)
        )


class DimensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dimension

    version = factory.SubFactory(VersionFactory)
    code = factory.Sequence(lambda n: f"D{n}")
    name_en = factory.LazyAttribute(lambda d: f"Dimension {d.code}")
    description_en = "What this dimension is about."


class SdgTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SdgTarget
        django_get_or_create = ["code"]

    code = "10.7"
    title_en = "Facilitate orderly, safe, regular and responsible migration"
    sort_key = factory.LazyAttribute(lambda t: SdgTarget.sort_key_for(t.code))


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator
        skip_postgeneration_save = True

    dimension = factory.SubFactory(DimensionFactory)
    version = factory.SelfAttribute("dimension.version")
    code = factory.Sequence(lambda n: f"X-{n:03d}")
    question_en = factory.LazyAttribute(lambda i: f"Question of {i.code}?")
    guidance_en = "How to answer."
    descriptor_0_en = "Nothing."
    descriptor_1_en = "Ad hoc."
    descriptor_2_en = "Partial."
    descriptor_3_en = "Operational."
    descriptor_4_en = "Institutionalised."
    suggestion_en = "Do more."

    @factory.post_generation
    def complete(self, create, extracted, **kwargs):
        """With complete=True, add the SDG target and example that publishing asks for."""
        if create and extracted:
            self.sdg_targets.add(SdgTargetFactory())
            IndicatorExample.objects.create(indicator=self, place="Quito", text_en="An example.")


class AuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authority

    name = factory.Sequence(lambda n: f"City {n}")
    slug = factory.Sequence(lambda n: f"city-{n}")
    kind = Authority.Kind.MUNICIPALITY
    country = "Ecuador"
    region = "Latin America and the Caribbean"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    authority = factory.SubFactory(AuthorityFactory)
    role = Membership.Role.EDITOR


class RoundFactory(factory.django.DjangoModelFactory):
    """A draft round opened the way the application opens one: through ``services.round_create``, by an approver."""

    class Meta:
        model = Round

    authority = factory.SubFactory(AuthorityFactory)
    period = factory.Sequence(lambda n: str(2000 + n))

    @classmethod
    def _create(cls, model_class, *, authority, period, actor=None, **kwargs):
        # Only an approver of the authority may open its round.
        actor = actor or MembershipFactory(authority=authority, role=Membership.Role.APPROVER).user
        return services.round_create(authority=authority, period=period, actor=actor, **kwargs)
