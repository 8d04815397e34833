"""Drafting from gaps: what a round suggests for the plan, and the page where people take suggestions up.

Quito's 2025 draft is the round under study. A gap is an indicator below the authority's target
(3 unless it set another), at the city's own level while the round is open or reviewed and at the
reviewer's once validated. Nothing is written unless a person presses a button; a refused change
is a 422 that says why, with nothing written.
"""

import datetime

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from assessments import services as round_services
from assessments.models import Answer, ReviewItem, Round
from indicators.models import Indicator
from plans import services
from plans.models import Action, ActionIndicator, ActionRevision, PlanTarget, SuggestionDismissal
from plans.suggestions import action_draft, gaps
from tests.factories import AuthorityFactory, DimensionFactory, IndicatorFactory, UserFactory, VersionFactory
from tests.plans.factories import ActionFactory, PlanFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db

LEVEL, NA, DK = Answer.Response.LEVEL, Answer.Response.NOT_APPLICABLE, Answer.Response.DONT_KNOW


def _answer_all(round: Round, level: int | None = 3, **codes) -> None:
    """Answer every indicator of the round at ``level`` (None: leave unanswered), except those given by code.

    ``HC_01=2`` answers HC-01 at level 2; ``HC_02="dk"`` don't know; ``HC_03=None`` leaves it unanswered.
    """
    answers = []
    given = {code.replace("_", "-"): value for code, value in codes.items()}
    for indicator in round_services.round_indicators(round):
        value = given.get(indicator.code, level)
        if value is None:
            continue
        response = LEVEL if isinstance(value, int) else value
        answers.append(
            Answer(round=round, indicator=indicator, response=response, level=value if response == LEVEL else None)
        )
    Answer.objects.bulk_create(answers)


def _review(round: Round, code: str, **fields) -> None:
    ReviewItem.objects.create(
        round=round,
        indicator=Indicator.objects.get(version=round.version, code=code),
        reviewer=UserFactory(username="rev"),
        **fields,
    )


def _set_status(round: Round, status: str) -> Round:
    round.status = status
    round.validated_at = timezone.now() if status == Round.Status.VALIDATED else None
    round.save(update_fields=["status", "validated_at"])
    return round


def _codes(found) -> dict[str, int | None]:
    return {gap.code: gap.level for gap in found}


def page(round: Round) -> str:
    return reverse("plan_suggestions", args=[round.pk])


# --- gaps ------------------------------------------------------------------------------------------


def test_gaps_are_the_indicators_below_target_unanswered_and_dont_know_included(draft, quito):
    _answer_all(draft, 3, HC_01=2, HC_02=DK, HC_03=None, HC_04=4, HC_05=0)

    found = gaps(draft, quito.editor)

    assert _codes(found) == {"HC-01": 2, "HC-02": None, "HC-03": None, "HC-05": 0}
    by_code = {gap.code: gap for gap in found}
    assert by_code["HC-02"].dont_know and not by_code["HC-03"].dont_know
    assert [gap.target for gap in found] == [3, 3, 3, 3]
    assert by_code["HC-01"].suggestion == Indicator.objects.get(version=draft.version, code="HC-01").suggestion_en


def test_the_suggestion_comes_in_the_active_language(draft, quito):
    _answer_all(draft, 3, HC_01=2)

    with translation.override("fr"):
        [gap] = gaps(draft, quito.editor)

    assert gap.suggestion == Indicator.objects.get(version=draft.version, code="HC-01").suggestion_fr != ""


def test_an_accepted_na_and_a_left_out_dimension_are_no_gaps(draft, quito):
    dc = Indicator.objects.filter(version=draft.version, dimension__optional=True).first().dimension
    na_code = Indicator.objects.filter(version=draft.version, na_allowed=True).exclude(dimension=dc).first().code
    _answer_all(draft, None)  # nothing answered: every indicator is a gap
    draft.omitted_dimensions.add(dc)
    Answer.objects.create(
        round=draft, indicator=Indicator.objects.get(version=draft.version, code=na_code), response=NA
    )

    codes = set(_codes(gaps(draft, quito.editor)))

    assert na_code not in codes
    assert not {code for code in codes if code.startswith(dc.code)}
    assert len(codes) == round_services.round_indicators(draft).count() - 1


