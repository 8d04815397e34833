"""The report's executive summary: movement, strongest and weakest, priorities with examples, peers, and the layout.

Quito's 2025 round is answered at level 2 throughout (headline 50). Peers are other authorities'
validated rounds with a snapshot made directly (only their headline and date are read).
"""

import io
from dataclasses import asdict, replace
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from assessments import scoring
from assessments import services as assessment_services
from assessments.models import Authority, Round, ScoreSnapshot
from assessments.sheet import SELF, VALIDATED, answer_sheet, round_scores
from indicators.models import Indicator, IndicatorExample
from plans import services as plan_services
from reports import services
from reports.context import report_context, report_facts
from reports.rendering import data_image, html_to_pdf
from reports.summary import COMPARED, FIRST, NOT_COMPARABLE, executive_summary, summary_inputs
from tests.factories import AuthorityFactory, RoundFactory, VersionFactory
from tests.world import answer, answer_everything

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _loaded(round: Round) -> Round:
    return Round.objects.select_related("authority", "version").get(pk=round.pk)


def _summary(round: Round):
    round = _loaded(round)
    sheet = answer_sheet(round)
    return executive_summary(round, sheet, round_scores(round, sheet))


def _validate(round: Round, approver, reviewer) -> Round:
    assessment_services.round_submit(round=round, actor=approver)
    return assessment_services.round_review(
        round=round, actor=reviewer, decisions={}, action=assessment_services.ReviewAction.VALIDATE
    )


def _earlier(quito, reviewer, level: int) -> Round:
    """Quito's 2023 round, validated at ``level`` throughout."""
    round = assessment_services.round_create(authority=quito.authority, period="2023", actor=quito.approver)
    answer_everything(round, quito.editor, level=level)
    return _validate(round, quito.approver, reviewer)


def _peer(
    headline: float | None,
    *,
    kind=Authority.Kind.MUNICIPALITY,
    consent=True,
    period="2025",
    version=None,
    authority=None,
) -> ScoreSnapshot:
    """Another authority's validated round with a frozen headline (published when ``consent``)."""
    authority = authority or AuthorityFactory(kind=kind)
    round = RoundFactory(authority=authority, period=period)
    Round.objects.filter(pk=round.pk).update(
        status=Round.Status.VALIDATED,
        validated_at=timezone.now(),
        publication_consent=consent,
        **({"version": version} if version else {}),
    )
    return ScoreSnapshot.objects.create(
        round=round,
        version_id=version.pk if version else round.version_id,
        weights={},
        data={},
        validated_headline=headline,
        validated_band="",
    )


# --- movement since the last validated round ------------------------------------------------------------------


def test_movement_up_since_the_last_validated_round_for_the_headline_and_each_dimension(validated, quito, reviewer):
    _earlier(quito, reviewer, level=1)  # headline 25

    summary = _summary(validated)

    assert summary.movement.state == COMPARED and summary.movement.previous_period == "2023"
    assert (summary.movement.previous_headline, summary.movement.change, summary.movement.direction) == (25, 25, "up")
    assert {(d.code, d.previous, d.change, d.direction) for d in summary.dimensions} == {
        (code, 25, 25, "up") for code in ("HC", "VC", "SP", "IN", "DE", "DC")
    }
    html = services.render_report_html(_loaded(validated), "en", charts="figures")[0]
    assert "The headline rose by 25.0 points since 2023 (validated headline then: 25.0)." in html
    assert "Change since 2023" in html and "+25.0" in html


def test_movement_down_is_said_as_a_fall(validated, quito, reviewer):
    _earlier(quito, reviewer, level=3)  # headline 75

    summary = _summary(validated)

    assert (summary.movement.change, summary.movement.direction, summary.movement.size) == (-25, "down", 25)
    html = services.render_report_html(_loaded(validated), "en", charts="figures")[0]
    assert "The headline fell by 25.0 points since 2023" in html and "−25.0" in html


def test_a_first_validated_round_says_there_is_nothing_to_compare_with(validated, quito, reviewer):
    later = assessment_services.round_create(authority=quito.authority, period="2027", actor=quito.approver)
    answer_everything(later, quito.editor, level=1)
    _validate(later, quito.approver, reviewer)  # validated, but after this round: not a previous one

    summary = _summary(validated)

    assert summary.movement.state == FIRST and all(d.change is None for d in summary.dimensions)
    html = services.render_report_html(_loaded(validated), "en", charts="figures")[0]
    assert "This is the first validated round of this authority: there is no earlier one to compare with." in html
    assert "Change since" not in html


