"""Invariants the database holds for the catalogue."""

import pytest
from django.db import IntegrityError, transaction

from indicators.models import IndicatorResource, SdgTarget
from tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def test_indicator_code_is_unique_within_a_version():
    first = IndicatorFactory(code="HC-01")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorFactory(code="HC-01", dimension=first.dimension)


def test_the_same_code_may_appear_in_another_version():
    IndicatorFactory(code="HC-01")
    assert IndicatorFactory(code="HC-01").pk


@pytest.mark.parametrize("weight", [0, -1])
def test_indicator_weight_must_be_positive(weight):
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorFactory(weight=weight)


@pytest.mark.parametrize("level", [0, 5])
def test_evidence_level_must_be_between_one_and_four(level):
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorFactory(evidence_from_level=level)


def test_resource_address_must_be_http():
    indicator = IndicatorFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorResource.objects.create(indicator=indicator, title_en="x", url="javascript:alert(1)")


def test_sdg_targets_sort_by_goal_then_target():
    codes = ["16.b", "16.10", "3.8", "16.3", "10.c", "10.7"]
    assert sorted(codes, key=SdgTarget.sort_key_for) == ["3.8", "10.7", "10.c", "16.3", "16.10", "16.b"]