def test_the_authoritys_target_replaces_three_by_code(draft, quito):
    _answer_all(draft, 3, HC_01=2)
    services.target_set(authority=quito.authority, indicator_code="HC-02", level=4, actor=quito.editor)
    services.target_set(authority=quito.authority, indicator_code="HC-01", level=2, actor=quito.editor)

    found = gaps(draft, quito.editor)

    assert [(gap.code, gap.level, gap.target) for gap in found] == [("HC-02", 3, 4)]


@pytest.mark.parametrize("status", [Round.Status.SUBMITTED, Round.Status.RETURNED])
def test_a_round_not_yet_validated_is_read_at_the_citys_levels(draft, quito, status):
    _answer_all(draft, 3, HC_01=2)
    _review(draft, "HC-01", validated_level=4)
    _review(draft, "HC-02", validated_level=1)

    assert _codes(gaps(_set_status(draft, status), quito.editor)) == {"HC-01": 2}


def test_a_validated_round_is_read_at_the_reviewers_levels(draft, quito):
    _answer_all(draft, 3, HC_01=2, HC_04=DK)
    na_code = Indicator.objects.filter(version=draft.version, na_allowed=True).first().code
    Answer.objects.filter(round=draft, indicator__code=na_code).update(response=NA, level=None)
    _review(draft, "HC-01", validated_level=4)  # raised: no gap any more
    _review(draft, "HC-02", validated_level=1)  # lowered: a gap
    _review(draft, "HC-04", validated_level=2)  # don't know, rated by the reviewer
    _review(draft, na_code, na_accepted=False)  # an N/A not accepted counts as a gap

    found = gaps(_set_status(draft, Round.Status.VALIDATED), quito.editor)

    assert _codes(found) == {"HC-02": 1, "HC-04": 2, na_code: None}
    assert {gap.code: gap.na_rejected for gap in found}[na_code]


def test_gaps_say_what_was_dismissed_and_which_actions_already_aim_at_the_code(draft, quito, catalogue):
    _answer_all(draft, 3, HC_01=2, HC_02=2)
    older_version = VersionFactory(published=True)
    IndicatorFactory(dimension=DimensionFactory(version=older_version, code="HC"), code="HC-01")
    older = Round.objects.create(authority=quito.authority, version=older_version, period="2020")
    earlier = ActionFactory(plan=PlanFactory(authority=quito.authority), origin_round=older, targets={"HC-01": 3})
    ActionFactory(plan=PlanFactory(authority=AuthorityFactory()), targets={"HC-01": 3})  # another authority's
    services.suggestion_dismiss(
        round=draft, indicator=Indicator.objects.get(version=draft.version, code="HC-02"), actor=quito.editor
    )

    found = {gap.code: gap for gap in gaps(draft, quito.editor)}

    assert (found["HC-01"].dismissed, found["HC-02"].dismissed) == (False, True)
    assert found["HC-01"].actions == (earlier,)  # matched by code across catalogue versions, this plan's only
    assert found["HC-02"].actions == ()


@pytest.mark.parametrize("unanswered", [False, True])
def test_gaps_take_a_constant_number_of_queries(draft, quito, django_assert_max_num_queries, unanswered):
    _answer_all(draft, None if unanswered else 3, HC_01=2)
    ActionFactory(plan=PlanFactory(authority=quito.authority), origin_round=draft, targets={"HC-01": 3})

    # The plan's access check (3), the answer sheet (3, and 1 for the indicators consultations discussed),
    # targets, dismissals and linked actions (3).
    with django_assert_max_num_queries(10):
        found = gaps(draft, quito.editor)

    assert len(found) == (round_services.round_indicators(draft).count() if unanswered else 1)


def test_gaps_are_a_404_for_someone_who_may_not_read_the_plan(draft, catalogue):
    other = make_city("lima")

    with pytest.raises(Http404):
        gaps(draft, other.editor)