def test_a_previous_round_on_another_catalogue_version_is_said_not_comparable(validated, quito, reviewer):
    earlier = _earlier(quito, reviewer, level=1)
    other = VersionFactory(published=True, number=2)
    Round.objects.filter(pk=earlier.pk).update(version=other)
    ScoreSnapshot.objects.filter(round=earlier).update(version=other)

    summary = _summary(validated)

    assert summary.movement.state == NOT_COMPARABLE and summary.movement.previous_version == 2
    assert summary.movement.change is None and all(d.change is None for d in summary.dimensions)
    html = services.render_report_html(_loaded(validated), "en", charts="figures")[0]
    assert "The last validated round, 2023, used version 2 of the catalogue: its scores are not comparable" in html


# --- strongest and weakest --------------------------------------------------------------------------------------


def test_strongest_and_weakest_dimensions_leave_out_those_without_a_score(draft, quito):
    for indicator in assessment_services.round_indicators(draft):
        code = indicator.dimension.code
        if code != "DC":  # DC not started: no score, neither strongest nor weakest
            answer(draft, indicator.code, quito.editor, level={"HC": 4, "VC": 1}.get(code, 2))

    summary = _summary(draft)

    assert summary.validated is False
    assert summary.strongest.code == "HC" and summary.strongest.score == 100
    assert summary.weakest.code == "VC" and summary.weakest.score == 25
    assert next(d for d in summary.dimensions if d.code == "DC").score is None
    html = services.render_report_html(_loaded(draft), "en", charts="figures")[0]
    assert f"Strongest dimension: <strong>{summary.strongest.name}</strong> (100.0" in html
    assert f"Weakest dimension: <strong>{summary.weakest.name}</strong> (25.0" in html


def test_a_validated_round_ranks_its_dimensions_by_the_validated_scores_not_the_self_assessed(validated):
    round = _loaded(validated)
    sheet = answer_sheet(round)
    frozen = round_scores(round, sheet)

    def tilted(score_set, best, worst):
        dims = [replace(d, score={best: 90.0, worst: 10.0}.get(d.code, 50.0)) for d in frozen[score_set].dimensions]
        return scoring.round_score_from_data({**asdict(frozen[score_set]), "dimensions": [asdict(d) for d in dims]})

    scores = {SELF: tilted(SELF, "HC", "VC"), VALIDATED: tilted(VALIDATED, "SP", "DE")}
    summary = executive_summary(round, sheet, scores, actions=[])

    assert (summary.strongest.code, summary.weakest.code) == ("SP", "DE")


# --- priorities with the catalogue's examples -------------------------------------------------------------------


def _examples(version, code: str) -> list[tuple[str, str]]:
    rows = IndicatorExample.objects.filter(indicator__version=version, indicator__code=code).order_by("order", "id")
    return [(e.place, e.text) for e in rows[:2]]


def test_without_open_actions_the_priorities_are_the_weakest_indicators_each_with_two_examples(draft, quito):
    answer_everything(draft, quito.editor, level=3)
    answer(draft, "VC-02", quito.editor, level=1)
    answer(draft, "SP-03", quito.editor, level=0)
    hc01 = Indicator.objects.get(version=draft.version, code="HC-01")
    IndicatorExample.objects.create(indicator=hc01, place="Elsewhere", text_en="Not a priority.")

    summary = _summary(draft)

    assert summary.priorities_source == "indicators"
    assert [p.codes for p in summary.priorities] == [("SP-03",), ("VC-02",)]
    sp03 = summary.priorities[0]
    assert sp03.level == 0 and sp03.suggestion == Indicator.objects.get(version=draft.version, code="SP-03").suggestion
    expected = _examples(draft.version, "SP-03")
    assert expected and [(e.place, e.text) for e in sp03.examples] == expected  # up to two, in catalogue order
    html = services.render_report_html(_loaded(draft), "en", charts="figures")[0]
    front = html[: html.index('<section class="scores"')]
    assert f"Good practice, {expected[0][0]}:" in front and "Not a priority." not in html


def test_with_open_actions_the_priorities_come_from_the_plan_with_examples_of_their_linked_indicators(validated, quito):
    indicators = {i.code: i for i in Indicator.objects.filter(version=validated.version, code__in=["IN-01", "HC-02"])}
    for title, due, codes in [("Later", date(2027, 1, 1), ["HC-02"]), ("Sooner", date(2026, 1, 1), ["IN-01"])]:
        plan_services.action_create(
            authority=quito.authority,
            origin_round=validated,
            actor=quito.approver,
            title=title,
            owner="Mobility office",
            start_date=date(2025, 1, 1),
            due_date=due,
            targets={indicators[code]: 3 for code in codes},
        )

    summary = _summary(validated)

    assert summary.priorities_source == "plan"
    assert [(p.title, p.codes, p.owner) for p in summary.priorities] == [
        ("Sooner", ("IN-01",), "Mobility office"),
        ("Later", ("HC-02",), "Mobility office"),
    ]
    assert [(e.place, e.text) for e in summary.priorities[0].examples] == _examples(validated.version, "IN-01")


# --- peers: the median of published peers of the same kind ------------------------------------------------------


