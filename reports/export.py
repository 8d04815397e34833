"""The authority's reports in its own data export (``assessments.slots.EXPORT``).

Each round's documents as last rendered (the newest finished job per round, document and language),
and the roll-up reports of a parent authority; a job that failed or is still rendering has no file.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext as _

from assessments.export import ExportFiles, ExportTable, person_of, safe_name

from .models import ReportJob

FOLDER = "reports"
COLUMNS = ("job_id", "round_id", "period", "document", "language", "finished_at", "requested_by", "file_in_archive")


def _latest_done(authority) -> Iterator[ReportJob]:
    """The newest finished job per round (or roll-up period), document and language: one query, streamed."""
    jobs = (
        ReportJob.objects.filter(Q(round__authority=authority) | Q(authority=authority, kind=ReportJob.Kind.ROLLUP))
        .filter(status=ReportJob.Status.DONE)
        .exclude(file="")
        .annotate(
            export_period=Coalesce(NullIf(F("period"), Value("")), F("round__period")),
            export_requested_by=person_of("requested_by"),
        )
        .order_by("export_period", "round_id", "kind", "language", "-finished_at", "-pk")
        .only("pk", "round_id", "kind", "language", "finished_at", "file")
    )
    previous = None
    for job in jobs.iterator(chunk_size=500):
        key = (job.export_period, job.round_id, job.kind, job.language)
        if key != previous:
            previous = key
            yield job


def _path(job: ReportJob) -> str:
    return f"{safe_name(job.export_period or '', 'period')}/{job.kind}-{job.language}.{job.extension}"


def reports_export(authority) -> list:
    """The table of the authority's reports, and the documents themselves."""
    kinds = dict(ReportJob.Kind.choices)

    def rows():
        for job in _latest_done(authority):
            yield (job.pk, job.round_id, job.export_period, str(kinds.get(job.kind, job.kind)), job.language,
                   job.finished_at, job.export_requested_by or "", f"{FOLDER}/{_path(job)}")  # fmt: skip

    def files():
        for job in _latest_done(authority):
            yield _path(job), job.file

    return [
        ExportTable(
            "reports",
            _("Reports: the last rendered document of each round, kind and language, and where it is."),
            COLUMNS,
            rows,
        ),
        ExportFiles(FOLDER, _("The report documents themselves (PDF and Word), by period."), files),
    ]