def test_a_draft_action_names_the_code_the_target_and_the_suggestions_first_sentence(catalogue):
    hc02 = Indicator.objects.get(version=catalogue, code="HC-02")

    draft = action_draft(hc02, 3, datetime.date(2025, 8, 31))

    assert draft["title"] == (
        "Move HC-02 to level 3: Use the next plan or the mid-term review to add a migration analysis to the "
        "diagnosis and turn it into two or three measurable objectives."
    )
    assert draft["description"] == hc02.suggestion_en
    assert (draft["start_date"], draft["due_date"], draft["owner"], draft["target_level"]) == (
        datetime.date(2025, 8, 31),
        datetime.date(2026, 2, 28),
        "",
        3,
    )


def test_a_draft_title_is_cut_to_two_hundred_characters(catalogue):
    long = IndicatorFactory(code="LONG-01", suggestion_en="Word " * 100 + "end.")

    assert len(action_draft(long, 4, datetime.date(2025, 1, 1))["title"]) == 200


# --- the page: reading -----------------------------------------------------------------------------


@pytest.fixture
def studied(draft, quito):
    """Quito's draft: HC-01 at level 2, HC-02 don't know, everything else at 3; a peer at 4 on HC-01."""
    _answer_all(draft, 3, HC_01=2, HC_02=DK)
    lima = AuthorityFactory(slug="lima", name="Lima")
    peer = Round.objects.create(
        authority=lima,
        version=draft.version,
        period="2024",
        status=Round.Status.VALIDATED,
        publication_consent=True,
        validated_at=timezone.now(),
    )
    Answer.objects.create(
        round=peer,
        indicator=Indicator.objects.get(version=draft.version, code="HC-01"),
        response=LEVEL,
        level=4,
        justification="Lima's migration council meets monthly.",
    )
    return draft


def test_a_member_sees_each_gap_with_a_drafted_action_peers_and_catalogue_examples(client, studied, quito):
    client.force_login(quito.editor)

    response = client.get(page(studied))

    assert response.status_code == 200
    html = response.content.decode()
    hc01 = Indicator.objects.get(version=studied.version, code="HC-01")
    assert 'id="gap-HC-01"' in html and 'id="gap-HC-02"' in html and 'id="gap-HC-03"' not in html
    assert "Move HC-01 to level 3:" in html
    assert "The target is level 3 (Operational) unless the authority set another." in html
    assert "Lima&#x27;s migration council meets monthly." in html and "Lima, 2024" in html
    assert hc01.examples.first().text_en.replace("'", "&#x27;") in html
    assert "Add to the plan" in html and "Dismiss" in html
    new_action = reverse("plan_action_create", args=[quito.authority.slug])
    assert f'href="{new_action}?round={studied.pk}&amp;indicator=HC-01"' in html
    assert not Action.objects.exists()  # nothing is created by looking


def test_in_french_the_levels_are_french_and_the_drafted_dates_stay_readable_by_a_date_input(client, studied, quito):
    """The level choices are made per request; a date field sends ISO dates, not the French "31/08/2025"."""
    client.force_login(quito.editor)
    client.cookies["django_language"] = "fr"

    html = client.get(page(studied)).content.decode()

    assert ">3 · Opérationnel</option>" in html and ">3 · Operational</option>" not in html
    draft = action_draft(Indicator.objects.get(version=studied.version, code="HC-01"), 3, timezone.localdate())
    assert f'name="HC-01-start_date" value="{draft["start_date"]:%Y-%m-%d}"' in html
    assert f'name="HC-01-due_date" value="{draft["due_date"]:%Y-%m-%d}"' in html


def test_a_reviewer_reads_the_page_of_a_submitted_round_without_any_button(client, studied, reviewer):
    _set_status(studied, Round.Status.SUBMITTED)
    client.force_login(reviewer)

    response = client.get(page(studied))

    assert response.status_code == 200
    assert 'id="gap-HC-01"' in response.content.decode()
    assert b"Add to the plan" not in response.content and b"Dismiss" not in response.content


def test_a_validated_round_is_shown_at_the_validated_levels(client, validated, quito):
    client.force_login(quito.editor)

    response = client.get(page(validated))

    assert response.status_code == 200
    assert b"Validated level" in response.content


