"""The scoring rules of the methodology, as table tests and Hypothesis properties (no database)."""

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.scoring import (
    DONT_KNOW,
    LEVEL,
    NOT_APPLICABLE,
    UNANSWERED,
    DimensionInput,
    IndicatorInput,
    band,
    dimension_score,
    indicator_points,
    score_round,
)


def level(value: int, *, weight: float = 1.0, evidence: bool = False) -> IndicatorInput:
    return IndicatorInput(code="X", response=LEVEL, level=value, weight=weight, has_evidence=evidence)


def na(*, accepted: bool = True) -> IndicatorInput:
    return IndicatorInput(code="X", response=NOT_APPLICABLE, na_accepted=accepted)


DK = IndicatorInput(code="X", response=DONT_KNOW)
BLANK = IndicatorInput(code="X", response=UNANSWERED)


def dimension(*items: IndicatorInput | int, code: str = "D", core: bool = True) -> DimensionInput:
    """A dimension of the given indicators (a bare int is a level answer), coded D-1, D-2, …"""
    indicators = tuple(
        dataclasses.replace(level(item) if isinstance(item, int) else item, code=f"{code}-{n}")
        for n, item in enumerate(items, start=1)
    )
    return DimensionInput(code=code, core=core, indicators=indicators)


# --- indicator points ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "points"),
    [
        pytest.param(level(0), 0, id="level-0"),
        pytest.param(level(1), 25, id="level-1"),
        pytest.param(level(2), 50, id="level-2"),
        pytest.param(level(3), 75, id="level-3"),
        pytest.param(level(4), 100, id="level-4"),
        pytest.param(DK, 0, id="dont-know"),
        pytest.param(BLANK, 0, id="unanswered"),
        pytest.param(na(accepted=True), None, id="accepted-na"),
        pytest.param(na(accepted=False), 0, id="rejected-na"),
    ],
)
def test_indicator_points_follow_the_level_and_leave_out_only_an_accepted_na(item, points):
    assert indicator_points(item) == points


# --- dimension score -----------------------------------------------------------------------------


def test_the_frameworks_worked_example_scores_375_over_7_and_is_established():
    result = dimension_score(dimension(3, 2, 4, 1, na(accepted=True), 2, 0, 3))

    assert result.indicators == 8
    assert result.applicable == 7
    assert result.score == 375 / 7
    assert round(result.score, 2) == 53.57
    assert result.band == "established"


@pytest.mark.parametrize(
    ("indicators", "applicable", "sufficient"),
    [
        pytest.param(8, 4, True, id="8-with-4-applicable"),
        pytest.param(8, 3, False, id="8-with-3-applicable"),
        pytest.param(7, 4, True, id="7-with-4-applicable"),
        pytest.param(7, 3, False, id="7-with-3-applicable"),
        pytest.param(4, 2, True, id="4-with-2-applicable"),
        pytest.param(3, 2, True, id="3-with-2-applicable"),
        pytest.param(3, 1, False, id="3-with-1-applicable"),
        pytest.param(2, 2, True, id="2-with-2-applicable"),
        pytest.param(2, 1, False, id="2-with-1-applicable"),
        pytest.param(1, 1, False, id="1-with-1-applicable"),
        pytest.param(1, 0, False, id="1-with-0-applicable"),
        pytest.param(4, 0, False, id="4-with-0-applicable"),
    ],
)
def test_a_dimension_needs_half_its_indicators_and_at_least_two_applicable(indicators, applicable, sufficient):
    items = [level(2)] * applicable + [na(accepted=True)] * (indicators - applicable)

    result = dimension_score(dimension(*items))

    assert result.applicable == applicable
    assert result.insufficient is not sufficient
    assert result.score == (50 if sufficient else None)
    assert result.band == ("established" if sufficient else None)


def test_a_rejected_na_keeps_a_dimension_sufficient_and_counts_zero():
    result = dimension_score(dimension(4, na(accepted=False), na(accepted=True)))

    assert result.applicable == 2
    assert result.score == 50


@pytest.mark.parametrize(
    ("items", "score"),
    [
        pytest.param([level(4, weight=2), level(0)], 200 / 3, id="weight-2-at-level-4"),
        pytest.param([level(4), level(0, weight=2)], 100 / 3, id="weight-2-at-level-0"),
        pytest.param([level(4, weight=2), level(4), level(0, weight=2), level(0)], 50, id="weights-balance"),
        pytest.param([level(4), level(0)], 50, id="weight-1-everywhere"),
        pytest.param([level(3, weight=2), na(accepted=True), level(1)], 175 / 3, id="accepted-na-weight-ignored"),
    ],
)
def test_a_weight_two_indicator_counts_double(items, score):
    assert dimension_score(dimension(*items)).score == pytest.approx(score)


