"""One answer sheet per round, read the same way by the form, the round page, the report and the API.

The sheet loads a round once (its indicators less the optional dimensions left out, answers with
evidence counts, review items); "answered" and completeness have one definition (scoring.py)
that every page prints; a dimension nobody has started says so instead of scoring 0.
"""

import pytest
from django.urls import reverse

from assessments import scoring, services, slots
from assessments.models import Round
from assessments.scoring import DONT_KNOW, LEVEL, NOT_APPLICABLE, UNANSWERED, IndicatorInput
from assessments.sheet import SELF, VALIDATED, answer_sheet, round_scores
from indicators.models import Dimension
from reports.context import report_context
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db

API = "/api/v1/assessments/"


def codes(sheet) -> list[str]:
    return [indicator.code for indicator in sheet.indicators]


# --- the sheet -----------------------------------------------------------------------------------


def test_the_sheet_loads_a_round_in_three_queries_and_one_per_evidence_slot_with_its_answers_and_review_items(
    submitted, reviewer, django_assert_num_queries
):
    services.round_review(
        round=submitted,
        actor=reviewer,
        decisions={answer_sheet(submitted).indicators[0].pk: services.Decision(validated_level=1, comment="Low.")},
        action=services.ReviewAction.SAVE,
    )

    # indicators, answers with evidence counts, review items; and one query per app that keeps evidence of its
    # own (slots.OTHER_EVIDENCE: participation's consultations)
    with django_assert_num_queries(3 + len(slots.OTHER_EVIDENCE.fillers())):
        sheet = answer_sheet(submitted)
        scores = sheet.scores()
        hc01 = sheet.indicators[0]
        assert (hc01.code, hc01.dimension.code) == ("HC-01", "HC")
        assert sheet.answers[hc01.pk].evidence_count == 1
        assert sheet.reviews[hc01.pk].validated_level == 1

    assert len(sheet.indicators) == 36
    assert scores[VALIDATED].dimension("HC").score < scores[SELF].dimension("HC").score


def test_the_sheet_keeps_catalogue_order_and_leaves_out_the_optional_dimensions_left_out(draft):
    dc = Dimension.objects.get(version=draft.version, code="DC")
    draft.omitted_dimensions.add(dc)

    sheet = answer_sheet(draft)

    assert codes(sheet) == list(services.round_indicators(draft).values_list("code", flat=True))
    assert not any(code.startswith("DC-") for code in codes(sheet))
    assert [d.code for d in sheet.dimensions] == ["HC", "VC", "SP", "IN", "DE", "DC"]
    assert [d.code for d in sheet.left_out] == ["DC"]
    assert [d.code for d in sheet.scores()[SELF].dimensions] == ["HC", "VC", "SP", "IN", "DE"]


def test_round_scores_are_live_before_validation_and_the_snapshots_after(submitted, reviewer):
    assert round_scores(submitted) == submitted.scores()

    validated = services.round_review(
        round=submitted, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE
    )
    validated.review_items.update(validated_level=4)  # a change no page may show as a validated score
    validated = Round.objects.get(pk=validated.pk)

    assert round_scores(validated) == validated.snapshot.scores()
    assert round_scores(validated)[VALIDATED].headline == 50
    assert validated.scores()[VALIDATED].headline == 100


# --- one definition of answered and completeness ---------------------------------------------------


@pytest.mark.parametrize(
    ("responses", "answered", "dont_know", "completeness"),
    [
        pytest.param([LEVEL, LEVEL, DONT_KNOW, LEVEL], 3, 1, 3 / 4, id="dont-know-is-not-answered"),
        pytest.param([LEVEL, NOT_APPLICABLE, UNANSWERED, LEVEL], 3, 0, 2 / 3, id="na-is-answered-and-left-out"),
        pytest.param([UNANSWERED, UNANSWERED], 0, 0, 0, id="nothing-yet"),
    ],
)
def test_answered_counts_a_level_or_an_na_and_completeness_leaves_accepted_na_out(
    responses, answered, dont_know, completeness
):
    items = [
        IndicatorInput(code=f"X-{n}", response=r, level=2 if r == LEVEL else None) for n, r in enumerate(responses)
    ]

    progress = scoring.progress(items)

    assert (progress.answered, progress.dont_know, progress.completeness) == (answered, dont_know, completeness)
    assert progress.unanswered == len(responses) - answered - dont_know


