"""What participation shows on the assessment pages: the round page, each indicator's card, the review page.

Each page costs the same number of queries whatever the number of consultations, groups and
indicators discussed: measured on a small round, then held as a ceiling on a large one.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Round
from tests.participation.factories import ConsultationFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _section(page: str) -> str:
    """The round page's "Who took part" section."""
    start = page.index('id="participation"')
    return page[start : page.index("</section>", start)]


# --- the round page ------------------------------------------------------------------------------


def test_the_round_page_says_who_took_part(client, quito, draft):
    migrants = StakeholderFactory(authority=quito.authority, name="Venezuelan Association", category="migrant")
    academia = StakeholderFactory(authority=quito.authority, name="FLACSO", category="academia")
    ConsultationFactory(round=draft, participants=30, groups=[migrants, academia])
    ConsultationFactory(round=draft, participants=12, groups=[migrants])

    section = _section(_login(client, quito.editor).get(reverse("round_detail", args=[draft.pk])).content.decode())

    assert "Who took part" in section
    assert '<dd class="col-sm-7 col-lg-8">2</dd>' in section  # consultations
    assert '<dd class="col-sm-7 col-lg-8">42</dd>' in section  # participants
    assert "Migrant or diaspora association: 1" in section
    assert "Academia: 1" in section
    assert "Took part" in section and "None took part" not in section
    assert reverse("consultation_list", args=[draft.pk]) in section
    assert reverse("consultation_create", args=[draft.pk]) in section


def test_the_round_page_says_when_no_migrant_organisation_took_part(client, quito, draft):
    ConsultationFactory(round=draft, groups=[StakeholderFactory(authority=quito.authority, category="union")])
    section = _section(_login(client, quito.editor).get(reverse("round_detail", args=[draft.pk])).content.decode())
    assert "None took part" in section


def test_a_refugee_led_organisation_counts_as_a_migrant_voice(client, quito, draft):
    ConsultationFactory(round=draft, groups=[StakeholderFactory(authority=quito.authority, category="refugee")])
    section = _section(_login(client, quito.editor).get(reverse("round_detail", args=[draft.pk])).content.decode())
    assert "None took part" not in section
    assert "Refugee-led organisation: 1" in section


def test_a_round_without_consultations_invites_to_record_one(client, quito, draft):
    section = _section(_login(client, quito.editor).get(reverse("round_detail", args=[draft.pk])).content.decode())
    assert "No consultation recorded for this round yet." in section
    assert reverse("consultation_create", args=[draft.pk]) in section


def test_a_reviewer_sees_the_section_of_a_submitted_round_without_the_record_button(client, reviewer, submitted):
    ConsultationFactory(round=submitted, participants=9)
    section = _section(_login(client, reviewer).get(reverse("round_detail", args=[submitted.pk])).content.decode())
    assert '<dd class="col-sm-7 col-lg-8">9</dd>' in section
    assert reverse("consultation_list", args=[submitted.pk]) in section
    assert reverse("consultation_create", args=[submitted.pk]) not in section


def test_the_editor_of_a_submitted_round_gets_no_record_button(client, quito, submitted):
    section = _section(_login(client, quito.editor).get(reverse("round_detail", args=[submitted.pk])).content.decode())
    assert reverse("consultation_create", args=[submitted.pk]) not in section


# --- under each indicator ------------------------------------------------------------------------


def test_each_card_lists_the_consultations_that_discussed_its_indicator(client, quito, draft):
    workshop = ConsultationFactory(round=draft, method="workshop", indicators=["SP-01", "SP-02"])
    hearing = ConsultationFactory(round=draft, method="hearing", indicators=["SP-02"])
    ConsultationFactory(round=draft, dimensions=["SP"])  # about the whole dimension: under no card

    response = _login(client, quito.editor).get(reverse("round_dimension", args=[draft.pk, "SP"]))
    cards = {card["indicator"].code: "".join(card["panels"]) for card in response.context["cards"]}

    assert reverse("consultation_detail", args=[workshop.pk]) in cards["SP-01"]
    assert reverse("consultation_detail", args=[hearing.pk]) not in cards["SP-01"]
    assert "counts as evidence" in cards["SP-01"]
    assert "Workshop of" in cards["SP-01"]
    assert reverse("consultation_detail", args=[workshop.pk]) in cards["SP-02"]
    assert reverse("consultation_detail", args=[hearing.pk]) in cards["SP-02"]
    assert "Consultations on this indicator" not in cards["SP-03"]