# --- bands ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        pytest.param(0, "initial", id="0"),
        pytest.param(24.999, "initial", id="24.999"),
        pytest.param(25, "emerging", id="25"),
        pytest.param(49.99, "emerging", id="49.99"),
        pytest.param(50, "established", id="50"),
        pytest.param(74.9999, "established", id="74.9999"),
        pytest.param(75, "advanced", id="75"),
        pytest.param(100, "advanced", id="100"),
        pytest.param(None, None, id="no-score"),
    ],
)
def test_bands_are_read_on_unrounded_scores(score, expected):
    assert band(score) == expected


@pytest.mark.parametrize(
    ("answer", "weights", "expected_band"),
    [
        pytest.param(1, [1, 1, 1, 1, 1, 1, 1, 1.05], "emerging", id="level-1-reads-initial"),
        pytest.param(2, [1, 1, 1, 1, 1, 1, 1, 1.05], "established", id="level-2-reads-emerging"),
        pytest.param(3, [1, 1, 1, 1, 1, 1, 1, 1.12], "advanced", id="level-3-reads-established"),
        pytest.param(4, [1, 1, 1, 1, 1, 1, 0.1, 0.1], "advanced", id="level-4-scores-above-100"),
    ],
)
def test_a_dimension_answered_at_one_level_scores_exactly_that_level_whatever_the_weights(
    answer, weights, expected_band
):
    # Weights with two decimals are what the catalogue holds (Indicator.weight, 5 digits, 2 places).
    result = dimension_score(dimension(*(level(answer, weight=w) for w in weights)))

    assert result.score == answer * 25
    assert result.band == expected_band


# --- headline ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dimensions", "headline"),
    [
        pytest.param(
            [dimension(4, 4, 4, 4, 4, 4, 4, 4, code="A"), dimension(0, 0, code="B")],
            50,
            id="plain-mean-not-weighted-by-indicator-count",
        ),
        pytest.param(
            [
                dimension(4, 4, code="A"),
                dimension(2, 2, code="B"),
                dimension(1, 3, code="C"),
                dimension(0, 2, code="D"),
            ],
            (100 + 50 + 50 + 25) / 4,
            id="four-core-dimensions",
        ),
        pytest.param(
            [dimension(4, 4, code="A"), dimension(2, 2, code="B"), dimension(0, 0, code="S", core=False)],
            75,
            id="supplementary-score-ignored",
        ),
        pytest.param(
            [dimension(4, 4, code="A"), dimension(2, na(), code="S", core=False)],
            100,
            id="insufficient-supplementary-ignored",
        ),
        pytest.param(
            [dimension(4, 4, code="A"), dimension(2, na(), na(), code="B")],
            None,
            id="one-core-insufficient",
        ),
        pytest.param(
            [dimension(4, 4, code="S", core=False)],
            None,
            id="no-core-dimension",
        ),
    ],
)
def test_the_headline_is_the_plain_mean_of_core_dimensions_and_none_if_one_is_insufficient(dimensions, headline):
    result = score_round(dimensions)

    assert result.headline == (pytest.approx(headline) if headline is not None else None)
    assert result.band == band(result.headline)
    assert [d.code for d in result.dimensions] == [d.code for d in dimensions]


# --- completeness and evidence coverage ----------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "share"),
    [
        pytest.param([level(2), DK, level(0), na(accepted=True)], 2 / 3, id="dk-not-answered-accepted-na-out"),
        pytest.param([level(1), BLANK], 1 / 2, id="unanswered-not-answered"),
        pytest.param([DK, DK], 0, id="all-dont-know"),
        pytest.param([level(0), level(4)], 1, id="all-levels"),
        pytest.param([na(accepted=True), na(accepted=True)], None, id="nothing-applicable"),
    ],
)
def test_completeness_counts_answers_other_than_dont_know_among_applicable_indicators(items, share):
    assert dimension_score(dimension(*items)).completeness == share


@pytest.mark.parametrize(
    ("items", "share"),
    [
        pytest.param(
            [level(2, evidence=True), level(3), level(1, evidence=True), level(0, evidence=True)],
            1 / 2,
            id="below-level-2-ignored",
        ),
        pytest.param([level(4, evidence=True), level(2, evidence=True)], 1, id="all-covered"),
        pytest.param([level(4), level(3)], 0, id="none-covered"),
        pytest.param([level(1, evidence=True), level(0), DK], None, id="nothing-at-level-2"),
        pytest.param([na(accepted=True), BLANK], None, id="nothing-answered"),
    ],
)
def test_evidence_coverage_counts_only_indicators_at_level_two_or_more(items, share):
    assert dimension_score(dimension(*items)).evidence_coverage == share


