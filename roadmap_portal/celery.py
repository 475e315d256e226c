"""The Celery application: configured from Django settings under the CELERY_ namespace."""

import datetime
import os

from celery import Celery
from celery.signals import before_task_publish, worker_process_init

from roadmap_portal.runtime import settle_collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")

app = Celery("roadmap_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _stamp_heartbeat_send_time(sender=None, body=None, **kwargs) -> None:
    """Beat's heartbeat carries the time it was sent, so /healthz tells beat's last run apart
    from the worker's."""
    if sender == "roadmap_portal.tasks.heartbeat" and isinstance(body, tuple | list):
        body[1].setdefault("sent", datetime.datetime.now(datetime.UTC).isoformat())


@worker_process_init.connect
def _settle_collector(**kwargs) -> None:
    """A pool process starts with the app loaded: out of the collector's way (runtime.py)."""
    settle_collector()