def test_a_card_shows_nothing_when_no_consultation_discussed_its_indicator(client, quito, draft):
    page = _login(client, quito.editor).get(reverse("round_dimension", args=[draft.pk, "HC"])).content.decode()
    assert "Consultations on this indicator" not in page


def test_the_review_page_shows_the_consultations_beside_each_indicator(client, reviewer, quito, submitted):
    union = StakeholderFactory(authority=quito.authority, name="Refugees Together", category="refugee")
    long_summary = "Participants asked for interpreters. " + "More detail. " * 40 + "THE VERY END."
    consultation = ConsultationFactory(
        round=submitted, method="hearing", participants=33, groups=[union], indicators=["HC-01"], summary=long_summary
    )

    response = _login(client, reviewer).get(reverse("round_review", args=[submitted.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('id="review-consultations-HC-01"')
    part = page[start : page.index("</section>", start)]
    assert reverse("consultation_detail", args=[consultation.pk]) in part
    assert "Public hearing of" in part
    assert "participants: 33" in part
    assert "Refugees Together" in part
    assert "Participants asked for interpreters." in part
    assert "THE VERY END." not in part  # an excerpt, not the whole summary
    assert 'id="review-consultations-HC-02"' not in page


# --- query counts --------------------------------------------------------------------------------


def _grow(round: Round, authority, n: int, codes: list[str]) -> None:
    for _ in range(n):
        groups = [StakeholderFactory(authority=authority, category=c) for c in ("migrant", "civil", "academia")]
        ConsultationFactory(round=round, groups=groups, indicators=codes, dimensions=["SP", "HC"])


@pytest.mark.parametrize(
    ("url_name", "extra"),
    [("round_detail", []), ("round_dimension", ["SP"]), ("round_dimension", ["HC"])],
)
def test_the_form_and_round_pages_cost_the_same_queries_for_one_consultation_or_fifteen(
    client, quito, draft, django_assert_max_num_queries, url_name, extra
):
    client = _login(client, quito.editor)
    url = reverse(url_name, args=[draft.pk, *extra])
    few = ["SP-01", "HC-01"]
    many = [f"SP-0{n}" for n in range(1, 7)] + [f"HC-0{n}" for n in range(1, 9)]
    _grow(draft, quito.authority, 1, few)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(draft, quito.authority, 14, many)
    with django_assert_max_num_queries(len(small)):
        response = client.get(url)
    assert "Consultations on this indicator" in response.content.decode() or url_name == "round_detail"


def test_the_review_page_costs_the_same_queries_for_one_consultation_or_fifteen(
    client, reviewer, quito, submitted, django_assert_max_num_queries
):
    client = _login(client, reviewer)
    url = reverse("round_review", args=[submitted.pk])
    _grow(submitted, quito.authority, 1, ["HC-01"])
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(submitted, quito.authority, 14, [f"HC-0{n}" for n in range(1, 9)] + ["SP-01", "VC-01", "DE-01"])
    with django_assert_max_num_queries(len(small)):
        client.get(url)


def test_the_panels_of_one_page_load_the_consultations_once(rf, quito, draft, django_assert_num_queries):
    from assessments import slots
    from participation import panels

    ConsultationFactory(round=draft, groups=[StakeholderFactory(authority=quito.authority)], indicators=["SP-01"])
    request = rf.get("/")
    request.user = quito.editor
    indicators = list(draft.version.indicators.all())
    panels.indicator_card_parts(request, draft, indicators)
    with django_assert_num_queries(0):
        panels.review_indicator_parts(request, draft, indicators)
        panels.indicator_card_parts(request, draft, indicators)
    assert panels.round_page_section in slots.ROUND_PAGE.fillers()