def test_no_gap_says_so(client, draft, quito):
    _answer_all(draft, 4)
    client.force_login(quito.editor)

    assert b"No indicator is below its target." in client.get(page(draft)).content


def test_a_peer_speaks_through_its_newest_published_round_and_only_while_it_stands_at_three_or_more(
    client, studied, quito
):
    """Lima (level 4 in 2024, see ``studied``) fell to 1 in 2025: its old text is no example any more.

    Bogota rose from 3 to 4: its 2025 text is shown, not the older one; a newer round of Bogota not
    published does not count.
    """
    hc01 = Indicator.objects.get(version=studied.version, code="HC-01")

    def published(authority, period, level, text, **fields):
        round = Round.objects.create(
            authority=authority,
            version=studied.version,
            period=period,
            status=fields.get("status", Round.Status.VALIDATED),
            publication_consent=fields.get("consent", True),
            validated_at=timezone.now(),
        )
        Answer.objects.create(round=round, indicator=hc01, response=LEVEL, level=level, justification=text)

    lima = Round.objects.get(period="2024").authority
    published(lima, "2025", 1, "Lima's council was disbanded.")
    bogota = AuthorityFactory(slug="bogota", name="Bogota")
    published(bogota, "2023", 3, "Bogota's early council.")
    published(bogota, "2025", 4, "Bogota's council has a budget.")
    published(bogota, "2026", 0, "Bogota's council in a draft.", status=Round.Status.DRAFT, consent=False)
    client.force_login(quito.editor)

    html = client.get(page(studied)).content.decode()

    peers = html[html.index('id="gap-HC-01-peers"') : html.index('id="gap-HC-01-examples"')]
    assert "Bogota&#x27;s council has a budget." in peers and "Bogota, 2025" in peers
    assert "Bogota&#x27;s early council." not in peers
    assert "Lima" not in peers


@pytest.mark.parametrize("peers", [1, 8])
def test_the_page_takes_a_constant_number_of_queries(client, draft, quito, django_assert_max_num_queries, peers):
    _answer_all(draft, DK)  # every indicator is a gap
    for n in range(peers):
        round = Round.objects.create(
            authority=AuthorityFactory(),
            version=draft.version,
            period="2024",
            status=Round.Status.VALIDATED,
            publication_consent=True,
            validated_at=timezone.now(),
        )
        _answer_all(round, 4)
        Answer.objects.filter(round=round).update(justification=f"Peer {n}.")
    client.force_login(quito.editor)

    # Session, user and the round's access check (5), the plan's (1), the gaps (6), peer examples,
    # catalogue examples, whether the user may edit (3), and the menu's link to the improvement plans (1:
    # base.html asks whether a person who is not a reviewer is a member anywhere), and the indicators
    # consultations discussed (1, in the answer sheet).
    with django_assert_max_num_queries(17):
        response = client.get(page(draft))

    assert response.content.decode().count('class="card mb-4"') == round_services.round_indicators(draft).count()


# --- the page: acting ------------------------------------------------------------------------------


def _add(client, round, code="HC-01", **fields):
    data = {
        "do": "add",
        "indicator": code,
        f"{code}-title": "Move HC-01 to level 3",
        f"{code}-description": "A council.",
        f"{code}-owner": "Office of migrant affairs",
        f"{code}-start_date": "2025-01-01",
        f"{code}-due_date": "2025-07-01",
        f"{code}-target_level": "3",
    }
    data.update({f"{code}-{name}": value for name, value in fields.items()})
    return client.post(page(round), data)


def test_add_to_the_plan_makes_the_action_in_this_round_with_its_history(client, studied, quito):
    client.force_login(quito.editor)

    response = _add(client, studied)

    assert response.status_code == 302 and response["Location"].endswith("#gap-HC-01")
    action = Action.objects.get()
    assert (action.origin_round, action.owner, action.due_date) == (
        studied,
        "Office of migrant affairs",
        datetime.date(2025, 7, 1),
    )
    assert [(link.indicator.code, link.target_level) for link in ActionIndicator.objects.all()] == [("HC-01", 3)]
    assert ActionRevision.objects.filter(action=action, old__isnull=True).count() == 1
    assert "Already in your plan" in client.get(page(studied)).content.decode()


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"owner": ""}, "This field is required."),
        ({"due_date": "2024-12-31"}, "The due date cannot be before the start date."),
        ({"target_level": "7"}, "Select a valid choice."),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"owner": "   "}, "This field is required."),
    ],
)
def test_a_refused_action_is_a_422_that_says_why_and_nothing_is_written(client, studied, quito, fields, says):
    client.force_login(quito.editor)

    response = _add(client, studied, **fields)

    assert response.status_code == 422
    assert says in response.content.decode()
    assert not Action.objects.exists() and not ActionRevision.objects.exists()


