"""Query counts of the form, queue and review pages do not grow with indicators or rounds."""

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Answer, Comment, Evidence, ReviewItem, Round, Thread
from tests.factories import AuthorityFactory, DimensionFactory, IndicatorFactory, VersionFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db


def _catalogue(indicators_per_dimension: int):
    version = VersionFactory(published=True)
    for code in ("HC", "VC", "SP", "IN", "DE", "DC"):
        dimension = DimensionFactory(version=version, code=code)
        for n in range(indicators_per_dimension):
            IndicatorFactory(dimension=dimension, code=f"{code}-{n:02d}", complete=True)
    return version


def _answered_round(authority, version, user, status=Round.Status.SUBMITTED, period="2025"):
    round = Round.objects.create(
        authority=authority, version=version, period=period, status=status, submitted_at=timezone.now()
    )
    answers = Answer.objects.bulk_create(
        Answer(round=round, indicator=i, response="level", level=2, justification="x", revision=1, updated_by=user)
        for i in version.indicators.all()
    )
    Evidence.objects.bulk_create(
        Evidence(answer=a, url="https://example.org/e", description="e", added_by=user) for a in answers
    )
    return round


def _world(indicators_per_dimension: int, rounds: int):
    version = _catalogue(indicators_per_dimension)
    city = make_city(f"city-{indicators_per_dimension}-{rounds}")
    draft = services.round_create(authority=city.authority, period="2030", actor=city.approver, version=version)
    for indicator in version.indicators.all()[:5]:
        services.answer_save(
            round=draft,
            indicator=indicator,
            actor=city.editor,
            response="level",
            level=3,
            justification="j",
            base_revision=0,
        )
    submitted = _answered_round(city.authority, version, city.editor)
    for n in range(rounds):
        _answered_round(AuthorityFactory(), version, city.editor, period=str(2000 + n % 20))
    return city, draft, submitted


@pytest.mark.parametrize(("per_dimension", "rounds"), [(6, 10), (12, 100)], ids=["36x10", "72x100"])
def test_page_query_counts_stay_flat(client, reviewer, django_assert_max_num_queries, per_dimension, rounds):
    city, draft, _submitted = _world(per_dimension, rounds)

    client.force_login(city.editor)
    # A member's pages: the session and the user (2); every role of the user, which the checks and the menu read
    # (1: access.remember_roles); the round, saying whether it left a dimension out (1); the answer sheet's answers
    # with who saved them (1; a draft never submitted has no review items to ask for) and the indicators
    # consultations discussed (1: participation.evidence, which also tells participation.panels that no card needs
    # its consultations); the indicators' comment threads (1); the plan's actions (1: plans.panels); the first time
    # a process shows the catalogue version, 1 for its indicators (sheet.kept) and 2 for the examples and resources of
    # the guidance (views._catalogue_part keeps it): 3 fewer once warm (test_form_page.py)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("round_dimension", args=[draft.pk, "HC"])).status_code == 200
    # 2 of them for territories' home sections (rounds the user answers as counterpart; municipalities of theirs),
    # 1 for the work assigned to the user (collaboration; 3 more when there is some), 1 for the authorities whose
    # approver may invite colleagues (programme)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("home")).status_code == 200
    # one answer sheet for the progress and the scores (with the consulted indicators); 2 for the plan section
    # (access, actions: plans.panels); 6 for "Who took part" and "What stakeholders think" (participation);
    # 3 for the counterpart and the partner territories (territories); 1 for the open comment threads, 1 for the
    # approvers an editor is told will submit; 2 for "Who has what" (collaboration: the user's roles, the assignments)
    with django_assert_max_num_queries(26):
        assert client.get(reverse("round_detail", args=[draft.pk])).status_code == 200
    # 2 of them for the comments and resolved threads (their count and a page of them)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("round_history", args=[draft.pk])).status_code == 200
    client.force_login(city.approver)
    # 1 of them for the indicators consultations discussed (their evidence)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("round_submit", args=[draft.pk])).status_code == 200

    client.force_login(reviewer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("review_queue"))
    assert response.context["page"].paginator.count == rounds + 1


def _review_world(per_dimension: int, rounds: int):
    """A submitted round after an earlier validated one, a comment thread on every indicator, other cities' rounds."""
    city, _draft, submitted = _world(per_dimension, rounds)
    indicators = list(submitted.version.indicators.all())
    earlier = _answered_round(city.authority, submitted.version, city.editor, period="2024")
    Round.objects.filter(pk=earlier.pk).update(status=Round.Status.VALIDATED, validated_at=timezone.now())
    ReviewItem.objects.bulk_create(
        ReviewItem(round=earlier, indicator=i, validated_level=1, reviewer=city.editor) for i in indicators
    )
    threads = Thread.objects.bulk_create(Thread(round=submitted, indicator=i) for i in indicators)
    comments = Comment.objects.bulk_create(
        Comment(thread=t, author=city.editor, body=f"About {t.indicator.code} @{city.approver.username}", cycle=1)
        for t in threads
    )
    Comment.mentions.through.objects.bulk_create(
        Comment.mentions.through(comment_id=c.pk, user_id=city.approver.pk) for c in comments
    )
    return submitted


@pytest.mark.parametrize(("per_dimension", "rounds"), [(6, 10), (12, 100)], ids=["36x10", "72x100"])
def test_the_review_page_query_count_stays_flat(client, reviewer, django_assert_max_num_queries, per_dimension, rounds):
    submitted = _review_world(per_dimension, rounds)
    client.force_login(reviewer)
    url = reverse("round_review", args=[submitted.pk])

    # the session and the reviewer (4); the round and the reviewer's roles on it (2); the answer sheet and its
    # evidence (5); the last validated round, its answers and review items (3); the threads, their comments
    # and mentions (3); the plan's actions: 1 (plans.panels); consultations and perceptions beside each
    # indicator: 2 (participation); the counterpart's parts: 1 (territories); may the reviewer comment (1)
    with django_assert_max_num_queries(22):
        response = client.get(url)
    assert len(response.context["rows"]) == 6 * per_dimension
    assert "Validated in 2024" in response.content.decode()
    # A filter costs nothing more.
    with django_assert_max_num_queries(22):
        response = client.get(url + "?show=high")
    assert response.context["rows"] == []
