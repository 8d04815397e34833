"""An authority's trend: its ordinary scores on one edition, the comparable basis across editions."""

import pytest

from assessments.crosswalk import comparable_scores
from assessments.models import Round, SnapshotDimension
from assessments.sheet import VALIDATED, answer_sheet
from assessments.trends import COMPARABLE, SAME_EDITION, LeftOutIndicator, describe_basis, round_trend
from indicators.models import CatalogueVersion
from tests.indicators.editions import second_edition
from tests.world import make_city, validated_round

pytestmark = pytest.mark.django_db


def validated_scores(round: Round) -> dict[str, float | None]:
    rows = SnapshotDimension.objects.filter(snapshot__round=round, score_set=VALIDATED)
    return dict(rows.values_list("dimension", "score"))


@pytest.fixture
def edition(catalogue) -> CatalogueVersion:
    return second_edition(catalogue)


def test_a_trend_on_one_edition_is_the_rounds_ordinary_validated_scores(quito, catalogue, reviewer):
    first = validated_round(quito, reviewer, "2023", 1, version=catalogue, levels={"HC-01": 4, "DE-05": 4})
    second = validated_round(quito, reviewer, "2025", 3, version=catalogue)

    trend = round_trend(Round.objects.filter(authority=quito.authority))

    assert trend.basis == SAME_EDITION and trend.editions == (1,)
    assert trend.compared == () and trend.left_out == ()
    assert trend.authority == "Quito"
    assert [p.period for p in trend.points] == ["2023", "2025"]
    assert [p.round_id for p in trend.points] == [first.pk, second.pk]
    for point, round in zip(trend.points, (first, second), strict=True):
        round.refresh_from_db()
        assert point.index == round.snapshot.validated_headline
        assert dict(point.scores) == validated_scores(round)
        assert list(point.scores) == [d.code for d in answer_sheet(round).dimensions]  # catalogue order
    assert trend.points[0].scores["DE"] > 25  # DE-05's 100 points count: same edition, every indicator
    assert describe_basis(trend.basis_data()) == ""


def test_a_trend_across_two_editions_scores_every_round_on_the_comparable_basis(quito, catalogue, edition, reviewer):
    # Edition 1 at level 2 (50 points), but DE-05, retired in edition 2, at 4.
    first = validated_round(quito, reviewer, "2023", 2, version=catalogue, levels={"DE-05": 4})
    # Edition 2 at level 3 (75), but HC-09 (half of HC-03's split) at 1 and SP-07, new, at 0.
    second = validated_round(quito, reviewer, "2025", 3, version=edition, levels={"HC-09": 1, "SP-07": 0})

    trend = round_trend([first, second])

    assert trend.basis == COMPARABLE and trend.editions == (1, 2)
    assert [(p.period, p.edition) for p in trend.points] == [("2023", 1), ("2025", 2)]
    old, new = trend.points
    # DE-05 is left out: edition 1's DE is all 50, where its ordinary score counts DE-05's 100.
    assert old.scores["DE"] == 50 and validated_scores(first)["DE"] > 50
    assert old.index == 50
    # HC-03 (75) and HC-09 (25) are one unit, 50, beside seven at 75; SP-07 (0) is left out.
    assert new.scores["HC"] == 71.875
    assert new.scores["SP"] == 75 and validated_scores(second)["SP"] < 75
    # The same numbers as the comparable basis of the two rounds' sheets.
    crosswalk = CatalogueVersion.objects.crosswalk(catalogue, edition)
    direct = comparable_scores(
        answer_sheet(first).score_inputs(VALIDATED), answer_sheet(second).score_inputs(VALIDATED), crosswalk
    )
    assert old.index == direct.first.headline and new.index == direct.second.headline
    assert dict(new.scores) == {d.code: d.score for d in direct.second.dimensions}

    assert set(trend.left_out) == {LeftOutIndicator("DE-05", 1, "retired"), LeftOutIndicator("SP-07", 2, "new")}
    kinds = {(c.first, c.second): c.kind for c in trend.compared}
    assert kinds[("HC-03",), ("HC-03", "HC-09")] == "split"
    assert kinds[("VC-05", "VC-06"), ("VC-05",)] == "merged"
    assert kinds[("HC-01",), ("HC-01",)] == "same"
    assert len(trend.compared) == 34
    assert {c.editions for c in trend.compared} == {(1, 2)}

    data = trend.basis_data()
    assert data["kind"] == "comparable" and data["editions"] == [1, 2]
    text = describe_basis(data)
    assert "HC-03 as HC-03 + HC-09 (split)" in text and "VC-05 + VC-06 as VC-05 (merged)" in text
    assert "DE-05 (edition 1, retired)" in text and "SP-07 (edition 2, new)" in text


def test_rounds_on_the_latest_edition_stand_on_the_basis_of_the_last_round_on_another(
    quito, catalogue, edition, reviewer
):
    first = validated_round(quito, reviewer, "2021", 2, version=catalogue)
    middle = validated_round(quito, reviewer, "2023", 3, version=edition, levels={"SP-07": 0})
    last = validated_round(quito, reviewer, "2025", 4, version=edition, levels={"SP-07": 0})

    trend = round_trend(Round.objects.filter(authority=quito.authority))

    assert [p.round_id for p in trend.points] == [first.pk, middle.pk, last.pk]
    # SP-07 at 0 is left out of both rounds on edition 2: their SP is their other indicators'.
    assert trend.points[1].scores["SP"] == 75 and trend.points[2].scores["SP"] == 100
    assert trend.points[2].index == 100


@pytest.mark.parametrize("rounds", [2, 6])
def test_a_trend_takes_a_constant_number_of_queries_whatever_the_number_of_rounds(
    quito, catalogue, edition, reviewer, django_assert_max_num_queries, rounds
):
    for n in range(rounds):
        validated_round(quito, reviewer, str(2000 + n), 1 + n % 4, version=catalogue if n < rounds // 2 else edition)
    own = Round.objects.filter(authority=quito.authority)

    # The snapshots' rows, the rounds, the answers (4) and the crosswalk (3).
    with django_assert_max_num_queries(9):
        trend = round_trend(own)
    assert len(trend.points) == rounds and trend.basis == COMPARABLE
    with django_assert_max_num_queries(1):
        assert round_trend(own.filter(version=edition)).basis == SAME_EDITION


def test_a_trend_is_one_authoritys(quito, catalogue, reviewer):
    lima = make_city("lima")
    validated_round(quito, reviewer, "2025", 2, version=catalogue)
    validated_round(lima, reviewer, "2025", 3, version=catalogue)

    with pytest.raises(ValueError):
        round_trend(Round.objects.all())
    assert round_trend(Round.objects.filter(authority=lima.authority)).authority == "Lima"


def test_a_trend_of_no_validated_round_is_empty(quito, draft):
    trend = round_trend(Round.objects.filter(authority=quito.authority))

    assert trend.points == () and trend.dimensions == [] and trend.basis == SAME_EDITION
