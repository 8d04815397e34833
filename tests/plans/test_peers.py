"""Examples from peers: how other authorities at level 3 or more describe their practice, never a word more.

Only the justifications of rounds validated *and* published with the authority's consent may be
shown to another city; a validated round without consent, a draft, a submitted or a returned round
must never leak a word, whatever its levels.
"""

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Answer, ReviewItem, Round
from indicators.models import CatalogueVersion, Indicator
from plans.suggestions import catalogue_examples, peer_examples
from tests.factories import AuthorityFactory, DimensionFactory, IndicatorFactory, UserFactory, VersionFactory
from tests.world import answer, make_city

pytestmark = pytest.mark.django_db


def _round(authority, period, *, status=Round.Status.VALIDATED, consent=True, version=None) -> Round:
    return Round.objects.create(
        authority=authority,
        version=version or CatalogueVersion.objects.current(),
        period=period,
        status=status,
        publication_consent=consent and status == Round.Status.VALIDATED,
        validated_at=timezone.now() if status == Round.Status.VALIDATED else None,
    )


def _answer(round, code, level, text, *, response="level", validated_level=None):
    indicator = Indicator.objects.get(version=round.version, code=code)
    Answer.objects.create(round=round, indicator=indicator, response=response, level=level, justification=text)
    if validated_level is not None:
        ReviewItem.objects.create(
            round=round,
            indicator=indicator,
            validated_level=validated_level,
            reviewer=UserFactory(username="rev"),
        )


def _peer(slug, period, code, level, text, **kwargs):
    validated_level = kwargs.pop("validated_level", None)
    response = kwargs.pop("response", "level")
    round = _round(AuthorityFactory(slug=slug, name=slug.title()), period, **kwargs)
    _answer(round, code, level, text, response=response, validated_level=validated_level)
    return round


def _hc(catalogue, *codes):
    return list(Indicator.objects.filter(version=catalogue, code__in=codes or ["HC-01"]))


def _texts(found, code="HC-01"):
    return [example.text for example in found[code]]


def test_a_published_peer_at_level_three_is_shown_with_its_name_period_and_validated_level(quito, catalogue):
    _peer("lima", "2024", "HC-01", 3, "  A council of twelve meets every quarter.  ", validated_level=3)

    found = peer_examples(_hc(catalogue), exclude_authority=quito.authority)

    [example] = found["HC-01"]
    assert (example.authority, example.period, example.level, example.text) == (
        "Lima",
        "2024",
        3,
        "A council of twelve meets every quarter.",
    )


@pytest.mark.parametrize(
    ("status", "consent"),
    [
        (Round.Status.VALIDATED, False),
        (Round.Status.DRAFT, False),
        (Round.Status.SUBMITTED, False),
        (Round.Status.RETURNED, False),
    ],
)
def test_no_text_of_a_round_without_consent_or_not_validated_ever_leaks(quito, catalogue, status, consent):
    secret = f"Secret practice of a {status} round."
    _peer("lima", "2024", "HC-01", 4, secret, status=status, consent=consent, validated_level=4)

    found = peer_examples(_hc(catalogue), exclude_authority=quito.authority)

    assert found == {"HC-01": []}


def test_the_reviewers_level_decides_not_the_citys(quito, catalogue):
    _peer("raised", "2024", "HC-01", 2, "Raised by the reviewer.", validated_level=4)
    _peer("lowered", "2024", "HC-01", 4, "Lowered by the reviewer.", validated_level=2)
    _peer("kept", "2024", "HC-01", 3, "Kept as the city said.")  # no review item: the city's level stands
    _peer("dontknow", "2024", "HC-01", None, "Don't know, raised.", response="dk", validated_level=3)

    found = peer_examples(_hc(catalogue), exclude_authority=quito.authority)

    assert {(e.authority, e.level) for e in found["HC-01"]} == {("Raised", 4), ("Kept", 3), ("Dontknow", 3)}


def test_below_level_three_empty_justifications_and_the_citys_own_rounds_are_not_examples(quito, catalogue):
    _peer("low", "2024", "HC-01", 2, "Only partial.", validated_level=2)
    _peer("blank", "2024", "HC-01", 4, "   ", validated_level=4)
    own = _round(quito.authority, "2023")
    _answer(own, "HC-01", 4, "Our own practice.", validated_level=4)

    assert peer_examples(_hc(catalogue), exclude_authority=quito.authority) == {"HC-01": []}


