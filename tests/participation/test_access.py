"""Refusals say why in the language of the request, whatever language the process imported them in."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from assessments.access import AccessDenied
from participation import services
from participation.models import Stakeholder, Survey

pytestmark = pytest.mark.django_db


def test_a_reviewer_refused_a_change_to_the_register_is_told_why_in_french(quito, reviewer):
    with translation.override("fr"), pytest.raises(AccessDenied) as refused:
        services.stakeholder_save(
            authority=quito.authority,
            actor=reviewer,
            name="Comité de quartier",
            category=Stakeholder.Category.CIVIL_SOCIETY,
        )

    assert str(refused.value) == "Seuls les membres de Quito peuvent modifier son registre des parties prenantes."
    assert not Stakeholder.objects.exists()


def test_an_editor_refused_a_survey_is_told_why_in_french(quito, draft):
    expires_on = timezone.localdate() + datetime.timedelta(days=30)
    with translation.override("fr"), pytest.raises(AccessDenied) as refused:
        services.survey_open(round=draft, actor=quito.editor, expires_on=expires_on)

    assert str(refused.value) == "Seuls les approbateurs de Quito peuvent ouvrir ou clore ses enquêtes."
    assert not Survey.objects.exists()
