"""Celery adapters: take an id, call one service, retry what is transient."""

from celery import shared_task
from django.db import OperationalError

from . import services
from .models import ReportJob


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, ConnectionError),
    retry_backoff=True,
    max_retries=3,
)
def render_report(self, job_id: int) -> None:
    """Render one report job; a final failure is recorded on the job, never left running."""
    try:
        job = ReportJob.objects.get(pk=job_id)
    except ReportJob.DoesNotExist:
        return
    try:
        services.report_render(job=job, resume=self.request.retries > 0)
    except (OperationalError, ConnectionError):
        if self.request.retries >= self.max_retries:
            services.report_fail(job_id=job_id, failure=ReportJob.Failure.DATABASE)
        raise
    except Exception as error:
        services.report_fail(job_id=job_id, failure=ReportJob.Failure.RENDER, detail=str(error))
        raise


@shared_task
def sweep_stale_reports() -> int:
    """Fail the jobs whose worker died; offer the broker again the jobs it did not take (run by beat)."""
    services.report_sweep_stale()
    return services.report_send_unsent()
