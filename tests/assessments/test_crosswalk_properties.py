"""Properties of the comparable basis: on one edition it is ordinary scoring, and it is symmetric."""

from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.crosswalk import FIRST, SECOND, comparable_scores
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

RESPONSES = [LEVEL, LEVEL, LEVEL, NOT_APPLICABLE, DONT_KNOW, UNANSWERED]
WEIGHTS = st.sampled_from([1.0, 1.0, 0.5, 1.5, 2.0, 0.25])


@st.composite
def answer(draw, code: str, weight: float) -> IndicatorInput:
    response = draw(st.sampled_from(RESPONSES))
    return IndicatorInput(
        code=code,
        response=response,
        level=draw(st.integers(0, 4)) if response == LEVEL else None,
        weight=weight,
        na_accepted=draw(st.booleans()),
        has_evidence=draw(st.booleans()),
    )


@st.composite
def answers(draw, structure: list[tuple[str, bool, list[tuple[str, float]]]]) -> list[DimensionInput]:
    """One round's answers on ``structure``: (dimension code, core, [(indicator code, weight)])."""
    return [DimensionInput(code, core, tuple(draw(answer(c, w)) for c, w in items)) for code, core, items in structure]


@st.composite
def edition(draw, prefix: str = "I") -> list[tuple[str, bool, list[tuple[str, float]]]]:
    sizes = draw(st.lists(st.integers(1, 8), min_size=1, max_size=5))
    return [
        (f"D{n}", draw(st.booleans()), [(f"{prefix}{n}-{k}", draw(WEIGHTS)) for k in range(size)])
        for n, size in enumerate(sizes)
    ]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_on_one_edition_the_comparable_scores_are_the_ordinary_scores(data):
    structure = data.draw(edition())
    first, second = data.draw(answers(structure)), data.draw(answers(structure))
    identity = Crosswalk.identity(item.code for d in first for item in d.indicators)

    result = comparable_scores(first, second, identity)

    assert result.first == score_round(first)
    assert result.second == score_round(second)
    assert result.left_out == ()
    assert [c.first for c in result.compared] == [(item.code,) for d in first for item in d.indicators]
    assert result.same_edition


@st.composite
def two_editions(draw):
    """Two editions and a crosswalk between them: groups of 0-2 earlier and 0-3 later indicators, in random dimensions."""
    shapes = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3)).filter(any), min_size=1, max_size=12))
    links, retired, added = [], [], []
    sides: list[dict[str, list[tuple[str, float]]]] = [{}, {}]
    for g, (olds, news) in enumerate(shapes):
        old = tuple(f"O{g}-{k}" for k in range(olds))
        new = tuple(f"N{g}-{k}" for k in range(news))
        if old and new:
            links.append(Link(old, new))
        else:
            retired += old
            added += new
        for s, codes in ((0, old), (1, new)):
            for code in codes:
                sides[s].setdefault(draw(st.sampled_from(["A", "B", "C"])), []).append((code, draw(WEIGHTS)))
    structures = [[(d, draw(st.booleans()), items) for d, items in sorted(side.items())] for side in sides]
    return structures, Crosswalk(links=tuple(links), retired=tuple(retired), added=tuple(added))


SWAP = {FIRST: SECOND, SECOND: FIRST}
OTHER_SIDE = {"retired": "new", "new": "retired", "moved": "moved", "absent": "absent"}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_comparable_basis_is_symmetric(data):
    (earlier, later), crosswalk = data.draw(two_editions())
    first, second = data.draw(answers(earlier)), data.draw(answers(later))

    forward = comparable_scores(first, second, crosswalk)
    backward = comparable_scores(second, first, crosswalk.inverted())

    assert {(c.dimension, c.first, c.second) for c in forward.compared} == {
        (c.dimension, c.second, c.first) for c in backward.compared
    }
    assert {(i.code, i.round, i.reason) for i in forward.left_out} == {
        (i.code, SWAP[i.round], OTHER_SIDE[i.reason]) for i in backward.left_out
    }
    assert (forward.first, forward.second) == (backward.second, backward.first)
    # Every indicator of either round is compared or left out, once.
    for side, round in ((0, first), (1, second)):
        codes = [item.code for d in round for item in d.indicators]
        compared = [code for c in forward.compared for code in (c.first, c.second)[side]]
        left = [i.code for i in forward.left_out if i.round == (FIRST, SECOND)[side]]
        assert sorted(compared + left) == sorted(codes)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_what_is_compared_does_not_depend_on_the_answers(data):
    (earlier, later), crosswalk = data.draw(two_editions())
    one = comparable_scores(data.draw(answers(earlier)), data.draw(answers(later)), crosswalk)
    other = comparable_scores(data.draw(answers(earlier)), data.draw(answers(later)), crosswalk)

    assert (one.compared, one.left_out) == (other.compared, other.left_out)
