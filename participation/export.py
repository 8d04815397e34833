"""Participation in the authority's own data export (``assessments.slots.EXPORT``).

Survey respondents are anonymous: the export holds each surveyed indicator's summary as the results
page shows it (a distribution and a median only from ``perception.MIN_RESPONSES`` levels), never a
response, a respondent's session or a comment.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from django.utils.translation import gettext as _

from assessments.export import ExportTable, person_of, query_table, stored_files, stored_path
from indicators.rules import LEVELS

from .models import Consultation, ConsultationAttachment, Stakeholder, Survey, SurveyAnswer
from .perception import perception

ATTACHMENTS = "participation/attachments"


def _attachment_file(row: dict) -> dict:
    name = row["file_in_archive"]
    where = stored_path(str(row["consultation_id"]), row["attachment_id"], row["file_name"] or name)
    row["file_in_archive"] = f"{ATTACHMENTS}/{where}" if name else ""
    return row


def _topics(authority) -> ExportTable:
    """The groups that took part in each consultation and the indicators and dimensions it discussed (three queries)."""
    through = Consultation.groups.through.objects.filter(consultation__round__authority=authority)
    indicators = Consultation.indicators.through.objects.filter(consultation__round__authority=authority)
    dimensions = Consultation.dimensions.through.objects.filter(consultation__round__authority=authority)

    def rows() -> Iterator[tuple]:
        for query, kind, field in (
            (through, "group", "stakeholder__name"),
            (indicators, "indicator", "indicator__code"),
            (dimensions, "dimension", "dimension__code"),
        ):
            values = query.order_by("consultation_id", field).values_list("consultation_id", field)
            for consultation_id, value in values.iterator(chunk_size=500):
                yield consultation_id, kind, value

    return ExportTable(
        "participation/consultation_topics",
        _("Consultations: the groups that took part, and the indicators and dimensions discussed (kind, value)."),
        ("consultation_id", "kind", "value"),
        rows,
    )


def _survey_results(authority) -> ExportTable:
    """Each surveyed indicator's summary, from counts per level (one query; no response leaves the database)."""
    columns = ("round_id", "period", "indicator", "responses", "dont_know", *(f"level_{n}" for n in LEVELS), "median")

    def rows() -> Iterator[tuple]:
        counts = (
            SurveyAnswer.objects.filter(response__survey__round__authority=authority)
            .values("response__survey__round_id", "response__survey__round__period", "indicator__code", "level")
            .annotate(n=Count("pk"))
            .order_by("response__survey__round__period", "response__survey__round_id", "indicator__code", "level")
        )
        current, levels = None, []
        for row in counts.iterator(chunk_size=500):
            key = (row["response__survey__round_id"], row["response__survey__round__period"], row["indicator__code"])
            if key != current and current is not None:
                yield _summary(current, levels)
                levels = []
            current = key
            levels += [row["level"]] * row["n"]
        if current is not None:
            yield _summary(current, levels)

    return ExportTable(
        "participation/survey_results",
        _("Perception surveys: per indicator, the respondents who gave a level and who did not know; the "
          "distribution and the median only from 5 levels, as the results page shows them."),
        columns,
        rows,
    )  # fmt: skip


def _summary(key: tuple, levels: list) -> tuple:
    found = perception(levels)
    distribution = [found.distribution[n] if found.shown else None for n in LEVELS]
    return (*key, found.responses, found.dont_know, *distribution, found.median)


def participation_export(authority) -> list:
    """The register of groups, the consultations (with their attachments) and the surveys' summaries."""
    attachments = ConsultationAttachment.objects.filter(consultation__round__authority=authority).order_by(
        "consultation_id", "pk"
    )
    return [
        query_table(
            "participation/stakeholders",
            _("The register of stakeholder groups (organisations, no personal data)."),
            Stakeholder.objects.filter(authority=authority).order_by("name", "pk"),
            {
                "group_id": "pk",
                "name": "name",
                "category": "category",
                "description": "description",
                "added_at": "created_at",
            },
            labels={"category": dict(Stakeholder.Category.choices)},
        ),
        query_table(
            "participation/consultations",
            _("Consultations of each round: date, method, participants, languages and what was said."),
            Consultation.objects.filter(round__authority=authority).order_by("round__period", "date", "pk"),
            {
                "consultation_id": "pk",
                "round_id": "round_id",
                "period": "round__period",
                "date": "date",
                "method": "method",
                "participants": "participants",
                "women": "women",
                "men": "men",
                "other_or_not_stated": "other_gender",
                "migrants_or_displaced": "migrants",
                "languages": "languages",
                "summary": "summary",
                "recorded_by": person_of("created_by"),
                "recorded_at": "created_at",
            },
            labels={"method": dict(Consultation.Method.choices)},
        ),
        _topics(authority),
        query_table(
            "participation/attachments",
            _("Consultations: their attachments (files and links)."),
            attachments,
            {
                "attachment_id": "pk",
                "consultation_id": "consultation_id",
                "title": "title",
                "file_in_archive": "file",
                "file_name": "filename",
                "link": "url",
                "added_by": person_of("added_by"),
                "added_at": "created_at",
            },
            row=_attachment_file,
        ),
        stored_files(
            ATTACHMENTS,
            _("The consultations' attached files, by consultation (participation/attachments.csv says which)."),
            attachments.only("pk", "consultation_id", "file", "filename"),
            lambda item: stored_path(str(item.consultation_id), item.pk, item.filename or item.file.name),
        ),
        query_table(
            "participation/surveys",
            _("Perception surveys: when each was open and how many responded (the secret link is left out)."),
            Survey.objects.filter(round__authority=authority).annotate(n=Count("responses")).order_by("round__period"),
            {
                "round_id": "round_id",
                "period": "round__period",
                "opened_at": "created_at",
                "open_until": "expires_on",
                "closed_at": "closed_at",
                "opened_by": person_of("opened_by"),
                "responses": "n",
            },
        ),
        _survey_results(authority),
    ]
