"""Moving an open round to a newer edition of its catalogue: answers follow the crosswalk, never silently changed.

Quito's 2025 round is on edition 1. Edition 2 (``tests/indicators/editions.py``) rewords HC-01 (same),
splits HC-03 into HC-03 and HC-09, merges VC-05 and VC-06 into VC-05, adds SP-07 and retires DE-05.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import services
from assessments.access import AccessDenied
from assessments.models import Answer, AnswerRevision, Evidence, ReviewItem, Round, StatusEvent, Thread
from indicators import services as catalogue_services
from indicators.models import CatalogueVersion, Dimension, Indicator
from tests.factories import UserFactory
from tests.indicators.editions import second_edition
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def edition(catalogue) -> CatalogueVersion:
    return second_edition(catalogue)


def _indicator(round: Round, code: str) -> Indicator:
    return Indicator.objects.get(version_id=round.version_id, code=code)


def _answers(round: Round) -> dict[str, Answer]:
    return {a.indicator.code: a for a in Answer.objects.filter(round=round).select_related("indicator")}


def _file(round: Round, code: str, user, name: str = "minutes.pdf") -> Evidence:
    return services.evidence_add(
        round=round,
        indicator=_indicator(round, code),
        actor=user,
        description=f"Minutes for {code}",
        file=SimpleUploadedFile(name, PDF),
    )


def _move(round: Round, edition: CatalogueVersion, actor) -> Round:
    services.round_move_to_edition(round=round, version=edition, actor=actor)
    round.refresh_from_db()
    return round


def _everything(round: Round) -> dict:
    """What a refused move must leave as it was."""
    return {
        "round": Round.objects.filter(pk=round.pk).values("version_id", "status").get(),
        "answers": sorted(
            Answer.objects.filter(round=round).values_list(
                "pk", "indicator_id", "response", "level", "justification", "carried_over", "revision"
            )
        ),
        "evidence": sorted(Evidence.objects.filter(answer__round=round).values_list("pk", "answer_id", "file", "url")),
        "revisions": AnswerRevision.objects.filter(answer__round=round).count(),
        "events": StatusEvent.objects.filter(round=round).count(),
        "threads": sorted(Thread.objects.filter(round=round).values_list("pk", "indicator_id", "resolved_at")),
        "items": sorted(ReviewItem.objects.filter(round=round).values_list("pk", "indicator_id", "returned")),
    }


# --- what becomes of each answer ----------------------------------------------------------------------


def test_a_same_indicator_keeps_its_answer_evidence_and_history_unchanged(draft, quito, edition):
    answer(draft, "HC-01", quito.editor, level=3, justification="The committee meets monthly.")
    _file(draft, "HC-01", quito.editor)
    services.evidence_add(
        round=draft, indicator=_indicator(draft, "HC-01"), actor=quito.editor, description="Site", url="https://x.org/"
    )
    before = Answer.objects.get(round=draft, indicator__code="HC-01")
    files = sorted(Evidence.objects.filter(answer=before).values_list("pk", "file", "url"))
    history = list(AnswerRevision.objects.filter(answer=before).values_list("pk", "new"))

    round = _move(draft, edition, quito.approver)

    after = _answers(round)["HC-01"]
    assert round.version == edition and after.indicator.version == edition
    assert after.pk == before.pk and after.revision == before.revision
    assert (after.response, after.level, after.justification, after.carried_over) == (
        "level",
        3,
        "The committee meets monthly.",
        False,
    )
    assert sorted(Evidence.objects.filter(answer=after).values_list("pk", "file", "url")) == files
    assert list(AnswerRevision.objects.filter(answer=after).values_list("pk", "new")) == history


def test_an_answer_still_waiting_for_confirmation_keeps_waiting_after_a_move(draft, quito, edition):
    answer(draft, "HC-02", quito.editor, level=1)
    Answer.objects.filter(round=draft, indicator__code="HC-02").update(carried_over=True)

    round = _move(draft, edition, quito.approver)

    assert _answers(round)["HC-02"].carried_over is True


def test_each_part_of_a_split_gets_the_answer_marked_to_check_with_the_same_evidence_file(draft, quito, edition):
    answer(draft, "HC-03", quito.editor, level=2, justification="Two departments share it.")
    evidence = _file(draft, "HC-03", quito.editor)

    round = _move(draft, edition, quito.approver)

    answers = _answers(round)
    for code in ("HC-03", "HC-09"):
        part = answers[code]
        assert (part.response, part.level, part.justification, part.carried_over) == (
            "level",
            2,
            "Two departments share it.",
            True,
        ), code
        assert [e.file.name for e in part.evidence.all()] == [evidence.file.name], code
    assert len(list(evidence.file.storage.listdir(f"evidence/{round.pk}")[1])) == 1  # one stored file for both


def test_a_split_removes_the_shared_file_only_with_its_last_piece_of_evidence(
    draft, quito, edition, django_capture_on_commit_callbacks
):
    answer(draft, "HC-03", quito.editor, level=2, justification="Two departments share it.")
    evidence = _file(draft, "HC-03", quito.editor)
    round = _move(draft, edition, quito.approver)
    pieces = list(Evidence.objects.filter(answer__round=round, file=evidence.file.name))
    assert len(pieces) == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_remove(evidence=pieces[0], actor=quito.editor)
    assert evidence.file.storage.exists(evidence.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_remove(evidence=pieces[1], actor=quito.editor)
    assert not evidence.file.storage.exists(evidence.file.name)


def test_a_split_part_that_does_not_allow_not_applicable_gets_no_answer_but_a_note(draft, quito, edition):
    """HC-03 allows N/A; HC-09, its new part, does not: the N/A is proposed only where it is allowed."""
    answer(draft, "HC-03", quito.editor, response="na", justification="No such body here.")

    round = _move(draft, edition, quito.approver)

    answers = _answers(round)
    assert (answers["HC-03"].response, answers["HC-03"].carried_over) == ("na", True)
    hc09 = answers["HC-09"]
    assert (hc09.response, hc09.level, hc09.carried_over) == ("", None, True)
    assert "No such body here." in hc09.justification and "choose a level" in hc09.justification


def test_a_merge_of_agreeing_answers_proposes_their_answer_marked_to_check(draft, quito, edition):
    answer(draft, "VC-05", quito.editor, level=2, justification="Funds are earmarked.", evidence_url="https://a.org/")
    answer(draft, "VC-06", quito.editor, level=2, justification="Funds are earmarked.", evidence_url="https://b.org/")
    vc06_history = AnswerRevision.objects.filter(answer__round=draft, answer__indicator__code="VC-06").count()

    round = _move(draft, edition, quito.approver)

    merged = _answers(round)["VC-05"]
    assert (merged.response, merged.level, merged.justification, merged.carried_over) == (
        "level",
        2,
        "Funds are earmarked.",
        True,
    )
    assert sorted(e.url for e in merged.evidence.all()) == ["https://a.org/", "https://b.org/"]
    assert "VC-06" not in _answers(round)
    # VC-06's history is not lost: the merged answer continues it.
    assert AnswerRevision.objects.filter(answer=merged).count() >= vc06_history + 1


def test_a_merge_of_differing_answers_proposes_no_level_and_names_each_earlier_answer(draft, quito, edition):
    answer(draft, "VC-05", quito.editor, level=3, justification="A fund exists.")
    answer(draft, "VC-06", quito.editor, level=1, justification="Only plans.")

    round = _move(draft, edition, quito.approver)

    merged = _answers(round)["VC-05"]
    assert (merged.response, merged.level, merged.carried_over) == ("", None, True)
    assert "VC-05: 3" in merged.justification and "VC-06: 1" in merged.justification
    assert "A fund exists." in merged.justification and "Only plans." in merged.justification
    revision = AnswerRevision.objects.filter(answer=merged).order_by("-changed_at", "-id").first()
    assert (revision.changed_by, revision.old["level"], revision.new["level"]) == (quito.approver, 3, None)


def test_a_merge_where_one_earlier_indicator_is_unanswered_proposes_no_level(draft, quito, edition):
    answer(draft, "VC-06", quito.editor, level=2)

    round = _move(draft, edition, quito.approver)

    merged = _answers(round)["VC-05"]
    assert (merged.response, merged.level, merged.carried_over) == ("", None, True)


def test_a_new_indicator_starts_unanswered(draft, quito, edition):
    answer_everything(draft, quito.editor)

    round = _move(draft, edition, quito.approver)

    assert "SP-07" not in _answers(round)
    assert Answer.objects.filter(round=round).exclude(indicator__version=edition).count() == 0


def test_a_retired_indicator_s_answer_leaves_the_round_and_the_history_keeps_it(
    draft, quito, edition, django_capture_on_commit_callbacks
):
    answer(draft, "DE-05", quito.editor, level=2, justification="A twinning agreement with Lyon.")
    evidence = _file(draft, "DE-05", quito.editor, name="twinning.pdf")

    with django_capture_on_commit_callbacks(execute=True):
        round = _move(draft, edition, quito.approver)

    assert not Answer.objects.filter(round=round, indicator__code="DE-05").exists()
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    note = StatusEvent.objects.filter(round=round).last().note
    assert "DE-05" in note and "2 · " in note and "A twinning agreement with Lyon." in note
    assert "twinning.pdf" in note


def test_the_history_says_what_the_move_carried_marked_and_dropped(draft, quito, edition, client):
    answer_everything(draft, quito.editor)

    round = _move(draft, edition, quito.approver)

    event = StatusEvent.objects.filter(round=round).last()
    assert (event.actor, event.from_status, event.to_status) == (quito.approver, "draft", "draft")
    assert event.note.startswith("Moved from edition 1 to edition 2 of the catalogue.")
    assert "Carried over unchanged: HC-01, HC-02," in event.note
    assert "HC-03 (split from HC-03); HC-09 (split from HC-03)" in event.note
    assert "VC-05 (merged from VC-05, VC-06, which agreed)" in event.note
    assert "New, unanswered: SP-07." in event.note and "Retired: DE-05." in event.note
    client.force_login(quito.editor)
    page = client.get(reverse("round_history", args=[round.pk])).content.decode()
    assert "Moved from edition 1 to edition 2" in page


def test_an_optional_dimension_left_out_stays_out_by_code(draft, quito, edition):
    dc = Dimension.objects.get(version=draft.version, code="DC")
    services.round_dimension_toggle(round=draft, dimension=dc, actor=quito.editor)

    round = _move(draft, edition, quito.approver)

    assert list(round.omitted_dimensions.values_list("version_id", "code")) == [(edition.pk, "DC")]


def test_threads_follow_same_indicators_and_those_of_retired_ones_are_resolved_but_kept(draft, quito, edition):
    services.comment_add(round=draft, indicator=_indicator(draft, "HC-01"), actor=quito.editor, body="Who chairs it?")
    services.comment_add(round=draft, indicator=_indicator(draft, "DE-05"), actor=quito.editor, body="Still valid?")

    round = _move(draft, edition, quito.approver)

    hc01 = Thread.objects.get(round=round, indicator__code="HC-01")
    assert hc01.indicator.version == edition and hc01.is_open
    de05 = Thread.objects.get(round=round, indicator__code="DE-05")
    assert de05.indicator.version.number == 1 and not de05.is_open
    assert de05.resolved_by == quito.approver
    assert [c.body for c in de05.comments.all()] == ["Still valid?"]


def test_a_round_moves_across_two_editions_at_once_and_is_offered_the_newest(draft, quito, edition, client):
    third = catalogue_services.version_publish(version=catalogue_services.version_copy_to_draft(version=edition))
    answer(draft, "HC-03", quito.editor, level=2, justification="Two departments share it.")
    answer(draft, "HC-01", quito.editor, level=3, justification="The committee meets monthly.")
    client.force_login(quito.approver)
    assert f"?version={third.pk}" in client.get(reverse("round_detail", args=[draft.pk])).content.decode()

    round = _move(draft, third, quito.approver)

    answers = _answers(round)
    assert {a.indicator.version_id for a in answers.values()} == {third.pk}
    assert (answers["HC-01"].level, answers["HC-01"].carried_over) == (3, False)
    assert {code for code, a in answers.items() if a.carried_over} == {"HC-03", "HC-09"}
    assert StatusEvent.objects.filter(round=round).last().note.startswith("Moved from edition 1 to edition 3")


# --- the city confirms what was marked ---------------------------------------------------------------


def test_the_round_cannot_be_submitted_until_the_marked_answers_are_confirmed(draft, quito, edition):
    answer_everything(draft, quito.editor)
    round = _move(draft, edition, quito.approver)

    with pytest.raises(services.SubmissionRefused) as refused:
        services.round_submit(round=round, actor=quito.approver)
    reasons = {item.indicator.code: item.reason for item in refused.value.problems}
    assert set(reasons) == {"HC-03", "HC-09", "VC-05", "SP-07"}
    assert "not confirmed" in reasons["HC-09"] and reasons["SP-07"] == "not answered"

    for code in ("HC-03", "HC-09", "VC-05"):
        current = _answers(round)[code]
        services.answer_save(
            round=round,
            indicator=current.indicator,
            actor=quito.editor,
            response=current.response,
            level=current.level,
            justification=current.justification,
            base_revision=current.revision,
        )
    answer(round, "SP-07", quito.editor, level=2, evidence_url="https://example.org/sp07.pdf")
    assert services.round_submit(round=round, actor=quito.approver).status == "submitted"


def test_the_form_shows_the_marked_answers_for_the_city_to_confirm(draft, quito, edition, client):
    answer_everything(draft, quito.editor)
    round = _move(draft, edition, quito.approver)
    client.force_login(quito.editor)

    page = client.get(reverse("round_detail", args=[round.pk])).content.decode()

    assert 'id="carried"' in page and "HC-09" in page


def test_the_form_asks_to_confirm_each_part_of_a_split_and_a_confirmation_clears_the_mark(
    draft, quito, edition, client
):
    answer(draft, "HC-03", quito.editor, level=1, justification="Only informal meetings.")
    round = _move(draft, edition, quito.approver)
    client.force_login(quito.editor)

    page = client.get(reverse("round_dimension", args=[round.pk, "HC"])).content.decode()
    assert 'name="HC-03-confirm" value="1"' in page and 'name="HC-09-confirm" value="1"' in page
    assert 'name="HC-01-confirm"' not in page

    hc09 = _answers(round)["HC-09"]
    response = client.post(
        reverse("answer_save", args=[round.pk, "HC-09"]),
        {
            "HC-09-choice": "1",
            "HC-09-justification": hc09.justification,
            "HC-09-revision": hc09.revision,
            "HC-09-confirm": "1",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert _answers(round)["HC-09"].carried_over is False
    assert _answers(round)["HC-03"].carried_over is True


def test_a_returned_round_returns_every_indicator_the_move_left_to_answer_or_confirm(
    submitted, quito, reviewer, edition
):
    hc01 = _indicator(submitted, "HC-01")
    decision = services.Decision(comment="Say who chairs it.", send_back=True)
    services.round_review(
        round=submitted, actor=reviewer, decisions={hc01.pk: decision}, action=services.ReviewAction.RETURN
    )

    round = _move(submitted, edition, quito.approver)

    assert round.status == "returned"
    returned = set(ReviewItem.objects.filter(round=round, returned=True).values_list("indicator__code", flat=True))
    assert returned == {"HC-01", "HC-03", "HC-09", "VC-05", "SP-07"}
    assert not ReviewItem.objects.filter(round=round).exclude(indicator__version=edition).exists()
    assert ReviewItem.objects.get(round=round, indicator__code="HC-01").comment == "Say who chairs it."
    # The marked answers can be confirmed, the new one answered, and the round resubmitted.
    for code in ("HC-03", "HC-09", "VC-05"):
        current = _answers(round)[code]
        services.answer_save(
            round=round,
            indicator=current.indicator,
            actor=quito.editor,
            response=current.response,
            level=current.level,
            justification=current.justification,
            base_revision=current.revision,
        )
    answer(round, "SP-07", quito.editor, level=2, evidence_url="https://example.org/sp07.pdf")
    assert services.round_submit(round=round, actor=quito.approver).status == "submitted"


# --- refusals: nothing changes -------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["submitted", "validated"])
def test_a_locked_round_is_not_moved(request, quito, edition, status):
    round = request.getfixturevalue(status)
    before = _everything(round)

    with pytest.raises(services.WorkflowError, match="Only a draft or returned round"):
        services.round_move_to_edition(round=round, version=edition, actor=quito.approver)

    assert _everything(round) == before


def test_an_unpublished_edition_is_refused(draft, quito, catalogue):
    answer_everything(draft, quito.editor)
    unpublished = second_edition(catalogue, publish=False)
    before = _everything(draft)

    with pytest.raises(services.WorkflowError, match="Only a published edition"):
        services.round_move_to_edition(round=draft, version=unpublished, actor=quito.approver)

    assert _everything(draft) == before


def test_the_same_edition_is_refused(draft, quito, catalogue):
    before = _everything(draft)

    with pytest.raises(services.WorkflowError, match="already on edition 1"):
        services.round_move_to_edition(round=draft, version=catalogue, actor=quito.approver)

    assert _everything(draft) == before


def test_an_older_edition_is_refused(quito, catalogue, edition):
    round = services.round_create(authority=quito.authority, period="2026", actor=quito.approver, version=edition)
    answer_everything(round, quito.editor)
    before = _everything(round)

    with pytest.raises(services.WorkflowError, match="not newer"):
        services.round_move_to_edition(round=round, version=catalogue, actor=quito.approver)

    assert _everything(round) == before


def test_an_edition_of_another_line_is_refused(quito, catalogue, edition):
    """Edition 3, copied from edition 1 beside edition 2, does not continue a round on edition 2."""
    beside = catalogue_services.version_publish(version=catalogue_services.version_copy_to_draft(version=catalogue))
    round = services.round_create(authority=quito.authority, period="2026", actor=quito.approver, version=edition)
    before = _everything(round)

    with pytest.raises(services.WorkflowError, match="does not continue"):
        services.round_move_to_edition(round=round, version=beside, actor=quito.approver)

    assert _everything(round) == before


def test_an_editor_may_not_move_the_round(draft, quito, edition):
    before = _everything(draft)

    with pytest.raises(AccessDenied):
        services.round_move_to_edition(round=draft, version=edition, actor=quito.editor)

    assert _everything(draft) == before


def test_a_failure_halfway_leaves_nothing_half_written(draft, quito, edition, monkeypatch):
    answer_everything(draft, quito.editor)
    answer(draft, "VC-06", quito.editor, level=3)
    before = _everything(draft)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(StatusEvent.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.round_move_to_edition(round=draft, version=edition, actor=quito.approver)

    assert _everything(draft) == before


# --- the pages ------------------------------------------------------------------------------------------


def test_the_round_page_offers_the_newer_edition_to_an_approver_with_what_would_happen(draft, quito, edition, client):
    answer_everything(draft, quito.editor)
    answer(draft, "DE-05", quito.editor, level=2, justification="Twinning.")
    client.force_login(quito.approver)

    page = client.get(reverse("round_detail", args=[draft.pk])).content.decode()

    assert "A newer catalogue edition is available" in page
    assert "32 answers move unchanged" in page
    assert "3 answers carried over for you to check and confirm" in page
    assert "1 new indicator to answer: SP-07" in page and "1 indicator retired: DE-05" in page
    assert reverse("round_move", args=[draft.pk]) in page


def test_an_editor_is_not_offered_the_move_and_is_refused_it(draft, quito, edition, client):
    client.force_login(quito.editor)

    assert "A newer catalogue edition" not in client.get(reverse("round_detail", args=[draft.pk])).content.decode()
    assert client.get(reverse("round_move", args=[draft.pk])).status_code == 403
    response = client.post(reverse("round_move", args=[draft.pk]), {"version": edition.pk, "confirm": "yes"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.version_id != edition.pk


def test_the_round_page_offers_nothing_when_no_newer_edition_exists(draft, quito, client):
    client.force_login(quito.approver)

    assert "A newer catalogue edition" not in client.get(reverse("round_detail", args=[draft.pk])).content.decode()
    assert client.get(reverse("round_move", args=[draft.pk])).status_code == 404


def test_another_city_s_approver_gets_a_404_and_nothing_changes(draft, quito, edition, client):
    answer_everything(draft, quito.editor)
    other = make_city("lima")
    before = _everything(draft)
    client.force_login(other.approver)

    assert client.get(reverse("round_move", args=[draft.pk])).status_code == 404
    response = client.post(reverse("round_move", args=[draft.pk]), {"version": edition.pk, "confirm": "yes"})

    assert response.status_code == 404
    assert _everything(draft) == before


def test_a_reviewer_may_read_a_returned_round_but_not_move_it(submitted, reviewer, edition, client):
    services.round_review(
        round=submitted,
        actor=reviewer,
        decisions={_indicator(submitted, "HC-01").pk: services.Decision(comment="Why?", send_back=True)},
        action=services.ReviewAction.RETURN,
    )
    client.force_login(reviewer)

    assert client.get(reverse("round_move", args=[submitted.pk])).status_code == 403
    assert client.post(reverse("round_move", args=[submitted.pk]), {"version": edition.pk}).status_code == 403


def test_the_preview_says_what_would_happen_and_moving_needs_the_box_ticked(draft, quito, edition, client):
    answer_everything(draft, quito.editor)
    before = _everything(draft)
    client.force_login(quito.approver)
    url = reverse("round_move", args=[draft.pk])

    preview = client.get(url)
    assert preview.status_code == 200
    assert "HC-09" in preview.content.decode() and "split from HC-03" in preview.content.decode()
    unticked = client.post(url, {"version": edition.pk})
    assert unticked.status_code == 422 and "Tick the box" in unticked.content.decode()
    assert _everything(draft) == before

    moved = client.post(url, {"version": edition.pk, "confirm": "yes"}, follow=True)

    assert moved.redirect_chain[-1][0] == reverse("round_detail", args=[draft.pk])
    assert "The round is now on edition 2" in moved.content.decode()
    draft.refresh_from_db()
    assert draft.version == edition


@pytest.mark.parametrize("version", ["", "abc", "999999"])
def test_a_bad_edition_in_the_form_is_a_4xx(draft, quito, edition, client, version):
    client.force_login(quito.approver)

    response = client.post(reverse("round_move", args=[draft.pk]), {"version": version, "confirm": "yes"})

    if version == "":  # none given: the newest edition that continues the round's
        assert response.status_code == 302
    else:
        assert response.status_code == 404


def test_moving_to_the_round_s_own_or_an_unpublished_edition_through_the_page_is_refused(
    draft, quito, catalogue, client
):
    unpublished = second_edition(catalogue, publish=False)
    client.force_login(quito.approver)

    for version in (catalogue, unpublished):
        response = client.post(reverse("round_move", args=[draft.pk]), {"version": version.pk, "confirm": "yes"})
        assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.version == catalogue


def test_an_administrator_may_move_any_authority_s_round(draft, edition, client):
    admin = UserFactory(username="ada", is_superuser=True, is_staff=True)
    client.force_login(admin)

    response = client.post(reverse("round_move", args=[draft.pk]), {"version": edition.pk, "confirm": "yes"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.version == edition


def test_the_preview_reads_in_a_bounded_number_of_queries(draft, quito, edition, client, django_assert_max_num_queries):
    answer_everything(draft, quito.editor)
    answer(draft, "DE-05", quito.editor, level=2, justification="Twinning.", evidence_url="https://x.org/de05")
    client.force_login(quito.approver)

    # The session, the user and their permissions (3), the round, the user's role, the editions, the crosswalk
    # (3), the answers, the later indicators, the retired answers' evidence, the dimensions left out, the menu's
    # membership: 15 whatever the size of the catalogue, with a link to the chosen edition one more.
    with django_assert_max_num_queries(15):
        assert client.get(reverse("round_move", args=[draft.pk])).status_code == 200
