"""Celery adapters for the outbox."""

from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=4)
def send_mails(self, mail_ids: list[int]) -> None:
    """Send outbox mails; a refusing mail server is tried again with backoff, then beat takes over."""
    if services.mail_send(ids=mail_ids) or self.request.is_eager:
        return  # in the embedded mode there is no worker to wait for: the rows keep what is unsent
    raise self.retry(countdown=30 * 2**self.request.retries)


@shared_task
def send_unsent_mails() -> bool:
    """Send what is still unsent and due (run by beat)."""
    return services.mail_send_due()
