"""Validating a round freezes both score sets; later changes never reach the frozen numbers."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import scoring, services
from assessments.models import ReviewItem, Round, ScoreSnapshot, SnapshotDimension
from indicators import services as catalogue_services
from indicators.models import Indicator
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db


def indicator(round: Round, code: str) -> Indicator:
    return Indicator.objects.get(version=round.version, code=code)


def validate(round: Round, reviewer, **decisions: services.Decision) -> Round:
    """Validate the round as the reviewer, with decisions keyed by indicator code."""
    return services.round_review(
        round=round,
        actor=reviewer,
        decisions={indicator(round, code).pk: decision for code, decision in decisions.items()},
        action=services.ReviewAction.VALIDATE,
    )


def stored(snapshot: ScoreSnapshot) -> dict[str, dict[str, float | None]]:
    """The snapshot's dimension scores as read back from the database: score set → code → score."""
    rows = SnapshotDimension.objects.filter(snapshot=snapshot)
    sets: dict[str, dict[str, float | None]] = {}
    for row in rows:
        sets.setdefault(row.score_set, {})[row.dimension] = row.score
    return sets


def frozen(snapshot: ScoreSnapshot) -> dict:
    """Everything the snapshot stores, read afresh from the database."""
    snapshot = ScoreSnapshot.objects.get(pk=snapshot.pk)
    rows = SnapshotDimension.objects.filter(snapshot=snapshot).order_by("score_set", "dimension")
    return {
        "version": snapshot.version_id,
        "weights": snapshot.weights,
        "data": snapshot.data,
        "headlines": (snapshot.self_headline, snapshot.validated_headline, snapshot.validated_band),
        "shares": (snapshot.completeness, snapshot.evidence_coverage),
        "rows": [
            (r.score_set, r.dimension, r.core, r.score, r.band, r.completeness, r.evidence_coverage) for r in rows
        ],
    }


def test_validating_a_round_stores_one_snapshot_of_both_score_sets_as_they_are(submitted, reviewer):
    round = validate(submitted, reviewer)
    scores = round.scores()

    snapshot = ScoreSnapshot.objects.get(round=round)
    assert ScoreSnapshot.objects.count() == 1
    assert snapshot.version == round.version
    weights = Indicator.objects.filter(version=round.version).values_list("code", "weight")
    assert snapshot.weights == {code: str(weight) for code, weight in weights}
    assert len(snapshot.weights) == 36 and set(snapshot.weights.values()) == {"1.00"}

    assert set(snapshot.data) == {"self", "validated"}
    for name, score in scores.items():
        assert snapshot.data[name]["headline"] == score.headline
        assert [d["score"] for d in snapshot.data[name]["dimensions"]] == [d.score for d in score.dimensions]
    assert snapshot.self_headline == scores["self"].headline == 50
    assert snapshot.validated_headline == scores["validated"].headline == 50
    assert snapshot.validated_band == scores["validated"].band == "established"
    assert snapshot.completeness == scores["validated"].completeness == 1
    assert snapshot.evidence_coverage == scores["validated"].evidence_coverage == 1

    rows = {(row.score_set, row.dimension): row for row in snapshot.dimensions.all()}
    assert len(rows) == 6 * 2
    for name, score in scores.items():
        for dimension in score.dimensions:
            row = rows[(name, dimension.code)]
            assert (row.core, row.score, row.band, row.completeness, row.evidence_coverage) == (
                dimension.core,
                dimension.score,
                dimension.band or "",
                dimension.completeness,
                dimension.evidence_coverage,
            )


def test_the_validated_set_uses_the_level_the_reviewer_set(submitted, reviewer):
    round = validate(submitted, reviewer, **{"HC-01": services.Decision(validated_level=0, comment="No minutes.")})

    snapshot = ScoreSnapshot.objects.get(round=round)
    scores = stored(snapshot)
    assert scores["self"]["HC"] == 50
    assert scores["validated"]["HC"] == 7 * 50 / 8
    assert scores["validated"]["HC"] < scores["self"]["HC"]
    assert scores["validated"]["VC"] == scores["self"]["VC"] == 50
    assert snapshot.validated_headline < snapshot.self_headline
    # Levels the reviewer left alone are validated as the city gave them.
    assert ReviewItem.objects.get(round=round, indicator__code="HC-01").validated_level == 0
    assert ReviewItem.objects.get(round=round, indicator__code="HC-02").validated_level == 2


def test_a_rejected_na_counts_zero_when_validated_but_the_citys_na_is_left_out_of_its_own_set(draft, quito, reviewer):
    answer_everything(draft, quito.editor)
    answer(draft, "HC-03", quito.editor, response="na", justification="The city has no port.")
    answer(draft, "HC-04", quito.editor, response="na", justification="No airport either.")
    services.round_submit(round=draft, actor=quito.approver)

    round = validate(draft, reviewer, **{"HC-03": services.Decision(na_accepted=False, comment="There is a port.")})

    snapshot = ScoreSnapshot.objects.get(round=round)
    hc = {d["code"]: d for d in snapshot.data["self"]["dimensions"]}["HC"]
    validated_hc = {d["code"]: d for d in snapshot.data["validated"]["dimensions"]}["HC"]
    assert (hc["applicable"], hc["score"]) == (6, 50)  # both N/A left out
    assert (validated_hc["applicable"], validated_hc["score"]) == (7, 6 * 50 / 7)  # HC-03 counts 0, HC-04 out
    assert stored(snapshot)["validated"]["HC"] == 6 * 50 / 7
    assert ReviewItem.objects.get(round=round, indicator__code="HC-03").na_accepted is False
    assert ReviewItem.objects.get(round=round, indicator__code="HC-04").na_accepted is True


