"""The Celery application: broker from REDIS_URL, configuration from Django settings.

Work is handed to the broker only through ``publish_on_commit``: a broker that is down or hung
costs the caller a few seconds (the timeouts in settings), never an error page, and the caller's
row keeps the work until beat or the next request sends it again.
"""

import logging
import os
import time
from collections.abc import Callable

from celery import Celery, Task
from django.db import transaction
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coherence_site.settings")

app = Celery("coherence_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# When the broker refused a task, this process leaves it alone for CELERY_PUBLISH_PAUSE_SECONDS:
# a hung broker would otherwise cost every page that polls a queued job a few seconds of a web
# worker. The work waits in its row meanwhile, and beat or a later request sends it.
_refused_at: float | None = None


def publish(task: Task, *args) -> bool:
    """Send a task to the broker; False, with a warning in the log, when the broker does not take it."""
    global _refused_at
    from django.conf import settings

    if _refused_at is not None and time.monotonic() - _refused_at < settings.CELERY_PUBLISH_PAUSE_SECONDS:
        return False
    try:
        task.apply_async(args)
    except (OperationalError, OSError) as error:
        _refused_at = time.monotonic()
        logger.warning("The broker did not take %s%r: %s", task.name, args, error)
        return False
    except Exception:  # whatever went wrong, the work waits in its row: never an error page after a commit
        _refused_at = time.monotonic()
        logger.exception("Publishing %s%r failed", task.name, args)
        return False
    _refused_at = None
    return True


def publish_on_commit(
    task: Task, *args, sent: Callable[[], object] | None = None, refused: Callable[[], object] | None = None
) -> None:
    """Send a task once the transaction commits (at once outside one), tolerating a broker that is down.

    The caller's row records that the work is wanted; ``sent`` is called when the broker took the
    task and ``refused`` when it did not, so that the row can say so until the task is sent again.
    """

    def send() -> None:
        callback = sent if publish(task, *args) else refused
        if callback is not None:
            callback()

    transaction.on_commit(send)
