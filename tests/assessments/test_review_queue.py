"""The reviewer's queue: its order, and what one page costs whatever the number of rounds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Answer, Round
from tests.factories import AuthorityFactory

pytestmark = pytest.mark.django_db

# The session, the reviewer and their permissions (4); the filters' countries and periods (2); the
# page's rounds and their count (2). The progress bars cost nothing more: they come with the page.
QUEUE_QUERIES = 8


def _rounds(version, statuses: list[str], *, start: int = 0) -> list[Round]:
    """One round per status, each of another authority, submitted a day apart (the latest last)."""
    now = timezone.now()
    rounds = []
    for n, status in enumerate(statuses, start=start):
        authority = AuthorityFactory(name=f"Queue City {n:03d}", slug=f"queue-{n:03d}")
        rounds.append(
            Round(
                authority=authority,
                version=version,
                period="2025",
                status=status,
                submitted_at=None if status == Round.Status.DRAFT else now - timedelta(days=100 - n),
                validated_at=now if status == Round.Status.VALIDATED else None,
                submission_count=0 if status == Round.Status.DRAFT else 1,
            )
        )
    return Round.objects.bulk_create(rounds)


def test_the_queue_lists_submitted_rounds_first_latest_first_then_the_others(client, catalogue, reviewer):
    S = Round.Status
    older, returned, newer, validated, _draft = _rounds(
        catalogue, [S.SUBMITTED, S.RETURNED, S.SUBMITTED, S.VALIDATED, S.DRAFT]
    )
    indicators = list(catalogue.indicators.all()[:3])
    Answer.objects.bulk_create(
        Answer(round=newer, indicator=i, response="level", level=2, justification="j", revision=1) for i in indicators
    )
    client.force_login(reviewer)

    page = client.get(reverse("review_queue")).context["page"]

    assert [r.pk for r in page] == [newer.pk, older.pk, validated.pk, returned.pk]
    assert (page[0].answered, page[0].indicator_total) == (3, catalogue.indicators.count())
    assert page[1].answered == 0


@pytest.mark.parametrize("rounds", [30, 80])
def test_a_page_of_the_queue_costs_the_same_queries_for_30_or_80_rounds(
    client, catalogue, reviewer, django_assert_max_num_queries, rounds
):
    _rounds(catalogue, [Round.Status.SUBMITTED] * rounds)
    client.force_login(reviewer)

    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("review_queue"), {"page": 2})

    assert response.context["page"].paginator.count == rounds
    assert len(response.context["page"]) == min(25, rounds - 25)


def test_the_queue_counts_its_rounds_without_their_progress(client, catalogue, reviewer):
    _rounds(catalogue, [Round.Status.SUBMITTED] * 30)
    client.force_login(reviewer)

    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("review_queue")).status_code == 200

    [count] = [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT(*)")]
    assert "assessments_answer" not in count
    assert "indicators_indicator" not in count
