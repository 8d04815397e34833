"""The plan on the assessment pages: the round page's section, the form's and the review page's actions."""

from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Round
from plans import panels
from plans.models import Action, ActionComment, ActionUpdate
from tests.plans.factories import ActionFactory, PlanFactory
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db


def _action(round, targets, **fields) -> Action:
    return ActionFactory(plan=PlanFactory(authority=round.authority), origin_round=round, targets=targets, **fields)


def _form_page(round, code="HC") -> str:
    return reverse("round_dimension", args=[round.pk, code])


class _Forms(HTMLParser):
    """The page's forms: their ids, the ``form="…"`` attributes of controls, and whether any form nests in another."""

    def __init__(self, html: str):
        super().__init__()
        self.depth, self.nested, self.ids, self.owners = 0, False, [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.nested |= self.depth > 0
            self.depth += 1
            if attrs.get("id"):
                self.ids.append(attrs["id"])
        elif attrs.get("form"):
            self.owners.append(attrs["form"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.depth -= 1


def _validated_round(city, reviewer, period: str, levels: dict[str, int]) -> Round:
    round = services.round_create(authority=city.authority, period=period, actor=city.approver)
    answer_everything(round, city.editor)
    for code, level in levels.items():
        answer(round, code, city.editor, level=level)
    services.round_submit(round=round, actor=city.approver)
    return services.round_review(round=round, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)


# --- the round page ------------------------------------------------------------------------------


def test_the_authoritys_editor_sees_the_plan_section_with_the_suggestions_link(client, quito, draft):
    _action(draft, {"HC-02": 3}, title="Open a one-stop shop")
    client.force_login(quito.editor)

    page = client.get(reverse("round_detail", args=[draft.pk])).content.decode()

    assert "Improvement plan" in page
    assert "Open a one-stop shop" in page
    assert reverse("plan_detail", args=[quito.authority.slug]) in page
    assert reverse("plan_suggestions", args=[draft.pk]) in page


def test_a_reviewer_sees_the_plan_section_but_no_suggestions_link(client, quito, submitted, reviewer):
    _action(submitted, {"HC-02": 3}, title="Open a one-stop shop")
    client.force_login(reviewer)

    page = client.get(reverse("round_detail", args=[submitted.pk])).content.decode()

    assert "Open a one-stop shop" in page
    assert reverse("plan_suggestions", args=[submitted.pk]) not in page


def test_without_actions_the_section_says_so_and_offers_the_suggestions(client, quito, draft):
    client.force_login(quito.editor)

    page = client.get(reverse("round_detail", args=[draft.pk])).content.decode()

    assert "No action yet." in page
    assert reverse("plan_suggestions", args=[draft.pk]) in page


def test_another_citys_editor_gets_nothing_from_any_plan_filler(quito, draft):
    """The round itself is a 404 to them; the fillers, asked directly, show nothing of the plan either."""
    _action(draft, {"HC-02": 3})
    request = RequestFactory().get("/")
    request.user = make_city("lima").editor
    indicators = list(draft.version.indicators.all())

    assert panels.round_page_section(request, draft) == ""
    assert panels.indicator_card_parts(request, draft, indicators) == {}
    assert panels.review_indicator_parts(request, draft, indicators) == {}
    assert panels.review_page_forms(request, draft) == ""


def test_a_validated_round_shows_how_each_actions_indicators_moved(client, quito, reviewer):
    origin = _validated_round(quito, reviewer, "2024", {"HC-02": 1})
    _action(origin, {"HC-02": 3}, title="Train the front desk", status=Action.Status.IN_PROGRESS)
    later = _validated_round(quito, reviewer, "2025", {"HC-02": 3})
    client.force_login(quito.editor)

    page = client.get(reverse("round_detail", args=[later.pk])).content.decode()
    section = page[page.index('id="plan-heading"') :]

    assert "Train the front desk" in section
    assert "In progress" in section
    text = " ".join(section.split())
    assert "HC-02</span>: 1 → 3 (target 3, reached)" in text
    assert '<th scope="col">' in section and '<th scope="row"' in section


# --- the form ------------------------------------------------------------------------------------


def test_the_form_shows_a_linked_action_and_its_update_form_under_the_indicator(client, quito, draft):
    action = _action(draft, {"HC-02": 3}, title="Open a one-stop shop")
    client.force_login(quito.editor)

    page = client.get(_form_page(draft)).content.decode()
    card = page[page.index('id="indicator-HC-02"') : page.index('id="indicator-HC-03"')]

    assert "Actions on this indicator" in card
    assert "Open a one-stop shop" in card
    assert reverse("plan_update_add", args=[quito.authority.slug, action.pk]) in card
    assert f'name="next" value="{_form_page(draft)}#indicator-HC-02"' in card
    assert "Actions on this indicator" not in page[page.index('id="indicator-HC-03"') :]
    forms = _Forms(page)
    assert not forms.nested
    assert len(set(forms.ids)) == len(forms.ids)


def test_a_reviewer_reads_the_actions_on_the_form_without_an_update_form(client, quito, submitted, reviewer):
    action = _action(submitted, {"HC-02": 3}, title="Open a one-stop shop")
    client.force_login(reviewer)

    page = client.get(_form_page(submitted)).content.decode()

    assert "Open a one-stop shop" in page
    assert reverse("plan_update_add", args=[quito.authority.slug, action.pk]) not in page


def test_a_progress_update_posted_from_the_form_comes_back_to_the_indicator_and_is_listed(client, quito, draft):
    action = _action(draft, {"HC-02": 3})
    client.force_login(quito.editor)
    back = f"{_form_page(draft)}#indicator-HC-02"

    response = client.post(
        reverse("plan_update_add", args=[quito.authority.slug, action.pk]),
        {
            "text": "The desk opened in March.",
            "date": timezone.localdate().isoformat(),
            "round": draft.pk,
            "next": back,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == back
    assert ActionUpdate.objects.get(action=action).round == draft
    assert "The desk opened in March." in client.get(_form_page(draft)).content.decode()


def test_the_form_leaves_out_actions_closed_before_this_round(client, quito, draft):
    _action(draft, {"HC-02": 3}, title="Still running")
    _action(draft, {"HC-02": 3}, title="Finished long ago", status=Action.Status.DONE)
    client.force_login(quito.editor)

    page = client.get(_form_page(draft)).content.decode()

    assert "Still running" in page
    assert "Finished long ago" not in page


# --- the review page -----------------------------------------------------------------------------


def test_the_review_page_lists_the_actions_with_a_comment_field_whose_form_is_outside_the_review_form(
    client, quito, submitted, reviewer
):
    action = _action(submitted, {"HC-02": 3, "VC-01": 2}, title="Open a one-stop shop")
    ActionUpdate.objects.create(action=action, round=submitted, text="Desk staffed.", author=quito.editor)
    client.force_login(reviewer)

    page = client.get(reverse("round_review", args=[submitted.pk])).content.decode()

    assert page.count("Open a one-stop shop") >= 2  # under HC-02 and under VC-01
    assert "Desk staffed." in page
    forms = _Forms(page)
    assert not forms.nested
    assert forms.owners.count(f"comment-{action.pk}") == 2  # the textarea and its button, once
    assert forms.ids.count(f"comment-{action.pk}") == 1
    assert set(forms.owners) <= set(forms.ids)
    assert page.index(f'<form id="comment-{action.pk}"') > page.index(
        "</form>", page.index('name="action" value="validate"')
    )


def test_a_comment_posted_from_the_review_page_comes_back_and_is_listed(client, quito, submitted, reviewer):
    action = _action(submitted, {"HC-02": 3})
    client.force_login(reviewer)
    page = client.get(reverse("round_review", args=[submitted.pk])).content.decode()
    back = f"{reverse('round_review', args=[submitted.pk])}#review-action-{action.pk}"
    assert f'name="next" value="{back}"' in page

    response = client.post(
        reverse("plan_comment_add", args=[quito.authority.slug, action.pk]),
        {"text": "Add the opening hours.", "round": submitted.pk, "next": back},
    )

    assert response["Location"] == back
    assert ActionComment.objects.get(action=action).round == submitted
    assert "Add the opening hours." in client.get(reverse("round_review", args=[submitted.pk])).content.decode()


def test_with_javascript_a_reviewers_comment_replaces_only_its_box_so_the_review_decisions_stay(
    client, quito, submitted, reviewer
):
    """htmx posts the comment form and swaps the action's comment box: the review form around it is not reloaded."""
    action = _action(submitted, {"HC-02": 3})
    client.force_login(reviewer)
    page = client.get(reverse("round_review", args=[submitted.pk])).content.decode()
    url = reverse("plan_comment_add", args=[quito.authority.slug, action.pk])
    assert f'hx-post="{url}" hx-target="#review-comments-{action.pk}" hx-swap="outerHTML"' in page
    assert page.count(f'id="review-comments-{action.pk}"') == 1

    added = client.post(url, {"text": "Add the opening hours.", "round": submitted.pk}, headers={"HX-Request": "true"})
    refused = client.post(url, {"text": "x" * 5001, "round": submitted.pk}, headers={"HX-Request": "true"})

    assert added.status_code == 200 and "<html" not in added.content.decode()
    box = added.content.decode()
    assert f'id="review-comments-{action.pk}"' in box and "Add the opening hours." in box
    assert "Your comment is added." in box
    assert refused.status_code == 422 and 'role="alert"' in refused.content.decode()
    assert "x" * 5001 in refused.content.decode()  # the text is kept for correcting
    assert list(ActionComment.objects.filter(action=action).values_list("text", flat=True)) == [
        "Add the opening hours."
    ]


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_the_form_and_review_pages_cost_the_same_queries_for_2_or_20_actions(
    client, quito, submitted, reviewer, count, django_assert_max_num_queries
):
    for n in range(count):
        action = _action(submitted, {"HC-02": 3, "HC-03": 2, "VC-01": 2}, title=f"Action {n}")
        ActionUpdate.objects.create(action=action, round=submitted, text=f"Update {n}", author=quito.editor)
        ActionComment.objects.create(action=action, round=submitted, text=f"Comment {n}", author=reviewer)

    client.force_login(quito.editor)
    with django_assert_max_num_queries(FORM_QUERIES):
        page = client.get(_form_page(submitted)).content.decode()
    assert f"Action {count - 1}" in page
    client.force_login(reviewer)
    with django_assert_max_num_queries(REVIEW_QUERIES):
        page = client.get(reverse("round_review", args=[submitted.pk])).content.decode()
    assert f"Comment {count - 1}" in page
    with django_assert_max_num_queries(ROUND_QUERIES):
        page = client.get(reverse("round_detail", args=[submitted.pk])).content.decode()
    assert f"Action {count - 1}" in page


@pytest.mark.parametrize("count", [2, 20])
def test_a_validated_round_page_costs_the_same_queries_for_2_or_20_actions(
    client, quito, validated, count, django_assert_max_num_queries
):
    for n in range(count):
        _action(validated, {"HC-02": 3, "VC-01": 2}, title=f"Action {n}", status=Action.Status.DONE)
    client.force_login(quito.editor)

    with django_assert_max_num_queries(VALIDATED_ROUND_QUERIES):
        page = client.get(reverse("round_detail", args=[validated.pk])).content.decode()
    assert f"Action {count - 1}" in page


# Whole pages; of them, the plan's: the form 4 (access, actions, their links, their updates), the review page
# 6 (those, the updates' authors, the comments), the round page 4, and 2 more once validated (answers and
# review items of the rounds involved, for the movements).
# A member's pages (the form, the validated round) pay 1 more for the menu's link to the improvement plans
# (base.html asks whether a person who is not a reviewer is a member anywhere); reviewers' pages do not.
# participation's panels and evidence (the consultations, the survey) and territories' (the counterpart,
# partners) add a constant few to each page; the comment threads 1 to the form (collaboration's panels show
# only while a round is open).
FORM_QUERIES = 25
REVIEW_QUERIES = 23  # with the last validated round's levels and the comment threads
ROUND_QUERIES = 23  # with the open comment threads
VALIDATED_ROUND_QUERIES = 25


def test_a_progress_update_whose_file_the_store_refuses_is_a_form_error_and_not_recorded(
    client, quito, draft, settings, tmp_path
):
    action = _action(draft, {"HC-02": 3})
    blocker = tmp_path / "not-a-folder"  # a file where the media folder should be: the disk refuses every write
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker
    client.force_login(quito.editor)

    response = client.post(
        reverse("plan_update_add", args=[quito.authority.slug, action.pk]),
        {
            "text": "The desk opened in March.",
            "date": timezone.localdate().isoformat(),
            "file": SimpleUploadedFile("minutes.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
        },
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "The file could not be stored: the file store is unavailable." in page
    assert "The desk opened in March." in page  # what was typed stays in the form
    assert not ActionUpdate.objects.exists()
