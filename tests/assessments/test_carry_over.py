"""Starting a round from the last one: answers come over to be revisited, and count only once a person confirms them.

Quito validated its 2024 round (HC-01 at level 3 with a file and a link, SP-02 not applicable,
the rest at level 2 with a link; the reviewer lowered HC-01 and commented on it). Its 2025 round
starts from it.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.models import (
    Answer,
    AnswerRevision,
    Evidence,
    Membership,
    ReviewItem,
    Round,
    ScoreSnapshot,
    answer_changes,
)
from assessments.sheet import SELF, answer_sheet
from indicators.models import Indicator
from reports.context import report_context
from tests.factories import DimensionFactory, IndicatorFactory, MembershipFactory, VersionFactory
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
API = "/api/v1/assessments/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _indicator(round: Round, code: str) -> Indicator:
    return Indicator.objects.get(version_id=round.version_id, code=code)


def _earlier(city, reviewer, period="2024") -> Round:
    """A validated round with answers, a file, a link, an N/A, a reviewer's level and comment, and consent."""
    round = services.round_create(authority=city.authority, period=period, actor=city.approver)
    answer_everything(round, city.editor)
    answer(round, "HC-01", city.editor, level=3, justification="The committee meets monthly.")
    services.evidence_add(
        round=round,
        indicator=_indicator(round, "HC-01"),
        actor=city.editor,
        description="Minutes of March",
        file=SimpleUploadedFile("minutes.pdf", PDF),
    )
    current = Answer.objects.get(round=round, indicator__code="SP-02")
    services.answer_save(
        round=round,
        indicator=current.indicator,
        actor=city.editor,
        response="na",
        level=None,
        justification="No emigration",
        base_revision=current.revision,
    )
    services.round_submit(round=round, actor=city.approver)
    decision = services.Decision(validated_level=1, comment="Too generous: the committee has no mandate.")
    services.round_review(
        round=round,
        actor=reviewer,
        decisions={_indicator(round, "HC-01").pk: decision},
        action=services.ReviewAction.VALIDATE,
    )
    return services.round_set_consent(round=round, actor=city.approver, consent=True)


@pytest.fixture
def earlier(quito, reviewer) -> Round:
    return _earlier(quito, reviewer)


@pytest.fixture
def carried(earlier, quito) -> Round:
    return services.round_create(authority=quito.authority, period="2025", actor=quito.approver, start_from=earlier)


def _save(client, round, code, choice, justification="", revision=0, htmx=True, **extra):
    return client.post(
        reverse("answer_save", args=[round.pk, code]),
        {f"{code}-choice": choice, f"{code}-justification": justification, f"{code}-revision": revision, **extra},
        headers={"HX-Request": "true"} if htmx else {},
    )


# --- what comes over ---------------------------------------------------------------------------------


def test_every_answer_justification_and_link_comes_over_marked_carried_over_at_revision_zero(earlier, carried):
    answers = {a.indicator.code: a for a in Answer.objects.filter(round=carried).select_related("indicator")}

    assert len(answers) == 36
    assert {(a.carried_over, a.revision) for a in answers.values()} == {(True, 0)}
    hc01, sp02 = answers["HC-01"], answers["SP-02"]
    assert (hc01.response, hc01.level, hc01.justification) == ("level", 3, "The committee meets monthly.")
    assert (sp02.response, sp02.level, sp02.justification) == ("na", None, "No emigration")
    assert {(a.response, a.level) for code, a in answers.items() if code not in ("HC-01", "SP-02")} == {("level", 2)}
    links = Evidence.objects.filter(answer__round=carried, file="")
    assert links.count() == 36 and {e.url for e in links} == {"https://example.org/minutes.pdf"}
    # The earlier round keeps its own answers and evidence, untouched.
    assert Answer.objects.filter(round=earlier, carried_over=False).count() == 36
    assert Evidence.objects.filter(answer__round=earlier).count() == 37


def test_an_evidence_file_comes_over_as_a_new_stored_file_of_the_new_round(earlier, carried):
    old = Evidence.objects.get(answer__round=earlier, filename="minutes.pdf")
    new = Evidence.objects.get(answer__round=carried, filename="minutes.pdf")

    assert new.file.name != old.file.name
    assert new.file.name.startswith(f"evidence/{carried.pk}/") and new.file.name.endswith(".pdf")
    assert new.description == "Minutes of March"
    with new.file.open("rb") as stored:
        assert stored.read() == PDF
    old.file.delete(save=False)  # removing the earlier round's file leaves the new one
    assert new.file.storage.exists(new.file.name)


