"""Liveness and readiness of the portal (docs/reliability.md).

Liveness says only that the process answers. Readiness checks each dependency and answers
503 when a required one is down (the database; the broker when one is configured and
``HEALTH_BROKER_REQUIRED``), 200 with ``degraded`` when an optional one is (the Redis cache,
the worker's and beat's heartbeats, the outbox backlog, report jobs whose lease ran out):
the portal still serves pages then, with less.
"""

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone

from .celery import app
from .choices import ReportStatus
from .models import Heartbeat, Report
from .outbox.models import OutboxMessage

OK, DEGRADED, DOWN, SKIPPED = "ok", "degraded", "down", "skipped"


@dataclass
class Check:
    name: str
    required: bool
    status: str = OK
    latency_ms: float = 0.0
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "status": self.status,
            "required": self.required,
            "latency_ms": round(self.latency_ms, 1),
            **self.details,
        }


def _timed(name: str, required: bool, probe: Callable[[Check], None]) -> Check:
    check = Check(name, required)
    started = time.perf_counter()
    try:
        probe(check)
    except Exception as error:  # any failure of the dependency is its status, not ours
        check.status = DOWN if required else DEGRADED
        check.details["error"] = f"{error.__class__.__name__}: {error}"[:300]
    check.latency_ms = (time.perf_counter() - started) * 1000
    return check


def _database(check: Check) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache(check: Check) -> None:
    backend = settings.CACHES["default"]["BACKEND"]
    check.details["backend"] = backend.rsplit(".", 1)[-1]
    cache.get("healthz:probe")


def broker_configured() -> bool:
    return bool(settings.CELERY_BROKER_URL) and not app.conf.task_always_eager


def _broker(check: Check) -> None:
    if not broker_configured():
        check.status = SKIPPED
        return
    with app.connection_for_write() as conn:
        conn.ensure_connection(
            max_retries=1,
            interval_start=0,
            interval_step=0.1,
            timeout=settings.REDIS_CONNECT_TIMEOUT,
        )
        client = getattr(conn.default_channel, "client", None)
        if client is not None:  # Redis: a connection is made lazily, so ask it something
            client.ping()


def heartbeat_stamp(name: str, at: datetime.datetime) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": at})


def _heartbeat(name: str) -> Callable[[Check], None]:
    def probe(check: Check) -> None:
        if not broker_configured():
            check.status = SKIPPED
            return
        at = Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
        if at is None:
            check.status = DEGRADED
            check.details["last"] = None
            return
        age = (timezone.now() - at).total_seconds()
        check.details |= {"last": at.isoformat(), "age_s": round(age, 1)}
        if age > settings.HEALTH_HEARTBEAT_STALE:
            check.status = DEGRADED

    return probe


def _report_jobs(check: Check) -> None:
    now = timezone.now()
    row = Report.objects.filter(status__in=[ReportStatus.PENDING, ReportStatus.RUNNING]).aggregate(
        count=Count("id"),
        stalled=Count("id", filter=Q(lease_until__lt=now) | Q(lease_until__isnull=True)),
        oldest=Min("created"),
    )
    oldest = row["oldest"]
    check.details |= {
        "in_progress": row["count"],
        "stalled": row["stalled"],
        "oldest_age_s": round((now - oldest).total_seconds(), 1) if oldest else None,
    }
    if row["stalled"]:
        check.status = DEGRADED


def _outbox(check: Check) -> None:
    now = timezone.now()
    row = OutboxMessage.objects.filter(done_at__isnull=True).aggregate(
        count=Count("id"), oldest=Min("created")
    )
    age = (now - row["oldest"]).total_seconds() if row["oldest"] else None
    check.details |= {
        "pending": row["count"],
        "oldest_age_s": round(age, 1) if age is not None else None,
    }
    if age is not None and age > settings.HEALTH_OUTBOX_STALE:
        check.status = DEGRADED


def readiness() -> tuple[int, dict]:
    """(HTTP status, body): 503 when a required dependency is down, else 200."""
    checks = [
        _timed("database", True, _database),
        _timed("cache", False, _cache),
        _timed("broker", broker_configured() and settings.HEALTH_BROKER_REQUIRED, _broker),
        _timed("worker", False, _heartbeat("worker")),
        _timed("beat", False, _heartbeat("beat")),
    ]
    if checks[0].status == OK:
        checks.append(_timed("outbox", False, _outbox))
        checks.append(_timed("report_jobs", False, _report_jobs))
    if any(c.required and c.status == DOWN for c in checks):
        overall, code = DOWN, 503
    elif any(c.status in (DEGRADED, DOWN) for c in checks):
        overall, code = DEGRADED, 200
    else:
        overall, code = OK, 200
    return code, {"status": overall, "checks": {c.name: c.as_json() for c in checks}}
