"""The comparison: closed until both sides submitted, then the city's and the counterpart's levels with the gap.

Quito has an editor and an approver, Lima an approver; Rita is a programme reviewer. Nadia is the
counterpart of Quito's round 2025, Oscar of a round of Lima's. The city answers level 2 everywhere.
"""

import re
from decimal import ROUND_HALF_UP, Decimal
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services as assessment_services
from assessments.models import Round
from indicators.models import Indicator
from territories import services
from territories.models import CounterpartAnswer
from tests.factories import RoundFactory
from tests.territories.factories import CounterpartAnswerFactory, counterpart_answer_all, invite_counterpart
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db

CITY_SECRET = "The citys own account of its coordination board"
THEIR_SECRET = "The ministrys own account of the board"


def comparison_url(round) -> str:
    return reverse("counterpart_comparison", args=[round.pk])


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def lima(catalogue):
    return make_city("lima")


@pytest.fixture
def nadia(draft, quito):
    answer_everything(draft, quito.editor, level=2)
    return invite_counterpart(draft, quito.approver)


@pytest.fixture
def oscar(lima):
    round = RoundFactory(authority=lima.authority, actor=lima.approver)
    return invite_counterpart(round, lima.approver, email="oscar@gov.example", name="Oscar")


@pytest.fixture
def codes(draft) -> list[str]:
    return list(services.mirrored_indicators(draft).values_list("code", flat=True))


def nadia_answers(nadia, codes, *, first=4, second="dk", rest=2, submit=True):
    """Nadia: ``first`` on the first indicator (with her justification), don't know on the second, ``rest`` elsewhere."""
    round = nadia.round
    for n, code in enumerate(codes):
        level = first if n == 0 else second if n == 1 else rest
        services.counterpart_answer_save(
            counterpart=nadia,
            actor=nadia.user,
            indicator=Indicator.objects.get(version=round.version, code=code),
            response="dk" if level == "dk" else "level",
            level=None if level == "dk" else level,
            justification=THEIR_SECRET if n == 0 else "",
        )
    if submit:
        services.counterpart_submit(counterpart=nadia, actor=nadia.user)


def city_submits(round, city, codes):
    answer(round, codes[0], city.editor, level=2, justification=CITY_SECRET, evidence_url="https://example.org/a.pdf")
    assessment_services.round_submit(round=round, actor=city.approver)


PEOPLE = ["counterpart", "editor", "approver", "reviewer", "other_city_approver", "other_counterpart", "anonymous"]


def person(who, quito, lima, reviewer, nadia, oscar):
    return {
        "counterpart": nadia.user,
        "editor": quito.editor,
        "approver": quito.approver,
        "reviewer": reviewer,
        "other_city_approver": lima.approver,
        "other_counterpart": oscar.user,
        "anonymous": None,
    }[who]


# --- who sees what, when -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("counterpart", 200),
        ("editor", 200),
        ("approver", 200),
        ("reviewer", 404),  # the round is a draft: a reviewer does not see it
        ("other_city_approver", 404),
        ("other_counterpart", 404),
        ("anonymous", 302),
    ],
)
def test_before_both_submitted_the_page_only_says_when_it_opens(
    who, status, quito, lima, reviewer, nadia, oscar, codes
):
    nadia_answers(nadia, codes)  # the counterpart has submitted, the city has not
    client = as_user(person(who, quito, lima, reviewer, nadia, oscar))

    response = client.get(comparison_url(nadia.round))

    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "The comparison opens when both sides have submitted" in page
        assert THEIR_SECRET not in page and CITY_SECRET not in page
        assert "Mean gap" not in page


def test_a_reviewer_sees_the_waiting_page_of_a_submitted_round_whose_counterpart_has_not_submitted(
    nadia, quito, reviewer, codes
):
    nadia_answers(nadia, codes, submit=False)
    city_submits(nadia.round, quito, codes)

    page = as_user(reviewer).get(comparison_url(nadia.round)).content.decode()

    assert "The comparison opens when both sides have submitted" in page
    assert THEIR_SECRET not in page and CITY_SECRET not in page


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("counterpart", 200),
        ("editor", 200),
        ("approver", 200),
        ("reviewer", 200),
        ("other_city_approver", 404),
        ("other_counterpart", 404),
        ("anonymous", 302),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_once_both_submitted_the_counterpart_members_and_reviewers_see_it(
    who, status, method, quito, lima, reviewer, nadia, oscar, codes
):
    nadia_answers(nadia, codes)
    city_submits(nadia.round, quito, codes)
    client = as_user(person(who, quito, lima, reviewer, nadia, oscar))

    response = getattr(client, method)(comparison_url(nadia.round))

    if method == "post" and status == 200:
        assert response.status_code == 405  # a page to read
        return
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert THEIR_SECRET in page and CITY_SECRET in page


def test_a_round_without_a_counterpart_has_no_comparison(draft, quito):
    assert as_user(quito.approver).get(comparison_url(draft)).status_code == 404


# --- what it shows -------------------------------------------------------------------------------


def row_of(page: str, code: str) -> str:
    found = re.search(rf'<tr[^>]*>\s*<th scope="row"><a href="#compare-{code}">{code}</a></th>(.*?)</tr>', page, re.S)
    assert found, code
    return found.group(1)


