"""The Celery application: broker from REDIS_URL, configuration from Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coherence_site.settings")

app = Celery("coherence_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