def test_an_indicator_of_a_left_out_dimension_is_not_an_example(quito, catalogue):
    round = _peer("lima", "2024", "DC-01", 4, "Answered, then left out.", validated_level=4)
    round.omitted_dimensions.add(Indicator.objects.get(version=catalogue, code="DC-01").dimension)

    assert peer_examples(_hc(catalogue, "DC-01"), exclude_authority=quito.authority) == {"DC-01": []}


def test_at_most_the_limit_newest_periods_first_and_one_round_per_authority(quito, catalogue):
    lima = AuthorityFactory(slug="lima", name="Lima")
    for period in ("2021", "2022", "2023"):
        _answer(_round(lima, period), "HC-01", 4, f"Lima in {period}.", validated_level=4)
    for slug, period in [("bogota", "2020"), ("cali", "2022"), ("quindio", "2019"), ("accra", "2022")]:
        _peer(slug, period, "HC-01", 3, f"{slug.title()} in {period}.", validated_level=3)

    found = peer_examples(_hc(catalogue), exclude_authority=quito.authority)
    assert _texts(found) == ["Lima in 2023.", "Accra in 2022.", "Cali in 2022."]
    assert _texts(peer_examples(_hc(catalogue), exclude_authority=quito.authority, limit=10)) == [
        "Lima in 2023.",
        "Accra in 2022.",
        "Cali in 2022.",
        "Bogota in 2020.",
        "Quindio in 2019.",
    ]


def test_peers_are_matched_by_code_across_catalogue_versions(quito, catalogue):
    other_version = VersionFactory(published=True)
    IndicatorFactory(dimension=DimensionFactory(version=other_version, code="HC"), code="HC-01")
    round = _round(AuthorityFactory(slug="lima", name="Lima"), "2026", version=other_version)
    _answer(round, "HC-01", 4, "In the next catalogue.", validated_level=4)

    assert _texts(peer_examples(_hc(catalogue), exclude_authority=quito.authority)) == ["In the next catalogue."]


@pytest.mark.parametrize("codes", [1, 36])
def test_peer_examples_take_one_query_for_any_number_of_indicators(quito, catalogue, django_assert_num_queries, codes):
    indicators = list(Indicator.objects.filter(version=catalogue).order_by("code")[:codes])
    for n in range(5):
        round = _round(AuthorityFactory(slug=f"peer-{n}"), "2024")
        for indicator in indicators:
            _answer(round, indicator.code, 3, f"Peer {n} on {indicator.code}.")

    with django_assert_num_queries(1):
        found = peer_examples(indicators, exclude_authority=quito.authority)

    assert len(found) == codes
    assert all(len(examples) == 3 for examples in found.values())


def test_a_round_validated_and_published_through_the_workflow_is_an_example(quito, catalogue, reviewer):
    """The validation writes the city's level into the review item when the reviewer kept it: still level 3."""
    lima = make_city("lima")
    round = services.round_create(authority=lima.authority, period="2024", actor=lima.approver)
    answer(round, "HC-01", lima.editor, level=3, justification="Kept at three.", evidence_url="https://example.org/a")
    Answer.objects.bulk_create(
        Answer(round=round, indicator=indicator, response=Answer.Response.DONT_KNOW)
        for indicator in services.round_indicators(round).exclude(code="HC-01")
    )
    services.round_submit(round=round, actor=lima.approver)
    services.round_review(round=round, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)
    hc01 = _hc(catalogue)

    assert peer_examples(hc01, exclude_authority=quito.authority) == {"HC-01": []}  # no consent yet
    services.round_set_consent(round=round, actor=lima.approver, consent=True)
    [example] = peer_examples(hc01, exclude_authority=quito.authority)["HC-01"]
    assert (example.authority, example.level, example.text) == ("Lima", 3, "Kept at three.")


def test_the_catalogues_own_examples_come_by_code_in_one_query(catalogue, django_assert_num_queries):
    indicators = _hc(catalogue, "HC-01", "HC-02")

    with django_assert_num_queries(1):
        found = catalogue_examples(indicators)

    assert set(found) == {"HC-01", "HC-02"}
    assert [e.place for e in found["HC-02"]] == ["Quito, Ecuador", "Naga City, Philippines"]
