"""A consultation that discussed an indicator is evidence for it: in evidence coverage, and at submission.

Only a link to the indicator itself counts: a consultation about the indicator's whole dimension
says nothing about that indicator in particular.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import services
from assessments.sheet import answer_sheet
from participation import services as participation_services
from tests.participation.factories import ConsultationFactory
from tests.world import answer

pytestmark = pytest.mark.django_db


def _coverage(round) -> float | None:
    return answer_sheet(round).scores()["self"].evidence_coverage


def _needs_evidence(round, code: str) -> bool:
    return any(p.indicator.code == code and "needs evidence" in p.reason for p in services.round_problems(round))


@pytest.fixture
def answered(draft, quito):
    """Two indicators at level 2: SP-01 without evidence, SP-02 with a link (coverage 1 of 2)."""
    answer(draft, "SP-01", quito.editor, level=2)
    answer(draft, "SP-02", quito.editor, level=2, evidence_url="https://example.org/minutes.pdf")
    return draft


def test_a_level_two_answer_without_files_needs_evidence_to_start_with(answered):
    assert _coverage(answered) == pytest.approx(0.5)
    assert _needs_evidence(answered, "SP-01")
    assert not _needs_evidence(answered, "SP-02")


def test_a_consultation_that_discussed_the_indicator_counts_as_its_evidence(answered, quito):
    ConsultationFactory(round=answered, indicators=["SP-01"], created_by=quito.editor)

    assert _coverage(answered) == pytest.approx(1.0)
    assert not _needs_evidence(answered, "SP-01")


def test_a_consultation_on_the_whole_dimension_does_not_count(answered, quito):
    ConsultationFactory(round=answered, dimensions=["SP"], created_by=quito.editor)

    assert _coverage(answered) == pytest.approx(0.5)
    assert _needs_evidence(answered, "SP-01")


def test_a_consultation_of_another_round_does_not_count(answered, quito):
    other = services.round_create(authority=quito.authority, period="2026", actor=quito.approver)
    ConsultationFactory(round=other, indicators=["SP-01"], created_by=quito.editor)

    assert _coverage(answered) == pytest.approx(0.5)
    assert _needs_evidence(answered, "SP-01")


def test_removing_the_consultation_brings_the_need_for_evidence_back(answered, quito):
    consultation = ConsultationFactory(round=answered, indicators=["SP-01"], created_by=quito.editor)
    assert not _needs_evidence(answered, "SP-01")

    participation_services.consultation_delete(consultation=consultation, actor=quito.editor)

    assert _coverage(answered) == pytest.approx(0.5)
    assert _needs_evidence(answered, "SP-01")


def test_recorded_through_the_page_it_counts_and_removed_through_the_page_it_stops(client, answered, quito):
    client.force_login(quito.editor, backend="django.contrib.auth.backends.ModelBackend")
    sp01 = answered.version.indicators.get(code="SP-01")
    response = client.post(
        reverse("consultation_create", args=[answered.pk]),
        {
            "date": "2025-03-12",
            "method": "workshop",
            "participants": "18",
            "summary": "Migrant associations described how they are consulted.",
            "indicators": [str(sp01.pk)],
        },
    )
    assert response.status_code == 302
    assert _coverage(answered) == pytest.approx(1.0)

    consultation = answered.consultations.get()
    client.post(reverse("consultation_delete", args=[consultation.pk]))
    assert _coverage(answered) == pytest.approx(0.5)
    assert _needs_evidence(answered, "SP-01")


def test_the_form_page_says_the_consultation_counts_as_evidence(client, answered, quito):
    consultation = ConsultationFactory(round=answered, indicators=["SP-01"], created_by=quito.editor)
    client.force_login(quito.editor, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("round_dimension", args=[answered.pk, "SP"])).content.decode()
    assert reverse("consultation_detail", args=[consultation.pk]) in page
    assert "counts as evidence" in page
