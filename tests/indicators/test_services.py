"""Publishing, retiring and copying versions; a published version never changes."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from indicators import services
from indicators.models import CatalogueVersion, Indicator
from tests.factories import DimensionFactory, IndicatorFactory, VersionFactory

pytestmark = pytest.mark.django_db


def test_publishing_a_complete_draft_freezes_it():
    indicator = IndicatorFactory(complete=True)
    version = services.version_publish(version=indicator.version)
    assert version.status == CatalogueVersion.Status.PUBLISHED
    assert version.published_at is not None
    assert not version.is_editable


def test_publishing_refuses_an_incomplete_draft_and_says_why():
    dimension = DimensionFactory()
    IndicatorFactory(dimension=dimension, code="X-1")  # no SDG target, no example
    DimensionFactory(version=dimension.version, code="EMPTY")
    with pytest.raises(ValidationError) as refused:
        services.version_publish(version=dimension.version)
    text = " ".join(refused.value.messages)
    assert "X-1 has no SDG target" in text
    assert "X-1 has no example" in text
    assert "EMPTY has no indicators" in text
    dimension.version.refresh_from_db()
    assert dimension.version.status == CatalogueVersion.Status.DRAFT


def test_publishing_refuses_a_version_that_is_already_published(catalogue):
    with pytest.raises(services.CatalogueLocked):
        services.version_publish(version=catalogue)


def test_ensure_editable_refuses_published_and_retired_versions():
    services.version_ensure_editable(VersionFactory())  # a draft: no error
    for version in (VersionFactory(published=True), VersionFactory(published=True, status="retired")):
        with pytest.raises(services.CatalogueLocked):
            services.version_ensure_editable(version)


def test_retiring_needs_a_published_version():
    with pytest.raises(ValidationError):
        services.version_retire(version=VersionFactory())
    version = services.version_retire(version=VersionFactory(published=True))
    assert version.status == CatalogueVersion.Status.RETIRED


def test_new_draft_copies_the_whole_version_and_records_the_crosswalk(catalogue):
    draft = services.version_copy_to_draft(version=catalogue)

    assert draft.status == CatalogueVersion.Status.DRAFT
    assert draft.number == catalogue.number + 1
    assert draft.based_on == catalogue
    originals = {i.code: i for i in Indicator.objects.filter(version=catalogue).prefetch_related("sdg_targets")}
    copies = (
        Indicator.objects.filter(version=draft)
        .select_related("dimension")
        .prefetch_related("sdg_targets", "examples", "resources")
    )
    assert len(copies) == len(originals) == 36
    for copy in copies:
        original = originals[copy.code]
        assert copy.derived_from_id == original.pk
        assert copy.dimension.version_id == draft.pk
        assert copy.question_fr == original.question_fr and copy.descriptor_3_es == original.descriptor_3_es
        assert set(copy.sdg_targets.all()) == set(original.sdg_targets.all())
        assert copy.examples.count() == original.examples.count() >= 1
        assert copy.resources.count() == original.resources.count() >= 1


def test_editing_a_draft_leaves_the_published_version_unchanged(catalogue):
    draft = services.version_copy_to_draft(version=catalogue)
    copy = Indicator.objects.get(version=draft, code="HC-01")
    copy.question_en = "A reworded question?"
    copy.save(update_fields=["question_en"])
    with translation.override("en"):
        assert Indicator.objects.get(version=catalogue, code="HC-01").question != "A reworded question?"
