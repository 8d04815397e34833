"""The roll-up of a region's municipalities: figures exactly, on rounds validated through the real workflow.

Region Laguna has five municipalities. In 2025:

- Alba answers every indicator at level 2; the reviewer raises VC-06 to 3. Shared.
- Bruma answers at level 3, leaving out the optional DC; the reviewer lowers IN-01 to 2. Shared.
- Cala answers at level 1 with IN-01 at 4 (left alone), and says three of DC's four indicators are
  not applicable (too few applicable: DC has no score). Shared.
- Duna answers at level 4 and is validated, but does not share: nothing of it counts.
- Eira shares a 2026 round that is only submitted: shared, not counted.

Alba also shares a validated 2024 round at level 4.

So, in 2025, per dimension (validated scores):

====  ========  ========  ==================  ======================
dim   Alba      Bruma     Cala                median
====  ========  ========  ==================  ======================
HC    50        75        25                  50
VC    54.17     75        25                  54.17 (13/6 × 25)
SP    50        75        25                  50
IN    50        71.43     35.71               50
DE    50        75        25                  50
DC    50        (left out)  no score          50
====  ========  ========  ==================  ======================

VC-06 at level 3 or more: Alba (raised to 3) and Bruma (3); IN-01: Cala only (4), not Bruma (lowered to 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Authority, Membership, Round
from indicators.models import Dimension, Indicator
from territories import rollup
from territories.rollup import BandCount, dimension_rollup, validated_level
from tests.factories import AuthorityFactory, MembershipFactory
from tests.territories.factories import RollupConsentFactory
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db

BANDS = ("initial", "emerging", "established", "advanced")


@dataclass
class Town:
    authority: Authority
    editor: object
    approver: object


def _town(name: str, parent: Authority) -> Town:
    authority = AuthorityFactory(name=name, slug=name.lower(), parent=parent)
    editor = MembershipFactory(authority=authority).user
    approver = MembershipFactory(authority=authority, role=Membership.Role.APPROVER).user
    return Town(authority, editor, approver)


def _round(
    town: Town,
    reviewer,
    period: str,
    level: int,
    *,
    levels: dict[str, int] | None = None,
    reviewed: dict[str, int] | None = None,
    not_applicable: tuple[str, ...] = (),
    leave_out: tuple[str, ...] = (),
    validate: bool = True,
    share: bool = True,
) -> Round:
    """A round answered through the services at ``level`` (``levels`` by code), submitted and (by default) validated."""
    round = services.round_create(authority=town.authority, period=period, actor=town.approver)
    for code in leave_out:
        dimension = Dimension.objects.get(version=round.version, code=code)
        services.round_dimension_toggle(round=round, dimension=dimension, actor=town.approver)
    answer_everything(round, town.editor, level=level)
    for code, value in (levels or {}).items():
        answer(round, code, town.editor, level=value)
    for code in not_applicable:
        answer(round, code, town.editor, response="na", justification="Nothing of the kind here.")
    round = services.round_submit(round=round, actor=town.approver)
    if validate:
        decisions = {
            Indicator.objects.get(version=round.version, code=code).pk: services.Decision(validated_level=value)
            for code, value in (reviewed or {}).items()
        }
        round = services.round_review(
            round=round, actor=reviewer, decisions=decisions, action=services.ReviewAction.VALIDATE
        )
    if share:
        RollupConsentFactory(round=round, given_by=town.approver)
    return round


@dataclass
class Laguna:
    region: Authority
    towns: dict[str, Town]
    rounds: dict[str, Round]
    member: object


@pytest.fixture
def laguna(catalogue, reviewer) -> Laguna:
    region = AuthorityFactory(name="Laguna", slug="laguna", kind=Authority.Kind.REGION)
    member = MembershipFactory(authority=region).user
    towns = {name: _town(name, region) for name in ("Alba", "Bruma", "Cala", "Duna", "Eira")}
    rounds = {
        "alba": _round(towns["Alba"], reviewer, "2025", 2, reviewed={"VC-06": 3}),
        "bruma": _round(towns["Bruma"], reviewer, "2025", 3, reviewed={"IN-01": 2}, leave_out=("DC",)),
        "cala": _round(
            towns["Cala"],
            reviewer,
            "2025",
            1,
            levels={"IN-01": 4},
            not_applicable=("DC-01", "DC-02", "DC-03"),
        ),
        "duna": _round(towns["Duna"], reviewer, "2025", 4, share=False),
        "eira": _round(towns["Eira"], reviewer, "2026", 4, validate=False),
        "alba 2024": _round(towns["Alba"], reviewer, "2024", 4),
    }
    return Laguna(region, towns, rounds, member)


def _bands(**counts: int) -> tuple[int, ...]:
    return tuple(counts.get(band, 0) for band in BANDS)


def test_the_rollup_of_2025_has_the_figures_of_the_validated_shared_rounds_exactly(laguna):
    result = rollup.region_rollup(laguna.region)

    assert result.period == "2025"  # the latest period with a validated shared round (2026 is only submitted)
    assert result.periods == ("2026", "2025", "2024")
    by_code = {d.code: d for d in result.dimensions}
    assert list(by_code) == ["HC", "VC", "SP", "IN", "DE", "DC"]
    expected = {
        # code: (municipalities, bands, no score, median)
        "HC": (3, _bands(emerging=1, established=1, advanced=1), 0, 50),
        "VC": (3, _bands(emerging=1, established=1, advanced=1), 0, 13 / 6 * 25),
        "SP": (3, _bands(emerging=1, established=1, advanced=1), 0, 50),
        "IN": (3, _bands(emerging=1, established=2), 0, 50),
        "DE": (3, _bands(emerging=1, established=1, advanced=1), 0, 50),
        "DC": (2, _bands(established=1), 1, 50),
    }
    for code, (municipalities, bands, unscored, median) in expected.items():
        dimension = by_code[code]
        assert dimension.municipalities == municipalities, code
        assert tuple(b.count for b in dimension.bands) == bands, code
        assert dimension.unscored == unscored, code
        assert dimension.median == pytest.approx(median), code
    assert by_code["VC"].name == "Vertical coherence"

    # Coordination bodies and migration units: the validated levels, the reviewer's where they set one.
    towns = {m.authority.name: m for m in result.municipalities}

    assert list(towns) == ["Alba", "Bruma", "Cala", "Duna", "Eira"]  # every municipality, by name
    levels = {name: (m.coordination_level, m.unit_level) for name, m in towns.items() if m.counted}
    assert levels == {"Alba": (3, 2), "Bruma": (3, 2), "Cala": (1, 4)}
    assert [n for n, m in towns.items() if m.has_coordination_body] == ["Alba", "Bruma"]
    assert [n for n, m in towns.items() if m.has_migration_unit] == ["Cala"]
    assert (result.counted, result.coordination_bodies, result.migration_units) == (3, 2, 1)
    # Duna validated but shares nothing; Eira shares a round that is not validated yet.
    assert (towns["Duna"].shared, towns["Duna"].round, towns["Duna"].coordination_level) == (False, None, None)
    assert towns["Eira"].shared is False  # its shared round is of 2026, not of 2025
    assert towns["Alba"].round.pk == laguna.rounds["alba"].pk  # the 2025 round, not the 2024 one


def test_another_period_counts_only_its_own_rounds(laguna):
    older = rollup.region_rollup(laguna.region, "2024")
    assert [m.authority.name for m in older.municipalities if m.counted] == ["Alba"]
    assert {d.code: d.median for d in older.dimensions}["HC"] == 100
    assert older.coordination_bodies == 1 and older.migration_units == 1

    later = rollup.region_rollup(laguna.region, "2026")
    eira = next(m for m in later.municipalities if m.authority.name == "Eira")
    assert eira.shared and not eira.counted
    assert later.dimensions == () and later.counted == 0


def test_withdrawn_consent_leaves_the_rollup_at_once(laguna):
    from territories import services as territory_services

    territory_services.rollup_consent_withdraw(round=laguna.rounds["bruma"], actor=laguna.towns["Bruma"].approver)

    result = rollup.region_rollup(laguna.region)
    assert result.counted == 2
    assert {d.code: d.median for d in result.dimensions}["HC"] == pytest.approx(37.5)
    assert [m.authority.name for m in result.municipalities if m.has_coordination_body] == ["Alba"]


def test_the_page_shows_the_figures_and_names_what_is_not_shared(client, laguna):
    client.force_login(laguna.member, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(reverse("region_rollup", args=["laguna"])).content.decode()

    vc_row = html.split('<th scope="row">VC', 1)[1].split("</tr>", 1)[0]
    cells = [cell.split(">", 1)[1].split("<", 1)[0] for cell in vc_row.split("<td")[1:]]
    assert cells == ["3", "0", "1", "1", "1", "0", "54.2"]
    dc_row = html.split('<th scope="row">DC', 1)[1].split("</tr>", 1)[0]
    assert [cell.split(">", 1)[1].split("<", 1)[0] for cell in dc_row.split("<td")[1:]] == [
        "2",
        "0",
        "0",
        "1",
        "0",
        "1",
        "50",
    ]
    duna = html.split('<th scope="row">Duna</th>', 1)[1].split("</tr>", 1)[0]
    assert "Not shared" in duna and "level" not in duna
    cala = html.split('<th scope="row">Cala</th>', 1)[1].split("</tr>", 1)[0]
    assert reverse("region_round", args=["laguna", laguna.rounds["cala"].pk]) in cala
    assert "(level 4)" in cala and "(level 1)" in cala
    summary = html.split('id="rollup-summary"', 1)[1].split("</dl>", 1)[0]
    assert "3 of 5" in summary and "2 of 3" in summary and "1 of 3" in summary

    # Alba's round, read-only: the city's level beside the one the reviewer raised it to.
    alba = client.get(reverse("region_round", args=["laguna", laguna.rounds["alba"].pk])).content.decode()
    vc06 = alba.split('id="indicator-VC-06"', 1)[1].split("</article>", 1)[0]
    answer_given, validated = vc06.split("Validated level", 1)
    assert "2 · Partial" in answer_given and "3 · Operational" in validated
    hc01 = alba.split('id="indicator-HC-01"', 1)[1].split("</article>", 1)[0]
    assert "As answered" in hc01 and "https://example.org/minutes.pdf" in hc01

    html = client.get(reverse("region_rollup", args=["laguna"]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'lang="es"' in html
    assert "Coherencia vertical" in html  # the dimension's name from the catalogue, in the active language


# --- the pure pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "municipalities", "counts", "unscored", "median"),
    [
        ([], 0, (0, 0, 0, 0), 0, None),
        ([(None, "")], 1, (0, 0, 0, 0), 1, None),
        ([(10.0, "initial"), (80.0, "advanced")], 2, (1, 0, 0, 1), 0, 45.0),
        ([(25.0, "emerging"), (50.0, "established"), (None, ""), (75.0, "advanced")], 4, (0, 1, 1, 1), 1, 50.0),
    ],
)
def test_a_dimension_rolls_up_the_frozen_scores_and_bands_it_is_given(scores, municipalities, counts, unscored, median):
    result = dimension_rollup("HC", "Horizontal coherence", scores)
    assert result.municipalities == municipalities
    assert tuple(b.count for b in result.bands) == counts
    assert [b.band for b in result.bands] == list(BANDS)
    assert result.unscored == unscored
    assert result.median == median
    assert isinstance(result.bands[0], BandCount)


@pytest.mark.parametrize(
    ("answer", "reviewed", "expected"),
    [
        (("level", 2), None, 2),  # the city's level stands when the reviewer left it alone
        (("level", 2), 3, 3),  # the reviewer's level replaces it
        (("level", 4), 1, 1),
        (("na", None), None, None),  # no level
        (("dk", None), None, None),
        (None, None, None),  # no answer at all
        (None, 3, 3),  # the reviewer set a level where the city gave none
        (("na", None), 2, 2),
    ],
)
def test_the_validated_level_is_the_reviewers_when_set_else_the_citys(answer, reviewed, expected):
    assert validated_level(answer, reviewed) == expected


@pytest.mark.parametrize(
    ("shared", "expected"),
    [
        ([], None),
        ([("2024", "draft")], "2024"),
        ([("2024", "validated"), ("2026", "submitted")], "2024"),
        ([("2024", "validated"), ("2025", "validated"), ("2026", "draft")], "2025"),
    ],
)
def test_the_default_period_is_the_latest_with_a_validated_shared_round(shared, expected):
    assert rollup.default_period(shared) == expected


def test_reaching_is_level_three_or_more():
    assert [rollup.reaches(level) for level in (None, 0, 1, 2, 3, 4)] == [False, False, False, False, True, True]