def test_no_status_consent_reviewer_level_or_comment_comes_over(earlier, carried):
    carried.refresh_from_db()

    assert (carried.status, carried.publication_consent, carried.submission_count) == ("draft", False, 0)
    assert (carried.submitted_at, carried.validated_at, carried.started_from) == (None, None, earlier)
    assert not ReviewItem.objects.filter(round=carried).exists()
    assert not ScoreSnapshot.objects.filter(round=carried).exists()
    # The city's own level comes over, not the reviewer's 1.
    assert Answer.objects.get(round=carried, indicator__code="HC-01").level == 3
    assert list(carried.events.values_list("to_status", "note")) == [("draft", "Started from the 2024 round")]


def test_each_carried_answer_has_a_history_entry_that_says_where_it_came_from(quito, carried, client):
    revision = AnswerRevision.objects.get(answer__round=carried, answer__indicator__code="HC-01")

    assert revision.changed_by == quito.approver
    assert revision.old == {"response": "", "level": None, "justification": "", "evidence": []}
    assert revision.new["carried_from"] == "2024" and revision.new["carried_over"] is True
    assert {"field": "carried_over", "old": None, "new": "2024"} in answer_changes(revision.old, revision.new)
    assert AnswerRevision.objects.filter(answer__round=carried).count() == 36
    client.force_login(quito.editor)
    assert "Carried over from the 2024 round, to confirm or change" in client.get(
        reverse("round_history", args=[carried.pk])
    ).content.decode("utf-8")


def test_answers_are_matched_by_code_across_catalogue_versions(earlier, quito):
    """Only the codes the new version has come over; an N/A it no longer allows comes over as a blank to choose."""
    version = VersionFactory(published=True)
    dimension = DimensionFactory(version=version, code="HC")
    IndicatorFactory(dimension=dimension, code="HC-01")
    IndicatorFactory(dimension=dimension, code="SP-02", na_allowed=False)
    IndicatorFactory(dimension=dimension, code="NEW-01")

    round = services.round_create(
        authority=quito.authority, period="2025", actor=quito.approver, version=version, start_from=earlier
    )

    answers = {a.indicator.code: a for a in Answer.objects.filter(round=round).select_related("indicator")}
    assert set(answers) == {"HC-01", "SP-02"}
    assert {a.indicator.version_id for a in answers.values()} == {version.pk}
    assert (answers["HC-01"].level, answers["HC-01"].evidence.count()) == (3, 2)
    assert (answers["SP-02"].response, answers["SP-02"].justification) == ("", "No emigration")


def test_a_file_missing_from_storage_is_left_out_and_the_round_still_opens(earlier, quito, client):
    Evidence.objects.get(answer__round=earlier, filename="minutes.pdf").file.delete(save=False)
    client.force_login(quito.approver)

    response = client.post(
        reverse("round_create"), {"authority": quito.authority.pk, "period": "2025", "start_from": earlier.pk}
    )

    assert response.status_code == 302
    round = Round.objects.get(authority=quito.authority, period="2025")
    hc01 = Answer.objects.get(round=round, indicator__code="HC-01")
    assert [e.url for e in hc01.evidence.all()] == ["https://example.org/minutes.pdf"]


# --- carried answers do not count until confirmed --------------------------------------------------


def test_carried_answers_count_as_unanswered_in_progress_scores_and_the_round_list(carried):
    sheet = answer_sheet(carried)
    scores = sheet.scores()[SELF]

    assert Round.objects.with_progress().get(pk=carried.pk).answered == 0
    assert sum(p.answered for p in sheet.progress().values()) == 0
    assert (scores.answered, scores.headline, scores.completeness, scores.evidence_coverage) == (0, None, 0.0, None)
    assert all(d.not_started for d in scores.dimensions)
    assert [i.code for i in sheet.carried][:2] == ["HC-01", "HC-02"] and len(sheet.carried) == 36


