"""Celery tasks of the core: the database ping of the health check, the heartbeat and the
deletion of expired API tokens.

The layers above own theirs: notifications (``roadmap_portal.notifications.tasks``),
reports (``roadmap_portal.insights.tasks``), webhooks, exports, the outbox, certification
and the import; each app's ``tasks`` module is found by Celery's autodiscovery.
"""

from __future__ import annotations

import datetime
from typing import Any

from celery import shared_task
from django.db import connection
from django.utils import timezone

from .api import tokens
from .health import heartbeat_stamp
from .models import Region


@shared_task
def ping_database(region_code: str) -> dict[str, Any]:
    """Reads the database from a worker: used by the health check and the worker test."""
    region = Region.objects.filter(code=region_code).values_list("name", flat=True).first()
    return {"region": region, "vendor": connection.vendor}


@shared_task
def heartbeat(sent: str | None = None) -> str | None:
    """Beat schedule: stamps ``beat`` with the time beat sent it (``sent``, added when it is
    published) and ``worker`` with now, for /healthz."""
    heartbeat_stamp("worker", timezone.now())
    if sent:
        heartbeat_stamp("beat", datetime.datetime.fromisoformat(sent))
    return sent


@shared_task
def delete_expired_tokens() -> int:
    """Beat schedule, hourly: deletes the API tokens past their expiry (the token check no
    longer reads a person's other tokens on every request to do it). Returns how many."""
    return tokens.delete_expired_tokens()