def cells(row: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_it_shows_both_levels_the_gap_both_justifications_and_the_summary(nadia, quito, codes):
    nadia_answers(nadia, codes, first=4, second="dk", rest=2)
    city_submits(nadia.round, quito, codes)

    page = unescape(as_user(quito.editor).get(comparison_url(nadia.round)).content.decode())

    assert "Counterpart levels never change the city's scores." in page
    assert cells(row_of(page, codes[0])) == ["2 · Partial", "4 · Institutionalised", "+2"]
    assert cells(row_of(page, codes[1]))[1:] == ["Don't know", "—no gap: one side gave no level"]
    assert cells(row_of(page, codes[2]))[1:] == ["2 · Partial", "0"]
    mean = 2 / (len(codes) - 1)  # +2 once, 0 elsewhere, and one don't know
    assert re.search(rf'id="mean-gap">\+{Decimal(mean).quantize(Decimal("0.1"), ROUND_HALF_UP)}<', page)
    far = re.search(r'id="far-apart">(.*?)</dd>', page, re.S).group(1)
    assert f'href="#compare-{codes[0]}"' in far and codes[2] not in far
    detail = page[page.index(f'id="compare-{codes[0]}"') :]
    assert detail.index(CITY_SECRET) < detail.index(THEIR_SECRET) < detail.index(f'id="compare-{codes[1]}"')
    assert "City, validated" not in page


def test_once_validated_the_gap_is_measured_from_the_validated_level(nadia, quito, reviewer, codes):
    nadia_answers(nadia, codes, first=4, second=1, rest=2)
    city_submits(nadia.round, quito, codes)
    first = Indicator.objects.get(version=nadia.round.version, code=codes[0])
    assessment_services.round_review(
        round=nadia.round,
        actor=reviewer,
        decisions={first.pk: assessment_services.Decision(validated_level=1, comment="Not yet in practice.")},
        action=assessment_services.ReviewAction.VALIDATE,
    )
    assert Round.objects.get(pk=nadia.round.pk).status == Round.Status.VALIDATED

    page = unescape(as_user(reviewer).get(comparison_url(nadia.round)).content.decode())

    assert "City, validated" in page
    assert cells(row_of(page, codes[0])) == ["2 · Partial", "1 · Initial", "4 · Institutionalised", "+3"]
    assert cells(row_of(page, codes[1])) == ["2 · Partial", "2 · Partial", "1 · Initial", "−1"]
    assert "minus the city's validated level" in page


def test_the_mean_gap_needs_a_level_on_both_sides(nadia, quito, codes):
    nadia_answers(nadia, codes, first="dk", second="dk", rest="dk")
    city_submits(nadia.round, quito, codes)

    page = as_user(quito.editor).get(comparison_url(nadia.round)).content.decode()

    assert re.search(r'id="mean-gap">—<', page)
    assert re.search(r'id="far-apart">none<', page)
    assert f"0 of {len(codes)}" in page


# --- the review page -----------------------------------------------------------------------------


def review_part(page: str, code: str) -> str | None:
    start = page.find(f'id="review-counterpart-{code}"')
    if start < 0:
        return None
    return page[start : page.index("</section>", start)]


def test_the_reviewer_sees_the_counterparts_level_and_gap_under_each_mirrored_indicator(nadia, quito, reviewer, codes):
    nadia_answers(nadia, codes, first=4, second="dk", rest=3)
    city_submits(nadia.round, quito, codes)

    page = unescape(as_user(reviewer).get(reverse("round_review", args=[nadia.round.pk])).content.decode())

    first = review_part(page, codes[0])
    assert "Counterpart: Ministry of Foreign Affairs" in first
    assert "4</strong> · Institutionalised" in first and "+2" in first and "far apart" in first
    assert THEIR_SECRET in first
    assert "Don't know" in review_part(page, codes[1])
    assert "+1" in review_part(page, codes[2])
    assert review_part(page, "HC-01") is None  # not mirrored
    assert f"{comparison_url(nadia.round)}#compare-{codes[0]}" in first


def test_the_review_page_shows_nothing_of_the_counterpart_before_it_submitted(nadia, quito, reviewer, codes):
    nadia_answers(nadia, codes, submit=False)
    city_submits(nadia.round, quito, codes)

    page = as_user(reviewer).get(reverse("round_review", args=[nadia.round.pk])).content.decode()

    assert review_part(page, codes[0]) is None
    assert THEIR_SECRET not in page


# --- constant queries ----------------------------------------------------------------------------


def mirror_more(round, count: int) -> list[Indicator]:
    """Mark ``count`` more indicators of the round's version mirrored, and return them."""
    extra = list(Indicator.objects.filter(version=round.version, dimension__code="HC").order_by("order")[:count])
    Indicator.objects.filter(pk__in=[i.pk for i in extra]).update(mirrored=True)
    return extra


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["counterpart_comparison", "round_review"])
def test_the_comparison_and_review_pages_take_as_many_queries_for_more_mirrored_indicators(
    page, nadia, quito, reviewer, codes
):
    nadia_answers(nadia, codes, first=4, second=1, rest=3)
    city_submits(nadia.round, quito, codes)
    client = as_user(reviewer)
    url = reverse(page, args=[nadia.round.pk])
    queries(client, url)  # the catalogue's indicators are kept from then on
    few = queries(client, url)

    for indicator in mirror_more(nadia.round, 5):
        CounterpartAnswerFactory(counterpart=nadia, indicator=indicator, level=1)

    body = client.get(url).content.decode()
    assert 'id="review-counterpart-HC-05"' in body or 'id="compare-HC-05"' in body
    assert queries(client, url) == few


def test_the_round_page_panel_takes_as_many_queries_with_a_counterpart_as_without(quito, draft, codes):
    client = as_user(quito.approver)
    url = reverse("round_detail", args=[draft.pk])
    without = queries(client, url)

    counterpart = invite_counterpart(draft, quito.approver)
    counterpart_answer_all(counterpart, submit=True)

    assert queries(client, url) <= without  # who invited, and who answered, come with the one query
    assert CounterpartAnswer.objects.filter(counterpart=counterpart).count() == len(codes)
