"""Two rounds scored on their comparable basis, with worked numbers for each crosswalk kind (pure: no database)."""

import pytest

from assessments.crosswalk import FIRST, SECOND, Compared, LeftOut, comparable_scores, unit
from assessments.scoring import (
    DONT_KNOW,
    LEVEL,
    NOT_APPLICABLE,
    UNANSWERED,
    DimensionInput,
    IndicatorInput,
    score_round,
)
from indicators.crosswalk import Crosswalk, Link


def at(code: str, level: int, weight: float = 1.0, evidence: bool = False) -> IndicatorInput:
    return IndicatorInput(code, LEVEL, level, weight=weight, has_evidence=evidence)


def na(code: str) -> IndicatorInput:
    return IndicatorInput(code, NOT_APPLICABLE)


def dim(code: str, *items: IndicatorInput, core: bool = True) -> DimensionInput:
    return DimensionInput(code, core, items)


def crosswalk(*links: tuple[tuple[str, ...], tuple[str, ...]], retired=(), added=()) -> Crosswalk:
    return Crosswalk(links=tuple(Link(old, new) for old, new in links), retired=retired, added=added)


def same(*codes: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [((code,), (code,)) for code in codes]


def test_a_split_is_compared_with_the_mean_of_its_parts():
    first = [dim("HC", at("A", 2), at("C", 4))]  # 50, 100
    second = [dim("HC", at("B1", 4), at("B2", 2), at("C", 4))]  # 100, 50 (together 75), 100

    result = comparable_scores(first, second, crosswalk((("A",), ("B1", "B2")), *same("C")))

    assert result.first.dimension("HC").score == 75  # (50 + 100) / 2, as ordinary scoring gives it
    assert result.second.dimension("HC").score == 87.5  # (75 + 100) / 2
    assert score_round(second).dimension("HC").score == pytest.approx(83.33, abs=0.01)  # not comparable
    assert result.compared == (Compared("HC", "split", ("A",), ("B1", "B2")), Compared("HC", "same", ("C",), ("C",)))
    assert result.left_out == ()
    assert not result.same_edition


def test_a_merge_is_compared_with_the_mean_of_the_indicators_merged():
    first = [dim("HC", at("A", 0), at("B", 4), at("C", 3))]  # 0 and 100 (together 50), 75
    second = [dim("HC", at("M", 3), at("C", 3))]  # 75, 75

    result = comparable_scores(first, second, crosswalk((("A", "B"), ("M",)), *same("C")))

    assert result.first.dimension("HC").score == 62.5  # (50 + 75) / 2
    assert score_round(first).dimension("HC").score == pytest.approx(58.33, abs=0.01)
    assert result.second.dimension("HC").score == 75
    assert result.compared[0] == Compared("HC", "merged", ("A", "B"), ("M",))


def test_new_and_retired_indicators_are_left_out_and_named():
    first = [dim("HC", at("A", 2), at("R", 4), at("C", 2))]
    second = [dim("HC", at("A", 2), at("C", 2), at("N", 4))]

    result = comparable_scores(first, second, crosswalk(*same("A", "C"), retired=("R",), added=("N",)))

    assert result.first.dimension("HC").score == result.second.dimension("HC").score == 50
    assert score_round(first).dimension("HC").score == pytest.approx(66.67, abs=0.01)  # R's 100 counted
    assert result.left_out == (LeftOut("R", FIRST, "retired"), LeftOut("N", SECOND, "new"))
    assert result.left_out_of(SECOND) == (LeftOut("N", SECOND, "new"),)
    assert [c.first for c in result.compared] == [("A",), ("C",)]


def test_the_headline_is_the_mean_of_the_core_dimensions_compared():
    first = [
        dim("HC", at("A", 4), at("B", 2)),
        dim("VC", at("V", 1), at("W", 1)),
        dim("DE", at("D", 4), at("E", 4), core=False),
    ]
    second = [
        dim("HC", at("A", 4), at("B", 4)),
        dim("VC", at("V", 2), at("W", 2)),
        dim("DE", at("D", 0), at("E", 0), core=False),
    ]

    result = comparable_scores(first, second, crosswalk(*same("A", "B", "V", "W", "D", "E")))

    assert (result.first.headline, result.second.headline) == (50, 75)  # (75 + 25) / 2, (100 + 50) / 2
    assert (result.first.band, result.second.band) == ("established", "advanced")
    assert result.same_edition
    assert result.first == score_round(first) and result.second == score_round(second)


def test_a_dimension_core_in_one_edition_only_is_not_core_on_the_basis():
    first = [dim("HC", at("A", 4), at("B", 4)), dim("DE", at("D", 0), at("E", 0), core=False)]
    second = [dim("HC", at("A", 4), at("B", 4)), dim("DE", at("D", 0), at("E", 0), core=True)]

    result = comparable_scores(first, second, crosswalk(*same("A", "B", "D", "E")))

    assert result.first.headline == result.second.headline == 100
    assert score_round(second).headline == 50


def test_parts_not_applicable_are_left_out_of_a_unit_and_weights_count():
    # A split whose parts weigh 1 and 3: (0 × 1 + 100 × 3) / 4 = 75, weighing 2 beside C.
    parts = unit([at("B1", 0, weight=1), at("B2", 4, weight=3)])
    assert (parts.effective_level * 25, parts.weight, parts.code) == (75, 2.0, "B1+B2")
    # An accepted N/A part is left out; all parts N/A: the unit is not applicable.
    assert unit([na("B1"), at("B2", 4)]).effective_level == 4
    assert not unit([na("B1"), na("B2")]).applicable
    # Don't know and no answer score 0 inside a unit, as outside.
    assert unit([IndicatorInput("B1", DONT_KNOW), at("B2", 4)]).effective_level == 2
    assert unit([IndicatorInput("B1", DONT_KNOW), IndicatorInput("B2", UNANSWERED)]).response == DONT_KNOW
    assert not unit([IndicatorInput("B1"), IndicatorInput("B2")]).started
    # Evidence: every part at the evidence level has some.
    assert unit([at("B1", 3, evidence=True), at("B2", 1)]).has_evidence
    assert not unit([at("B1", 3, evidence=True), at("B2", 2)]).has_evidence
    one = at("A", 3)
    assert unit([one]) is one


def test_an_indicator_moved_to_another_dimension_is_left_out():
    first = [dim("HC", at("A", 4), at("B", 2), at("C", 0)), dim("SP", at("S", 2), at("T", 2))]
    second = [dim("HC", at("A", 4), at("B", 2)), dim("SP", at("S", 2), at("T", 2), at("C", 4))]

    result = comparable_scores(first, second, crosswalk(*same("A", "B", "C", "S", "T")))

    assert LeftOut("C", FIRST, "moved") in result.left_out and LeftOut("C", SECOND, "moved") in result.left_out
    assert result.first.dimension("HC").score == result.second.dimension("HC").score == 75
    assert result.first.dimension("SP").score == result.second.dimension("SP").score == 50


def test_what_one_round_does_not_hold_is_left_out_and_a_dimension_with_nothing_compared_too():
    # Quito left the optional DC dimension out in the first round; the second has a dimension of new indicators.
    first = [dim("HC", at("A", 2), at("B", 2))]
    second = [
        dim("HC", at("A", 2), at("B", 2)),
        dim("DC", at("D", 4), at("E", 4), core=False),
        dim("NW", at("N", 4), at("O", 4)),
    ]

    result = comparable_scores(first, second, crosswalk(*same("A", "B", "D", "E"), added=("N", "O")))

    assert {(item.code, item.reason) for item in result.left_out} == {
        ("D", "absent"),
        ("E", "absent"),
        ("N", "new"),
        ("O", "new"),
    }
    assert [d.code for d in result.second.dimensions] == ["HC"]
    assert result.second.headline == result.first.headline == 50


# --- with the real catalogue and its second edition ---------------------------------------------------


def _answered(version, levels: dict[str, int], default: int) -> list[DimensionInput]:
    from indicators.models import Dimension

    return [
        DimensionInput(
            d.code,
            d.is_core,
            tuple(at(i.code, levels.get(i.code, default), weight=float(i.weight)) for i in d.indicators.all()),
        )
        for d in Dimension.objects.filter(version=version).with_indicators()
    ]


@pytest.mark.django_db
def test_two_rounds_across_the_first_and_second_editions(catalogue):
    from indicators.models import CatalogueVersion
    from tests.indicators.editions import second_edition

    edition = second_edition(catalogue)
    first = _answered(catalogue, {}, default=2)  # every indicator at level 2 (50 points)
    second = _answered(edition, {"HC-09": 1}, default=3)  # level 3 (75), but HC-09, half of HC-03, at 1

    result = comparable_scores(first, second, CatalogueVersion.objects.crosswalk(catalogue, edition))

    assert result.first.headline == 50
    # HC: HC-03 (75) and HC-09 (25) together 50, beside seven at 75: (7 × 75 + 50) / 8.
    assert result.second.dimension("HC").score == 71.875
    assert score_round(second).dimension("HC").score == pytest.approx(69.44, abs=0.01)  # nine indicators
    assert result.second.headline == (71.875 + 75 + 75 + 75) / 4
    assert set(result.left_out) == {LeftOut("DE-05", FIRST, "retired"), LeftOut("SP-07", SECOND, "new")}
    assert Compared("VC", "merged", ("VC-05", "VC-06"), ("VC-05",)) in result.compared
    assert Compared("HC", "split", ("HC-03",), ("HC-03", "HC-09")) in result.compared
    assert len(result.compared) == 34

    same = comparable_scores(first, first, CatalogueVersion.objects.crosswalk(catalogue, catalogue))
    assert same.same_edition and same.first == same.second == score_round(first)