def test_a_refusal_by_the_service_is_a_form_error_too(client, studied, quito, monkeypatch):
    def refuse(**kwargs):
        raise services.PlanError("The plan is closed for changes.")

    monkeypatch.setattr(services, "action_create", refuse)
    client.force_login(quito.editor)

    response = _add(client, studied)

    assert response.status_code == 422
    assert "The plan is closed for changes." in response.content.decode()


def test_changing_the_target_moves_the_gap(client, studied, quito):
    client.force_login(quito.editor)

    response = client.post(page(studied), {"do": "target", "indicator": "HC-01", "HC-01-target-level": "2"})

    assert response.status_code == 302
    assert PlanTarget.objects.get(plan__authority=quito.authority, indicator_code="HC-01").level == 2
    assert 'id="gap-HC-01"' not in client.get(page(studied)).content.decode()


def test_a_bad_target_is_a_422_and_nothing_is_written(client, studied, quito):
    client.force_login(quito.editor)

    response = client.post(page(studied), {"do": "target", "indicator": "HC-01", "HC-01-target-level": "9"})

    assert response.status_code == 422
    assert not PlanTarget.objects.exists()


def test_a_dismissed_suggestion_moves_to_its_own_list_with_nothing_lost(client, studied, quito):
    client.force_login(quito.editor)

    response = client.post(page(studied), {"do": "dismiss", "indicator": "HC-01"})

    assert response.status_code == 302
    assert SuggestionDismissal.objects.get().indicator.code == "HC-01"
    html = client.get(page(studied)).content.decode()
    dismissed = html[html.index('id="dismissed-heading"') :]
    assert 'id="gap-HC-01"' in dismissed and "Move HC-01 to level 3:" in dismissed
    assert 'id="gap-HC-02"' not in dismissed
    assert _add(client, studied).status_code == 302  # still taken up after all


@pytest.mark.parametrize(
    "data",
    [
        {"do": "add", "indicator": "HC-03"},  # at its target: not a gap
        {"do": "add", "indicator": "NOPE-99"},
        {"do": "explode", "indicator": "HC-01"},
        {"indicator": "HC-01"},
    ],
)
def test_a_post_for_no_gap_or_no_known_button_is_a_422_and_nothing_is_written(client, studied, quito, data):
    client.force_login(quito.editor)

    response = client.post(page(studied), data)

    assert response.status_code == 422
    assert not Action.objects.exists() and not SuggestionDismissal.objects.exists()


@pytest.mark.parametrize("do", ["add", "dismiss", "target"])
def test_a_reviewer_may_not_act_403_and_nothing_is_written(client, studied, reviewer, do):
    _set_status(studied, Round.Status.SUBMITTED)
    client.force_login(reviewer)

    response = client.post(page(studied), {"do": do, "indicator": "HC-01", "HC-01-target-level": "2"})

    assert response.status_code == 403
    assert "Only members of Quito can change its improvement plan." in response.content.decode()
    assert not (Action.objects.exists() or SuggestionDismissal.objects.exists() or PlanTarget.objects.exists())


def test_who_may_not_see_the_round_gets_a_404_and_anonymous_is_sent_to_log_in(client, studied, reviewer):
    bogota = make_city("bogota")

    client.force_login(bogota.editor)
    assert client.get(page(studied)).status_code == 404
    assert _add(client, studied).status_code == 404
    client.force_login(reviewer)
    assert client.get(page(studied)).status_code == 404  # a draft stays with its authority
    client.logout()
    assert client.get(page(studied)).status_code == 302
    assert not Action.objects.exists()
