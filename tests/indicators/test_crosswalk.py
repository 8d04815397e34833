"""The crosswalk of a new edition: each kind through the services, the rules publishing checks, the
database's own constraints, and the crosswalk between editions read back from the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from indicators import services
from indicators.crosswalk import Crosswalk, Link
from indicators.models import CatalogueVersion, Indicator
from tests.factories import IndicatorFactory
from tests.indicators.editions import second_edition

pytestmark = pytest.mark.django_db


def kinds(version: CatalogueVersion) -> dict[str, tuple[str, list[str]]]:
    return {
        i.code: (i.crosswalk, [p.code for p in i.predecessors])
        for i in Indicator.objects.filter(version=version)
        .select_related("derived_from")
        .prefetch_related("merged_from")
    }


def test_a_first_edition_has_no_crosswalk(catalogue):
    assert {kind for kind, _predecessors in kinds(catalogue).values()} == {""}
    assert services.version_crosswalk_problems(catalogue) == []


def test_a_new_draft_continues_every_indicator_as_the_same_and_can_be_published(catalogue):
    draft = services.version_copy_to_draft(version=catalogue)

    assert {code: value for code, value in kinds(draft).items()} == {
        code: ("same", [code]) for code in kinds(catalogue)
    }
    assert services.version_problems(draft) == []


def test_each_crosswalk_kind_through_the_services(catalogue):
    edition = second_edition(catalogue)

    recorded = kinds(edition)
    assert recorded["HC-01"] == ("same", ["HC-01"])
    assert recorded["HC-03"] == recorded["HC-09"] == ("split", ["HC-03"])
    assert recorded["VC-05"] == ("merged", ["VC-05", "VC-06"])
    assert "VC-06" not in recorded
    assert recorded["SP-07"] == ("new", [])
    assert list(edition.retired.values_list("code", flat=True)) == ["DE-05"]
    assert edition.status == CatalogueVersion.Status.PUBLISHED


def test_publishing_is_refused_with_what_is_not_accounted_for(catalogue):
    draft = second_edition(catalogue, publish=False)
    Indicator.objects.get(version=draft, code="IN-07").delete()
    Indicator.objects.get(version=draft, code="DC-04").delete()

    with pytest.raises(ValidationError) as refused:
        services.version_publish(version=draft)

    [message] = [m for m in refused.value.messages if "accounted" in m]
    assert message.startswith("Not accounted for: IN-07, DC-04.")
    assert "continued (same, split or merged) or retired" in message
    draft.refresh_from_db()
    assert draft.status == CatalogueVersion.Status.DRAFT


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("split_alone", "HC-03 is split into only one indicator (HC-03); mark it “same”."),
        ("retired_and_mapped", "HC-01 is both retired and continued by HC-01."),
        ("same_and_split", "HC-02 is continued in more than one way (HC-02, HC-09)"),
        ("merged_twice", "HC-04 is merged into more than one indicator (HC-04, HC-05)."),
        ("no_kind", "HC-09 needs a crosswalk kind: same, split, merged or new."),
    ],
)
def test_the_rules_publishing_checks(catalogue, change, expected):
    draft = services.version_copy_to_draft(version=catalogue)
    copies = {i.code: i for i in Indicator.objects.filter(version=draft).select_related("version", "dimension")}
    old = {i.code: i for i in Indicator.objects.filter(version=catalogue)}
    if change == "split_alone":
        services.indicator_crosswalk_set(indicator=copies["HC-03"], kind="split", predecessors=[old["HC-03"]])
    elif change == "retired_and_mapped":
        services.version_retired_set(version=draft, indicators=[old["HC-01"]])
    elif change == "same_and_split":
        extra = IndicatorFactory(dimension=copies["HC-02"].dimension, code="HC-09", order=9, complete=True)
        services.indicator_crosswalk_set(indicator=extra, kind="split", predecessors=[old["HC-02"]])
    elif change == "merged_twice":
        for code in ("HC-04", "HC-05"):
            services.indicator_crosswalk_set(
                indicator=copies[code],
                kind="merged",
                predecessors=[old["HC-04"], old[code if code != "HC-04" else "HC-06"]],
            )
    elif change == "no_kind":
        IndicatorFactory(dimension=copies["HC-02"].dimension, code="HC-09", complete=True)

    assert expected in " ".join(services.version_problems(draft))
    with pytest.raises(ValidationError):
        services.version_publish(version=draft)


def test_setting_a_crosswalk_checks_its_shape_and_where_its_predecessors_come_from(catalogue):
    draft = services.version_copy_to_draft(version=catalogue)
    other = services.version_copy_to_draft(version=catalogue)
    hc01 = Indicator.objects.select_related("version").get(version=draft, code="HC-01")
    old = {i.code: i for i in Indicator.objects.filter(version=catalogue)}

    cases = [
        ("merged", [old["HC-01"]], "two or more"),
        ("same", [old["HC-01"], old["HC-02"]], "exactly one"),
        ("new", [old["HC-01"]], "continues no indicator"),
        ("same", [Indicator.objects.get(version=other, code="HC-01")], "not an indicator of the edition"),
        ("reworded", [old["HC-01"]], "Choose a crosswalk kind"),
        ("same", [old["HC-02"]], "HC-02 is the “same” as more than one indicator \\(HC-02, HC-01\\)"),
    ]
    for kind, predecessors, reason in cases:
        with pytest.raises(ValidationError, match=reason):
            services.indicator_crosswalk_set(indicator=hc01, kind=kind, predecessors=predecessors)
    with pytest.raises(ValidationError, match="based on no earlier edition"):
        first_edition_draft = IndicatorFactory()
        services.indicator_crosswalk_set(indicator=first_edition_draft, kind="same", predecessors=[old["HC-01"]])
    with pytest.raises(ValidationError, match="Not indicators of the edition"):
        services.version_retired_set(version=draft, indicators=[Indicator.objects.get(version=other, code="HC-01")])


def test_a_published_edition_never_changes_its_crosswalk(catalogue):
    edition = second_edition(catalogue)
    with pytest.raises(services.CatalogueLocked):
        services.indicator_crosswalk_set(
            indicator=Indicator.objects.select_related("version").get(version=edition, code="SP-07"),
            kind="new",
            predecessors=[],
        )
    with pytest.raises(services.CatalogueLocked):
        services.version_retired_set(version=edition, indicators=[])


def test_the_database_holds_what_one_row_can_say(catalogue):
    draft = services.version_copy_to_draft(version=catalogue)
    hc01, hc02 = (Indicator.objects.get(version=draft, code=code) for code in ("HC-01", "HC-02"))

    for kind in ("new", "merged", ""):  # none of these has a single predecessor
        with transaction.atomic(), pytest.raises(IntegrityError):
            Indicator.objects.filter(pk=hc01.pk).update(crosswalk=kind)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Indicator.objects.filter(pk=hc01.pk).update(derived_from=None)  # "same" needs its predecessor
    with transaction.atomic(), pytest.raises(IntegrityError):
        Indicator.objects.filter(pk=hc02.pk).update(derived_from=hc01.derived_from_id)  # "same" as HC-01 twice


# --- the crosswalk between editions, from the database --------------------------------------------


def test_the_crosswalk_between_two_editions(catalogue, django_assert_max_num_queries):
    edition = second_edition(catalogue)

    with django_assert_max_num_queries(3):
        crosswalk = CatalogueVersion.objects.crosswalk(catalogue, edition)

    links = {link.old: link for link in crosswalk.links}
    assert links[("HC-01",)] == Link(("HC-01",), ("HC-01",))
    assert links[("HC-03",)] == Link(("HC-03",), ("HC-03", "HC-09"))
    assert links[("HC-03",)].kind == "split"
    assert links[("VC-05", "VC-06")] == Link(("VC-05", "VC-06"), ("VC-05",))
    assert links[("VC-05", "VC-06")].kind == "merged"
    assert (crosswalk.retired, crosswalk.added) == (("DE-05",), ("SP-07",))
    assert len(crosswalk.links) == 36 - 2  # VC-05 and VC-06 in one link, DE-05 retired
    assert crosswalk.mapping["HC-03"] == (("HC-03", "split"), ("HC-09", "split"))
    assert crosswalk.mapping["DE-05"] == ()
    assert CatalogueVersion.objects.crosswalk(edition, catalogue) == crosswalk.inverted()


def test_one_edition_crosswalks_to_itself(catalogue):
    crosswalk = CatalogueVersion.objects.crosswalk(catalogue, catalogue)
    assert crosswalk.is_identity
    assert len(crosswalk.links) == 36


def test_editions_further_apart_compose(catalogue):
    second = second_edition(catalogue)
    third = services.version_copy_to_draft(version=second)
    copies = {i.code: i for i in Indicator.objects.filter(version=third).select_related("version")}
    old = {i.code: i for i in Indicator.objects.filter(version=second)}
    # v3 merges the two halves of HC-03 back, and splits HC-01.
    services.indicator_crosswalk_set(
        indicator=copies["HC-03"], kind="merged", predecessors=[old["HC-03"], old["HC-09"]]
    )
    copies["HC-09"].delete()
    services.indicator_crosswalk_set(indicator=copies["HC-01"], kind="split", predecessors=[old["HC-01"]])
    half = IndicatorFactory(
        dimension=copies["HC-01"].version.dimensions.get(code="HC"), code="HC-10", order=10, complete=True
    )
    services.indicator_crosswalk_set(indicator=half, kind="split", predecessors=[old["HC-01"]])
    third = services.version_publish(version=third)

    crosswalk = CatalogueVersion.objects.crosswalk(catalogue, third)

    links = {link.old: link for link in crosswalk.links}
    assert links[("HC-03",)] == Link(("HC-03",), ("HC-03",))  # split then merged back: the same again
    assert links[("HC-01",)].new == ("HC-01", "HC-10")
    assert links[("VC-05", "VC-06")].new == ("VC-05",)
    assert (crosswalk.retired, crosswalk.added) == (("DE-05",), ("SP-07",))
    # The same, step by step.
    step_by_step = CatalogueVersion.objects.crosswalk(catalogue, second).then(
        CatalogueVersion.objects.crosswalk(second, third)
    )
    assert set(step_by_step.links) == set(crosswalk.links)


def test_editions_on_two_branches_meet_at_their_common_ancestor(catalogue):
    second = second_edition(catalogue)
    branch = services.version_copy_to_draft(version=catalogue)  # another edition based on v1
    Indicator.objects.get(version=branch, code="DE-05").delete()
    services.version_retired_set(version=branch, indicators=[Indicator.objects.get(version=catalogue, code="DE-05")])

    crosswalk = CatalogueVersion.objects.crosswalk(second, branch)

    links = {link.old: link for link in crosswalk.links}
    assert links[("HC-03", "HC-09")] == Link(("HC-03", "HC-09"), ("HC-03",))
    assert links[("VC-05",)] == Link(("VC-05",), ("VC-05", "VC-06"))
    assert crosswalk.retired == ("SP-07",)
    assert crosswalk.added == ()


# --- the pure value ---------------------------------------------------------------------------------


def test_link_kinds_follow_their_sides():
    assert [
        Link(o, n).kind
        for o, n in [(("A",), ("A",)), (("A",), ("B", "C")), (("A", "B"), ("C",)), (("A", "B"), ("C", "D"))]
    ] == [
        "same",
        "split",
        "merged",
        "regrouped",
    ]


def test_a_crosswalk_from_what_the_later_edition_records():
    crosswalk = Crosswalk.from_predecessors(
        ["A", "B", "C", "D"], {"A": ["A"], "B1": ["B"], "B2": ["B"], "CD": ["C", "D"], "N": []}
    )
    assert crosswalk == Crosswalk(
        links=(Link(("A",), ("A",)), Link(("B",), ("B1", "B2")), Link(("C", "D"), ("CD",))), retired=(), added=("N",)
    )
    assert crosswalk.inverted().inverted() == crosswalk
    assert not crosswalk.is_identity and Crosswalk.identity("AB").is_identity