def test_a_new_catalogue_version_with_other_weights_leaves_the_snapshot_unchanged(submitted, reviewer):
    round = validate(submitted, reviewer, **{"HC-01": services.Decision(validated_level=0, comment="No minutes.")})
    snapshot = ScoreSnapshot.objects.get(round=round)
    before = frozen(snapshot)

    new_version = catalogue_services.version_copy_to_draft(version=round.version)
    heavier = Indicator.objects.get(version=new_version, code="HC-02")
    heavier.weight = Decimal("3")
    heavier.save(update_fields=["weight"])
    catalogue_services.version_publish(version=new_version)

    assert frozen(snapshot) == before
    assert before["weights"]["HC-02"] == "1.00"


def test_changing_a_review_item_after_validation_leaves_the_snapshot_unchanged(submitted, reviewer):
    round = validate(submitted, reviewer, **{"HC-01": services.Decision(validated_level=0, comment="No minutes.")})
    snapshot = ScoreSnapshot.objects.get(round=round)
    before = frozen(snapshot)

    ReviewItem.objects.filter(round=round, indicator__code="HC-01").update(validated_level=4)

    assert round.scores()["validated"].dimension("HC").score == 9 * 50 / 8  # the live score moved
    assert frozen(snapshot) == before
    assert stored(snapshot)["validated"]["HC"] == 7 * 50 / 8


def test_taking_a_second_snapshot_of_a_validated_round_is_refused(submitted, reviewer):
    round = validate(submitted, reviewer)

    with pytest.raises(services.WorkflowError):
        services.snapshot_take(round=round)
    assert ScoreSnapshot.objects.filter(round=round).count() == 1


def test_a_round_that_is_not_validated_has_no_snapshot_and_cannot_take_one(submitted):
    with pytest.raises(services.WorkflowError):
        services.snapshot_take(round=submitted)
    assert not ScoreSnapshot.objects.exists()


def test_validating_a_round_at_level_four_with_weights_of_one_tenth_stores_a_score_of_100(catalogue, quito, reviewer):
    new_version = catalogue_services.version_copy_to_draft(version=catalogue)
    Indicator.objects.filter(version=new_version, code__in=["HC-07", "HC-08"]).update(weight=Decimal("0.10"))
    catalogue_services.version_publish(version=new_version)
    round = services.round_create(authority=quito.authority, period="2026", actor=quito.approver)
    assert round.version == new_version
    answer_everything(round, quito.editor, level=4)
    services.round_submit(round=round, actor=quito.approver)

    round = validate(round, reviewer)

    assert stored(ScoreSnapshot.objects.get(round=round))["validated"]["HC"] == 100


# --- the scoring rules' version, and the snapshot as the only validated scores ---------------------


def test_a_snapshot_records_the_version_of_the_scoring_rules_it_was_made_with(submitted, reviewer):
    round = validate(submitted, reviewer)

    snapshot = ScoreSnapshot.objects.get(round=round)
    assert snapshot.rules_version == scoring.RULES_VERSION == 2
    assert snapshot.data["validated"]["answered"] == 36


def test_a_snapshot_of_the_first_rules_version_reads_back_without_the_counts_it_never_recorded(submitted, reviewer):
    round = validate(submitted, reviewer)
    snapshot = ScoreSnapshot.objects.get(round=round)
    for score_set in snapshot.data.values():  # as version 1 stored them
        del score_set["indicators"], score_set["answered"], score_set["dont_know"]
        for dimension in score_set["dimensions"]:
            del dimension["answered"], dimension["dont_know"]
    ScoreSnapshot.objects.filter(pk=snapshot.pk).update(rules_version=1, data=snapshot.data)

    scores = ScoreSnapshot.objects.get(pk=snapshot.pk).scores()

    hc = scores["validated"].dimension("HC")
    assert (hc.score, hc.state, hc.answered, hc.completeness_percent) == (50, scoring.SCORED, None, 100)
    assert (scores["validated"].headline, scores["validated"].answered) == (50, None)


def test_the_round_page_shows_the_frozen_self_assessed_and_validated_scores_side_by_side(
    client, submitted, reviewer, quito
):
    round = validate(submitted, reviewer, **{"HC-01": services.Decision(validated_level=0, comment="No minutes.")})
    ReviewItem.objects.filter(round=round, indicator__code="HC-02").update(validated_level=4)  # after validation
    client.force_login(quito.editor)

    response = client.get(reverse("round_detail", args=[round.pk]))

    rows = {row["code"]: row for row in response.context["score_rows"]}
    assert (rows["HC"]["self"].score, rows["HC"]["validated"].score) == (50, 7 * 50 / 8)
    assert rows["HC"]["gap"] == 7 * 50 / 8 - 50
    assert response.context["validated_scores"].headline == ScoreSnapshot.objects.get(round=round).validated_headline
    scores = " ".join(response.content.decode().split('id="scores"')[1].split("</section>")[0].split())
    assert "Validated" in scores and "Gap" in scores and "scoring rules version 2" in scores
    assert "<td>50 · Established</td> <td>44 · Emerging</td>" in scores  # HC: self, then validated
    assert "47 · Emerging" not in scores  # the live score the later change would give HC


def test_before_validation_the_round_page_shows_live_self_assessed_scores_only(client, submitted, quito):
    client.force_login(quito.editor)

    response = client.get(reverse("round_detail", args=[submitted.pk]))

    assert not response.context["scores_frozen"] and response.context["validated_scores"] is None
    scores = response.content.decode().split('id="scores"')[1].split("</section>")[0]
    assert "<td>50 · Established</td>" in scores and "Gap" not in scores
