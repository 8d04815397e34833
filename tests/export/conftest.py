"""A city with something in every table its export holds, files included."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from assessments.models import Answer, Comment, Evidence, Thread
from collaboration.models import Assignment
from indicators.models import Indicator
from participation.models import ConsultationAttachment
from plans.models import ActionUpdate
from reports.models import ReportJob
from tests.factories import AuthorityFactory, UserFactory
from tests.participation.factories import (
    ConsultationFactory,
    StakeholderFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.plans.factories import ActionFactory, PlanFactory
from tests.territories.factories import CounterpartFactory, PartnershipEvidenceFactory, PartnershipFactory
from tests.world import answer


@dataclass
class Filled:
    round: object
    evidence: list
    update: object
    attachment: object
    shared: object
    report: object


def evidence_file(round, code: str, user, content: bytes, filename: str) -> Evidence:
    """An evidence file stored as an upload stores it (default storage), on the indicator's answer."""
    indicator = Indicator.objects.get(version=round.version, code=code)
    found = Answer.objects.filter(round=round, indicator=indicator).first() or answer(round, code, user, level=1)
    return Evidence.objects.create(
        answer=found, file=ContentFile(content, name=filename), filename=filename, description="Minutes", added_by=user
    )


def fill(city, round, *, files: int = 2, rows: int = 1) -> Filled:
    """Give ``round`` answers, evidence files, a thread, and something of every app above; ``rows`` scales it."""
    codes = list(Indicator.objects.filter(version=round.version).order_by("dimension__order", "order")
                 .values_list("code", flat=True))  # fmt: skip
    for code in codes[:rows]:
        answer(round, code, city.editor, level=2, justification=f"Because of {code}.")
    evidence = [
        evidence_file(round, codes[n % len(codes)], city.editor, f"file {n} ".encode() * 50, f"minutes {n}.pdf")
        for n in range(files)
    ]
    indicator = Indicator.objects.get(version=round.version, code=codes[0])
    for n in range(rows):
        thread = Thread.objects.create(round=round, indicator=indicator, resolved_at=timezone.now(),
                                       resolved_by=city.editor)  # fmt: skip
        Comment.objects.create(thread=thread, author=city.editor, body=f"Comment {n}", cycle=0)
    plan = PlanFactory(authority=city.authority)
    update = None
    for n in range(rows):
        action = ActionFactory(plan=plan, origin_round=round, title=f"Interpreters {n}", targets={codes[0]: 3})
        update = ActionUpdate.objects.create(
            action=action, text="Two interpreters hired.", author=city.editor,
            file=ContentFile(b"update bytes", name="update.pdf"), filename="update.pdf",
        )  # fmt: skip
    attachment = None
    for n in range(rows):
        consultation = ConsultationFactory(
            round=round, groups=[StakeholderFactory(authority=city.authority, name=f"Migrant forum {n}" + ("" if round.period == "2025" else f" {round.period}"))],
            indicators=[codes[0]], created_by=city.editor,
        )  # fmt: skip
        attachment = ConsultationAttachment.objects.create(
            consultation=consultation, title="Attendance", added_by=city.editor,
            file=ContentFile(b"attendance bytes", name="attendance.pdf"), filename="attendance.pdf",
        )  # fmt: skip
    survey = SurveyFactory(round=round, indicators=[codes[0]])
    for _n in range(5 + rows):
        SurveyResponseFactory(survey=survey, answers={codes[0]: 3})
    Assignment.objects.create(round=round, assignee=city.editor, indicator=indicator, assigned_by=city.approver)
    CounterpartFactory(round=round, organisation="Ministry of the Interior")
    partner = AuthorityFactory(name="Kasserine")
    shared = None
    for n in range(rows):
        partnership = PartnershipFactory(first=city.authority, second=partner if n == 0 else AuthorityFactory(),
                                         confirmed=True)  # fmt: skip
        shared = PartnershipEvidenceFactory(
            partnership=partnership, authority=city.authority, url="",
            file=ContentFile(b"shared bytes", name="shared.pdf"), filename="shared.pdf",
        )  # fmt: skip
    report = ReportJob.objects.create(
        round=round, language="en", kind=ReportJob.Kind.FULL, status=ReportJob.Status.RUNNING, fingerprint="f" * 64,
        requested_by=city.approver,
    )  # fmt: skip
    report.file.save("report.pdf", ContentFile(b"%PDF-1.7 the report"), save=False)
    report.status, report.finished_at = ReportJob.Status.DONE, timezone.now()
    report.save()
    return Filled(round, evidence, update, attachment, shared, report)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada-admin", is_superuser=True, is_staff=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