def test_the_api_counts_carried_answers_as_unanswered_and_marks_each_one(carried, quito, client):
    client.force_login(quito.editor)

    listed = {r["id"]: r for r in client.get(API).json()["results"]}
    body = client.get(f"{API}{carried.pk}/").json()

    assert listed[carried.pk]["answered"] == 0
    assert {a["carried_over"] for a in body["answers"]} == {True}
    # Not the city's answer until confirmed: the API shows no response and no level for it.
    assert {(a["response"], a["level"]) for a in body["answers"]} == {("", None)}
    assert body["scores"]["self"]["answered"] == 0 and body["scores"]["self"]["headline"] is None
    answer(carried, "HC-02", quito.editor, level=2)
    assert client.get(API).json()["results"][0]["answered"] == 1
    confirmed = [a for a in client.get(f"{API}{carried.pk}/").json()["answers"] if not a["carried_over"]]
    assert [a["indicator"] for a in confirmed] == ["HC-02"]


def test_submission_is_refused_until_every_carried_answer_is_confirmed(carried, quito, client):
    with pytest.raises(services.SubmissionRefused) as refused:
        services.round_submit(round=carried, actor=quito.approver)
    assert len(refused.value.problems) == 36
    assert {p.reason for p in refused.value.problems} == {"carried over from 2024, not confirmed yet"}

    *confirmed, last = services.round_indicators(carried)
    for indicator in confirmed:  # confirmed as they came (their evidence came over too)
        current = Answer.objects.get(round=carried, indicator=indicator)
        answer(
            carried,
            indicator.code,
            quito.editor,
            level=current.level,
            response=current.response,
            justification=current.justification,
        )
    client.force_login(quito.approver)
    page = client.post(reverse("round_submit", args=[carried.pk])).content.decode()
    assert f"{last.code}</a> ({last.dimension.name}): carried over from 2024, not confirmed yet" in page
    assert page.count("not confirmed yet") == 1
    carried.refresh_from_db()
    assert carried.status == Round.Status.DRAFT

    answer(carried, last.code, quito.editor, level=2)
    assert services.round_submit(round=carried, actor=quito.approver).status == Round.Status.SUBMITTED


# --- confirming ------------------------------------------------------------------------------------


def test_the_form_shows_a_carried_answer_with_its_badge_and_a_confirm_button(carried, quito, client):
    client.force_login(quito.editor)

    page = client.get(reverse("round_dimension", args=[carried.pk, "HC"])).content.decode()

    assert page.count("Carried over from 2024 — confirm or change") == 8
    assert 'name="HC-01-confirm" value="1"' in page
    assert 'id="HC-01-level-3" value="3" checked' in page and "The committee meets monthly." in page