def test_a_round_with_dont_know_answers_shows_the_same_answered_count_and_completeness_everywhere(client, draft, quito):
    answer_everything(draft, quito.editor)
    answer(draft, "HC-01", quito.editor, response="dk")
    answer(draft, "VC-02", quito.editor, response="dk")
    answer(draft, "HC-03", quito.editor, response="na", justification="No port.")
    client.force_login(quito.editor)

    page = client.get(reverse("round_detail", args=[draft.pk]))
    report = report_context(draft, "en", charts=None)
    detail = client.get(f"{API}{draft.pk}/").json()
    [listed] = [r for r in client.get(API).json()["results"] if r["id"] == draft.pk]

    # 36 indicators: 33 levels, 1 N/A (answered, not applicable), 2 don't know (not answered).
    hc = next(step for step in page.context["progress"] if step["dimension"].code == "HC")
    assert (hc["answered"], hc["dont_know"], hc["total"]) == (7, 1, 8)
    html = page.content.decode()
    assert "7 of 8 answered · 1 don't know" in html
    assert "34 of 36 indicators answered · 2 don't know · completeness 94%" in html
    official = report["official"]
    assert (official.answered, official.dont_know, official.indicators) == (34, 2, 36)
    assert official.completeness == 33 / 35 and official.completeness_percent == 94
    assert report["score_rows"][0]["official"].completeness_percent == 86  # HC: 6 of its 7 applicable
    assert '<td class="text-end">86%</td>' in html.split('id="scores"')[1]
    assert (listed["answered"], listed["indicator_total"]) == (34, 36)
    api_self = detail["scores"]["self"]
    assert (api_self["answered"], api_self["dont_know"], api_self["completeness"]) == (34, 2, 33 / 35)
    assert detail["scores"]["self"]["dimensions"][0]["completeness"] == 6 / 7


# --- a dimension nobody has started ----------------------------------------------------------------


def test_a_dimension_nobody_has_started_has_no_score_and_is_not_started():
    blank = scoring.DimensionInput("VC", True, tuple(IndicatorInput(code=f"VC-{n}") for n in range(6)))
    dont_know = scoring.DimensionInput("SP", True, (IndicatorInput(code="SP-1", response=DONT_KNOW),) * 2)

    not_started, started = scoring.dimension_score(blank), scoring.dimension_score(dont_know)

    assert (not_started.score, not_started.band, not_started.state) == (None, None, scoring.NOT_STARTED)
    assert (started.score, started.state) == (0, scoring.SCORED)  # don't know is a response: it scores 0
    assert scoring.headline([not_started, started]) is None


def test_the_form_the_round_page_the_draft_report_and_the_api_say_not_started_instead_of_zero(client, draft, quito):
    answer(draft, "HC-01", quito.editor, level=3, evidence_url="https://example.org/minutes.pdf")
    client.force_login(quito.editor)

    form = client.get(reverse("round_dimension", args=[draft.pk, "HC"])).content.decode()
    page = client.get(reverse("round_detail", args=[draft.pk])).content.decode()
    report = report_context(draft, "en", charts=None)
    html = client.get(reverse("report_preview", args=[draft.pk]), {"language": "en"}).content.decode()
    scores = client.get(f"{API}{draft.pk}/").json()["scores"]["self"]

    for body in (form, page):
        assert "Not started" in body
        assert "Self-assessed score 0" not in body and "0 · Initial" not in body
    vc = next(row for row in report["score_rows"] if row["dimension"].code == "VC")
    assert vc["self"].not_started and vc["self"].score is None
    assert "not started" in html and "0.0 <span" not in html
    api_vc = next(d for d in scores["dimensions"] if d["code"] == "VC")
    assert (api_vc["score"], api_vc["band"], api_vc["state"]) == (None, None, "not_started")
    api_hc = next(d for d in scores["dimensions"] if d["code"] == "HC")
    assert (api_hc["state"], api_hc["answered"]) == ("scored", 1)
