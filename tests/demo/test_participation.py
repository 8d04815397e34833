"""Demo participation (``participation/demo.py`` through seed_demo)."""

import dataclasses

import pytest

from assessments.models import Answer, Round
from assessments.sheet import SELF, answer_sheet
from participation.evidence import consulted_indicators
from participation.models import (
    Consultation,
    ConsultationAttachment,
    Stakeholder,
    Survey,
    SurveyAnswer,
)
from participation.perception import MIN_RESPONSES, round_perceptions

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_authorities_registers_and_most_rounds_consultations(seeded):
    for slug in ("quito", "naga-city", "kasserine", "accra"):
        groups = Stakeholder.objects.filter(authority__slug=slug)
        assert 4 <= groups.count() <= 7, slug
        assert groups.filter(category__in=Stakeholder.MIGRANT_VOICES).exists(), slug
        assert len(set(groups.values_list("category", flat=True))) >= 4, slug

    rounds = Round.objects.all()
    consulted = rounds.filter(consultations__isnull=False).distinct().count()
    assert rounds.count() / 2 < consulted < rounds.count()
    voices = Consultation.objects.filter(groups__category__in=Stakeholder.MIGRANT_VOICES).distinct()
    assert voices.exists()
    assert Consultation.objects.exclude(pk__in=voices).exists()
    # Each consultation is whole: groups of its own authority, a summary, dated within its round's period.
    for consultation in Consultation.objects.select_related("round").prefetch_related("groups"):
        assert consultation.summary.strip() and consultation.languages
        assert str(consultation.date.year) == consultation.round.period
        assert all(g.authority_id == consultation.round.authority_id for g in consultation.groups.all())
    assert Consultation.objects.filter(women__isnull=False).exists()
    assert Consultation.objects.filter(women__isnull=True).exists()
    assert Consultation.objects.filter(indicators__isnull=False).exists()
    assert Consultation.objects.filter(dimensions__isnull=False).exists()
    assert ConsultationAttachment.objects.exists()


def test_seed_demo_surveys_one_round_enough_for_a_median_and_one_too_few_and_consultations_raise_coverage(seeded):
    totals = {survey.round: survey.responses.count() for survey in Survey.objects.select_related("round")}
    full = [r for r, n in totals.items() if n >= MIN_RESPONSES]
    few = [r for r, n in totals.items() if 1 <= n < MIN_RESPONSES]
    assert full and few
    shown = round_perceptions(full[0])
    assert any(p.median is not None for p in shown.values())
    assert any(p.dont_know for p in shown.values())  # a few "don't know"
    # Levels spread around the city's own, sometimes below it.
    assert any(p.gap(level) is not None and p.gap(level) < 0 for p, level in _with_city_levels(full[0], shown))
    assert all(p.median is None for p in round_perceptions(few[0]).values())
    assert SurveyAnswer.objects.exclude(comment="").exists()

    # Some level-2 answers have no file: a consultation that discussed them is their evidence.
    raised = []
    for round in Round.objects.filter(consultations__isnull=False).distinct():
        without_files = Answer.objects.filter(round=round, level__gte=2, evidence__isnull=True)
        if consulted_indicators(round) & set(without_files.values_list("indicator_id", flat=True)):
            sheet = answer_sheet(round)
            alone = dataclasses.replace(sheet, other_evidence=frozenset())
            raised.append((sheet.scores()[SELF].evidence_coverage, alone.scores()[SELF].evidence_coverage))
    assert raised
    assert all(with_consultations > without for with_consultations, without in raised)


def _with_city_levels(round, perceptions):
    levels = dict(Answer.objects.filter(round=round).values_list("indicator_id", "level"))
    return [(p, levels.get(indicator_id)) for indicator_id, p in perceptions.items()]