def test_round_completeness_and_coverage_pool_every_dimensions_indicators():
    result = score_round(
        [dimension(level(2, evidence=True), DK, code="A"), dimension(level(3), 1, na(), code="S", core=False)]
    )

    assert result.completeness == 3 / 4
    assert result.evidence_coverage == 1 / 2


# --- properties ----------------------------------------------------------------------------------

RESPONSES = [LEVEL, NOT_APPLICABLE, DONT_KNOW, UNANSWERED]
# What Indicator.weight can hold: positive, two decimal places, five digits.
catalogue_weights = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2).map(float)


@st.composite
def indicator_inputs(draw, weights=catalogue_weights) -> IndicatorInput:
    response = draw(st.sampled_from(RESPONSES))
    return IndicatorInput(
        code="X",
        response=response,
        level=draw(st.integers(0, 4)) if response == LEVEL else None,
        weight=draw(weights),
        na_accepted=draw(st.booleans()),
        has_evidence=draw(st.booleans()),
    )


@st.composite
def dimension_inputs(draw, code: str = "D", weights=catalogue_weights, min_size: int = 1) -> DimensionInput:
    items = draw(st.lists(indicator_inputs(weights), min_size=min_size, max_size=10))
    return dimension(*items, code=code, core=draw(st.booleans()))


@st.composite
def round_inputs(draw, weights=catalogue_weights) -> list[DimensionInput]:
    count = draw(st.integers(1, 6))
    return [draw(dimension_inputs(code=f"D{n}", weights=weights)) for n in range(count)]


def with_item(dim: DimensionInput, position: int, item: IndicatorInput) -> DimensionInput:
    """The dimension with ``item`` inserted at ``position``."""
    items = list(dim.indicators)
    items.insert(position % (len(items) + 1), item)
    return dimension(*items, code=dim.code, core=dim.core)


def in_bounds(value: float | None, high: float) -> bool:
    return value is None or 0 <= value <= high


@settings(max_examples=200, deadline=None)
@given(round_inputs(weights=catalogue_weights))
def test_every_dimension_score_and_the_headline_lie_between_0_and_100(dimensions):
    result = score_round(dimensions)

    assert all(in_bounds(d.score, 100) for d in result.dimensions)
    assert in_bounds(result.headline, 100)


@settings(max_examples=200, deadline=None)
@given(round_inputs())
def test_completeness_and_evidence_coverage_lie_between_0_and_1(dimensions):
    result = score_round(dimensions)

    for share in (result.completeness, result.evidence_coverage):
        assert in_bounds(share, 1)
    for d in result.dimensions:
        assert in_bounds(d.completeness, 1)
        assert in_bounds(d.evidence_coverage, 1)


@settings(max_examples=200, deadline=None)
@given(
    dimension_inputs(min_size=0),
    st.integers(0, 3),
    catalogue_weights,
    st.booleans(),
    st.integers(0, 10),
)
def test_raising_one_level_by_one_never_lowers_the_dimension_score(dim, answer, weight, evidence, position):
    before = dimension_score(with_item(dim, position, level(answer, weight=weight, evidence=evidence)))
    after = dimension_score(with_item(dim, position, level(answer + 1, weight=weight, evidence=evidence)))

    assert before.insufficient == after.insufficient
    if not after.insufficient:
        assert after.score >= before.score


@settings(max_examples=200, deadline=None)
@given(dimension_inputs(min_size=0), catalogue_weights, st.integers(0, 10))
def test_an_accepted_na_never_counts_as_zero(dim, weight, position):
    as_zero = dimension_score(with_item(dim, position, level(0, weight=weight)))
    left_out = dimension_score(with_item(dim, position, dataclasses.replace(na(accepted=True), weight=weight)))

    assert left_out.applicable == as_zero.applicable - 1
    if not (as_zero.insufficient or left_out.insufficient):
        assert left_out.score >= as_zero.score


@settings(max_examples=200, deadline=None)
@given(dimension_inputs(), catalogue_weights)
def test_equal_weights_score_as_weight_one(dim, weight):
    def weighted(w: float) -> DimensionInput:
        items = [dataclasses.replace(item, weight=w) for item in dim.indicators]
        return dimension(*items, code=dim.code, core=dim.core)

    unweighted, equally_weighted = dimension_score(weighted(1.0)), dimension_score(weighted(weight))

    if unweighted.score is None:
        assert equally_weighted.score is None
    else:
        assert equally_weighted.score == pytest.approx(unweighted.score)