def test_the_position_is_against_the_median_of_published_peers_of_the_same_kind_never_a_rank(validated, quito):
    _peer(40)
    _peer(60)
    latest = AuthorityFactory()
    _peer(10, authority=latest, period="2023")  # an older round of a peer: its latest one counts
    _peer(70, authority=latest, period="2025")
    # Excluded: another kind, no consent, another catalogue version, and the authority itself.
    _peer(0, kind=Authority.Kind.PROVINCE)
    _peer(0, consent=False)
    _peer(0, version=VersionFactory(published=True))
    _peer(0, authority=quito.authority, period="2021")

    summary = _summary(validated)

    assert (summary.peers.count, summary.peers.median, summary.peers.difference) == (3, 60, -10)
    html = services.render_report_html(_loaded(validated), "en", charts="figures")[0]
    assert (
        "The headline is 10.0 points below the median of 3 published peers of the same kind (Municipality), 60.0."
        in html
    )
    assert "rank" not in html.lower().replace("not ranked", "")


def test_with_fewer_than_three_published_peers_the_summary_says_so_plainly_and_gives_no_median(validated):
    _peer(40)
    _peer(60)
    _peer(None)  # a peer without a headline is no point of comparison

    summary = _summary(validated)

    assert (summary.peers.count, summary.peers.median, summary.peers.enough) == (2, None, False)
    html = services.render_report_html(_loaded(validated), "en", charts="figures")[0]
    assert "Too few published peers of the same kind (2) to compare." in html
    assert "median of" not in html


def test_a_peer_that_publishes_changes_the_reports_fingerprint(validated, quito, reviewer):
    round = _loaded(validated)
    before = report_facts(round)
    assert report_facts(round) == before

    peer = _peer(40)
    assert report_facts(round)["summary"]["peers"] == [[peer.pk, peer.taken_at.isoformat()]]
    earlier = _earlier(quito, reviewer, level=1)
    facts = report_facts(round)
    assert facts["summary"]["previous"] == [earlier.snapshot.pk, earlier.snapshot.taken_at.isoformat()]
    assert facts != before


# --- layout: charts with names, the annex at the end, the logo on the cover ----------------------------------------


def test_charts_name_the_dimensions_in_legends_and_axes_not_their_codes(validated, quito, reviewer):
    _earlier(quito, reviewer, level=1)
    context = report_context(_loaded(validated), "en", charts="figures")
    names = [d.name for d in answer_sheet(validated).dimensions]

    assert [trace["name"] for trace in context["trend_figure"]["data"]] == names
    for trace in context["profile_figure"]["data"]:
        assert [label.replace("<br>", " ") for label in trace["x"]] == names


def test_the_indicator_record_is_an_annex_after_the_plan_and_the_methodology(validated):
    html = services.render_report_html(_loaded(validated), "en", charts="figures")[0]

    annex = html.index("Annex: the record of each indicator")
    assert html.index("Executive summary</h2>") < html.index("<h2>Improvement plan</h2>") < annex
    assert html.index("<h2>Methodology</h2>") < annex < html.index('<span class="code">HC-01</span>')
    assert "To move up:" not in html[annex:]  # the suggestions are with the priorities


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (11, 61, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_authoritys_logo_is_on_the_cover_inline_and_weasyprint_draws_it(validated, quito):
    quito.authority.logo.save("logo.png", ContentFile(_png()))

    html, _fingerprint = services.render_report_html(_loaded(validated), "en", charts="figures")

    cover = html[html.index('<section class="cover"') : html.index("</section>")]
    assert 'class="logo" src="data:image/png;base64,' in cover and "Logo of Quito" in cover
    assert html_to_pdf(html).startswith(b"%PDF")
    assert data_image("data:image/svg+xml;base64,PHN2Zy8+") is None  # an SVG could fetch; only raster images


def test_a_new_logo_makes_a_new_report(validated, quito):
    before = report_context(_loaded(validated), "en", charts=None)["fingerprint"]
    quito.authority.logo.save("logo.png", ContentFile(_png()))
    assert report_context(_loaded(validated), "en", charts=None)["fingerprint"] != before


# --- queries ----------------------------------------------------------------------------------------------------


def test_the_summary_reads_in_three_queries_whatever_the_number_of_peers_or_priorities(
    validated, quito, django_assert_num_queries
):
    round = _loaded(validated)
    sheet = answer_sheet(round)
    scores = round_scores(round, sheet)
    for headline in (40, 50, 60):
        _peer(headline)
    with django_assert_num_queries(3):  # the previous round, the peers, the examples
        few = executive_summary(round, sheet, scores, actions=[])
    for headline in range(10, 90, 10):
        _peer(headline)
    with django_assert_num_queries(3):
        many = executive_summary(round, sheet, scores, actions=[])
    assert (few.peers.count, many.peers.count) == (3, 11) and len(many.priorities) == 3

    with CaptureQueriesContext(connection) as alone:
        summary_inputs(round)
    assert len(alone) == 2