def test_confirm_clears_the_mark_records_a_confirmation_and_updates_the_progress(carried, quito, client):
    client.force_login(quito.editor)

    response = _save(client, carried, "HC-01", "3", "The committee meets monthly.", **{"HC-01-confirm": "1"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Saved at" in body and "confirm or change" not in body
    assert 'id="revision-HC-01" value="1"' in body
    assert "1 of 8 answered" in body  # the progress bars, swapped out of band
    hc01 = Answer.objects.get(round=carried, indicator__code="HC-01")
    assert (hc01.carried_over, hc01.revision, hc01.level) == (False, 1, 3)
    last = AnswerRevision.objects.filter(answer=hc01).order_by("-id").first()
    assert answer_changes(last.old, last.new) == [{"field": "confirmed", "old": None, "new": None}]
    history = client.get(reverse("round_history", args=[carried.pk])).content.decode()
    assert "Carried-over answer confirmed" in history
    assert Round.objects.with_progress().get(pk=carried.pk).answered == 1


def test_confirm_without_javascript_redirects_back_to_the_answer_confirmed(carried, quito, client):
    client.force_login(quito.editor)

    response = _save(client, carried, "HC-03", "2", "", htmx=False, **{"HC-03-confirm": "1"})

    assert response.status_code == 302 and response.url.endswith("#indicator-HC-03")
    assert not Answer.objects.get(round=carried, indicator__code="HC-03").carried_over
    page = client.get(response.url).content.decode()
    assert "Your answer to HC-03 is confirmed." in page


def test_a_changed_save_by_a_person_confirms_the_answer_too(carried, quito, client):
    client.force_login(quito.editor)

    assert _save(client, carried, "HC-01", "4", "Now institutionalised.").status_code == 200

    hc01 = Answer.objects.get(round=carried, indicator__code="HC-01")
    assert (hc01.carried_over, hc01.level, hc01.justification) == (False, 4, "Now institutionalised.")
    changes = answer_changes(*AnswerRevision.objects.filter(answer=hc01).values_list("old", "new").last())
    assert [c["field"] for c in changes] == ["answer", "justification", "confirmed"]


def test_adding_evidence_to_a_carried_answer_does_not_confirm_it(carried, quito):
    services.evidence_add(
        round=carried,
        indicator=_indicator(carried, "HC-02"),
        actor=quito.editor,
        description="New decree",
        url="https://example.org/decree",
    )
    assert Answer.objects.get(round=carried, indicator__code="HC-02").carried_over


def test_the_round_page_says_how_many_answers_wait_for_confirmation_and_links_to_the_first(carried, quito, client):
    client.force_login(quito.editor)
    answer(carried, "HC-01", quito.editor, level=3, justification="Adopted in 2025.")

    page = client.get(reverse("round_detail", args=[carried.pk])).content.decode()

    assert "35 answers carried over from 2024 wait for confirmation" in page
    link = reverse("round_dimension", args=[carried.pk, "HC"])
    assert f'href="{link}#indicator-HC-02"' in page and f'href="{link}#indicator-HC-01"' not in page
    assert "and 30 more" in page


# --- refusals write nothing --------------------------------------------------------------------------


def test_starting_from_another_authoritys_round_is_refused_and_writes_nothing(earlier, quito, reviewer):
    lima = make_city("lima")
    MembershipFactory(authority=lima.authority, user=quito.approver, role=Membership.Role.APPROVER)
    before = (Round.objects.count(), Answer.objects.count(), Evidence.objects.count())

    with pytest.raises(services.WorkflowError, match="same authority"):
        services.round_create(authority=lima.authority, period="2025", actor=quito.approver, start_from=earlier)

    assert (Round.objects.count(), Answer.objects.count(), Evidence.objects.count()) == before


@pytest.mark.parametrize("period", ["2024", "2023"], ids=["same-period", "earlier-period"])
def test_starting_from_a_round_not_before_the_new_period_is_refused_and_writes_nothing(earlier, quito, period):
    before = Round.objects.count()
    with pytest.raises(services.WorkflowError):
        services.round_create(authority=quito.authority, period=period, actor=quito.approver, start_from=earlier)
    assert Round.objects.count() == before


def test_a_failure_while_carrying_over_leaves_no_round_and_no_stored_file(earlier, quito, monkeypatch, tmp_path):
    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(AnswerRevision.objects, "bulk_create", fail)
    files_before = {p for p in tmp_path.rglob("*") if p.is_file()}

    with pytest.raises(RuntimeError):
        services.round_create(authority=quito.authority, period="2025", actor=quito.approver, start_from=earlier)

    assert not Round.objects.filter(period="2025").exists()
    assert {p for p in tmp_path.rglob("*") if p.is_file()} == files_before


# --- the form to open a round ------------------------------------------------------------------------


def test_the_form_offers_the_latest_earlier_round_by_default_and_starting_empty(earlier, quito, client):
    client.force_login(quito.approver)

    form = client.get(reverse("round_create")).context["form"]

    field = form["start_from"]
    assert field.initial == str(earlier.pk)
    assert [label for _value, label in field.field.choices] == [
        "Start from the 2024 round (answers, justifications and evidence come over for you to confirm)",
        "Start empty",
    ]


def test_starting_empty_carries_nothing(earlier, quito, client):
    client.force_login(quito.approver)

    response = client.post(
        reverse("round_create"), {"authority": quito.authority.pk, "period": "2025", "start_from": ""}
    )

    assert response.status_code == 302
    round = Round.objects.get(authority=quito.authority, period="2025")
    assert round.started_from is None and not round.answers.exists()


@pytest.fixture
def two_cities(earlier, quito, reviewer):
    """Quito's approver also approves for Lima, which has a 2023 and a 2024 round; another city has one too."""
    lima = make_city("lima")
    MembershipFactory(authority=lima.authority, user=quito.approver, role=Membership.Role.APPROVER)
    lima_2023 = services.round_create(authority=lima.authority, period="2023", actor=lima.approver)
    answer(lima_2023, "HC-01", lima.editor, level=1)
    lima_2024 = services.round_create(authority=lima.authority, period="2024", actor=lima.approver)
    answer(lima_2024, "HC-01", lima.editor, level=2)
    elsewhere = make_city("cusco")
    foreign = services.round_create(authority=elsewhere.authority, period="2024", actor=elsewhere.approver)
    return lima, lima_2023, lima_2024, foreign


def test_with_several_authorities_the_latest_earlier_round_of_the_chosen_one_is_the_default(two_cities, quito, client):
    lima, _lima_2023, lima_2024, _foreign = two_cities
    client.force_login(quito.approver)

    page = client.get(reverse("round_create"))
    assert page.context["form"]["start_from"].initial == "latest"
    assert '<optgroup label="Lima">' in page.content.decode() and '<optgroup label="Quito">' in page.content.decode()

    response = client.post(
        reverse("round_create"), {"authority": lima.authority.pk, "period": "2025", "start_from": "latest"}
    )
    assert response.status_code == 302
    round = Round.objects.get(authority=lima.authority, period="2025")
    assert round.started_from == lima_2024
    assert Answer.objects.get(round=round).level == 2


def test_a_start_round_of_another_of_the_users_authorities_is_a_form_error_and_nothing_is_written(
    two_cities, quito, client
):
    _lima, _lima_2023, lima_2024, _foreign = two_cities
    client.force_login(quito.approver)

    response = client.post(
        reverse("round_create"), {"authority": quito.authority.pk, "period": "2025", "start_from": lima_2024.pk}
    )

    assert response.status_code == 200
    assert "The 2024 round you chose is Lima&#x27;s" in response.content.decode()
    assert not Round.objects.filter(period="2025").exists()


def test_a_start_round_the_user_may_not_see_is_a_form_error_and_nothing_is_written(two_cities, quito, client):
    _lima, _lima_2023, _lima_2024, foreign = two_cities
    client.force_login(quito.approver)

    response = client.post(
        reverse("round_create"), {"authority": quito.authority.pk, "period": "2025", "start_from": foreign.pk}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Round.objects.filter(period="2025").exists()


def test_a_start_round_not_before_the_period_is_a_form_error_and_nothing_is_written(two_cities, quito, client):
    _lima, _lima_2023, lima_2024, _foreign = two_cities
    client.force_login(quito.approver)

    response = client.post(
        reverse("round_create"), {"authority": lima_2024.authority_id, "period": "2022", "start_from": lima_2024.pk}
    )

    assert response.status_code == 200
    assert "Choose a round of a period before 2022, or start empty." in response.content.decode()
    assert not Round.objects.filter(period="2022").exists()


# --- query counts ------------------------------------------------------------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_form_and_round_pages_do_not_make_more_queries_with_more_carried_answers(quito, reviewer, client):
    """A round carried from a round with one answer, and one carried from a round with 36, cost the same."""
    small = services.round_create(authority=quito.authority, period="2020", actor=quito.approver)
    answer(small, "HC-01", quito.editor, level=3, evidence_url="https://example.org/a")
    answer(small, "HC-02", quito.editor, level=3, evidence_url="https://example.org/b")
    from_small = services.round_create(authority=quito.authority, period="2021", actor=quito.approver, start_from=small)
    full = _earlier(quito, reviewer, period="2022")
    from_full = services.round_create(authority=quito.authority, period="2023", actor=quito.approver, start_from=full)
    client.force_login(quito.editor)

    for name, args in [("round_dimension", ["HC"]), ("round_detail", [])]:
        few = _count(client, reverse(name, args=[from_small.pk, *args]))
        many = _count(client, reverse(name, args=[from_full.pk, *args]))
        assert many <= few, name


def test_the_open_a_round_form_makes_as_many_queries_with_ten_earlier_rounds_as_with_one(quito, client):
    client.force_login(quito.approver)
    services.round_create(authority=quito.authority, period="2000", actor=quito.approver)
    one = _count(client, reverse("round_create"))
    for year in range(2001, 2010):
        services.round_create(authority=quito.authority, period=str(year), actor=quito.approver)
    assert _count(client, reverse("round_create")) == one


def test_the_report_of_a_round_shows_a_carried_answer_as_unanswered_until_it_is_confirmed(carried, quito):
    """The PDF says what the city confirmed: a carried answer is neither its level nor its justification yet."""

    def hc01():
        round = Round.objects.select_related("authority", "version").get(pk=carried.pk)
        rows = {
            row["indicator"].code: row
            for s in report_context(round, "en", charts=None)["sections"]
            for row in s["rows"]
        }
        return rows["HC-01"]

    assert (hc01()["self"], hc01()["justification"]) == ("—", "")
    current = Answer.objects.get(round=carried, indicator__code="HC-01")
    answer(carried, "HC-01", quito.editor, level=current.level, justification=current.justification)
    assert hc01()["self"].startswith(f"{current.level} ·") and hc01()["justification"] == current.justification
