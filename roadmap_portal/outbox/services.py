"""The transactional outbox: work that must leave the database (a notification, an e-mail,
a webhook event, a report job, any Celery task) is written as a row in the transaction of
the change that causes it, and handed to Celery only once that transaction commits.

``publish(task, key=..., kwargs=...)`` writes an ``OutboxMessage`` in the caller's
transaction; after commit ``relay`` hands it to the broker with short timeouts and no
retries. A broker that is away leaves the row pending, logged and never raised into the
request. The ``relay_outbox`` beat task relays pending rows every minute, and again rows
handed over long ago (``OUTBOX_REDISPATCH_AFTER``) whose task never finished: a worker
killed with -9 loses its unacknowledged message until the broker's visibility timeout, the
sweep does not wait that long.

A task declared with ``base=OutboxTask`` receives the row's key (``outbox_key``), does
nothing for a row already done, and marks the row done when it returns. With
``outbox_atomic = True`` (the default) the task's work and the mark commit in one
transaction, so a redelivered or re-relayed task cannot double anything; tasks with side
effects outside the database (e-mail, HTTP, files) set it to False and rely on their own
claims (see ``roadmap_portal.notifications.delivery``).

Eager Celery (tests, the SQLite demo without a broker) runs the task inline during the
relay, right after the commit.

No maintained package fitted: django-celery-outbox needs its own relay daemon and brings
structlog, sentry-sdk and datadog, and knows no idempotency key for handlers;
django-jaiminho pickles callables with dill. This module is the part of them the portal
uses, on the Celery it already runs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from functools import partial
from typing import TYPE_CHECKING, Any

from celery import Task, current_app
from celery.exceptions import Retry
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from .models import OutboxMessage

if TYPE_CHECKING:
    from django.db.models import QuerySet

log = logging.getLogger(__name__)

# The keyword argument that carries the row's key to the task.
OUTBOX_KEY = "outbox_key"
# Once a hand-off after a commit has found the broker away, the hand-offs after the next
# commits of this process leave their rows to the sweep for this many seconds (the
# ``REDIS_RETRY_AFTER`` setting), so a frozen or stopped broker costs one request a
# timeout, not every request.
_broker_away_until = 0.0
BROKER_ERRORS = (OperationalError, ConnectionError, TimeoutError, OSError)
# Queues by kind (settings.TASK_QUEUES_BY_NAME maps task names to them).
NOTIFICATIONS = "notifications"
WEBHOOKS = "webhooks"
REPORTS = "reports"
IMPORTS = "imports"
EXPORTS = "exports"
DEFAULT = "celery"


def publish(task: Task | str, *, key: str, kwargs: dict[str, Any], queue: str | None = None) -> str:
    """Record that ``task(**kwargs)`` must run, once for ``key``, in the current transaction.

    ``kwargs`` must be JSON (dates and decimals are turned into strings). ``queue`` is a
    kind (``notifications``, ``webhooks``, ``reports``, ``imports``, ``exports``); without
    it the task's route in ``TASK_QUEUES_BY_NAME`` decides. A second ``publish`` with the
    same key is a no-op. The row is relayed after the transaction commits (at once outside
    a transaction); nothing is relayed for a transaction rolled back. Returns the key.
    """
    publish_many(task, [(key, kwargs)], queue=queue)
    return key


def publish_many(
    task: Task | str, messages: Iterable[tuple[str, dict[str, Any]]], *, queue: str | None = None
) -> list[str]:
    """``publish`` for many (key, kwargs) of one task, in one INSERT. Returns the keys."""
    return publish_each((task, key, kwargs, queue) for key, kwargs in messages)


def publish_each(
    messages: Iterable[tuple[Task | str, str, dict[str, Any], str | None]],
) -> list[str]:
    """``publish`` for many (task, key, kwargs, queue), of any tasks, in one INSERT (the
    subscribers of a domain event, ``roadmap_portal.events``). Returns the keys."""
    rows = [
        OutboxMessage(
            key=key,
            task=task if isinstance(task, str) else task.name,
            kwargs=json.loads(json.dumps(kwargs, cls=DjangoJSONEncoder)),
            queue=queue or "",
        )
        for task, key, kwargs, queue in messages
    ]
    if not rows:
        return []
    OutboxMessage.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    keys = [row.key for row in rows]
    transaction.on_commit(partial(relay, keys), robust=True)
    return keys


def redispatch_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "OUTBOX_REDISPATCH_AFTER", 300))


def max_handoffs() -> int:
    return getattr(settings, "OUTBOX_MAX_HANDOFFS", 10)


def queue_name(kind: str) -> str:
    """The broker queue of a kind: ``TASK_QUEUE_PREFIX`` + kind (a test's own prefix)."""
    return f"{getattr(settings, 'TASK_QUEUE_PREFIX', '')}{kind}"


def kind_of(task_name: str) -> str:
    """The queue kind of a task: the first pattern of ``TASK_QUEUES_BY_NAME`` it matches."""
    for pattern, kind in getattr(settings, "TASK_QUEUES_BY_NAME", {}).items():
        if fnmatchcase(task_name, pattern):
            return kind
    return DEFAULT


def route_task(
    name: str, args: Any, kwargs: Any, options: dict[str, Any], task: Any = None, **extra: Any
) -> dict[str, str]:
    """Celery's router (``CELERY_TASK_ROUTES``): a task goes to its kind's queue; a queue
    given to ``apply_async`` wins."""
    return {"queue": queue_name(kind_of(name))}


def due(now: datetime | None = None) -> QuerySet[OutboxMessage]:
    """Rows the sweep relays: never handed over, or handed over long ago and not done."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(done_at__isnull=True, attempts__lt=max_handoffs()).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - redispatch_after())
    )


def relay(keys: Iterable[str] | None = None, *, limit: int = 500) -> int:
    """Hand rows to the broker: those with ``keys`` not handed over yet, or (without keys)
    the sweep's due rows, oldest first. A broker error leaves the row pending with the
    error and is never raised; the sweep stops at the first one (the broker is away).
    Returns the number handed over."""
    if keys is not None and time.monotonic() < _broker_away_until and not _eager():
        return 0  # the broker was away moments ago: the sweep hands these over
    now = timezone.now()
    if keys is not None:
        rows = OutboxMessage.objects.filter(
            key__in=list(keys), done_at__isnull=True, dispatched_at__isnull=True
        )
    else:
        rows = due(now)
    batch = list(rows.order_by("created", "id")[:limit])
    if not batch:
        return 0
    handed = 0
    with _broker_connection() as broker:
        for row in batch:
            if not _take(row, now):
                continue  # another relay has it
            try:
                _send(row, broker)
            except Exception as exc:  # noqa: BLE001 - nothing may reach the request
                error = f"{type(exc).__name__}: {exc}"[:2000]
                OutboxMessage.objects.filter(pk=row.pk, done_at__isnull=True).update(
                    dispatched_at=row.dispatched_at, last_error=error
                )
                log.warning("Outbox %s not handed to the broker: %s", row.key, error)
                if isinstance(exc, BROKER_ERRORS):
                    _broker_away()
                    break  # the broker is away: the rest wait for the sweep
                continue
            OutboxMessage.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            handed += 1
    return handed


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _broker_away() -> None:
    global _broker_away_until
    _broker_away_until = time.monotonic() + settings.REDIS_RETRY_AFTER


def broker_timeout() -> float:
    """Seconds a hand-off may wait on the broker before its row is left for the sweep."""
    return settings.REDIS_SOCKET_TIMEOUT


@contextmanager
def _broker_connection() -> Iterator[Any]:
    """A connection to the broker that fails at once: no reconnection loop (kombu waits
    2 s between tries by default), short socket timeouts. None in eager mode."""
    if current_app.conf.task_always_eager:
        yield None
        return
    connection = current_app.connection_for_write(
        transport_options={
            "max_retries": 0,
            "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
            "socket_timeout": broker_timeout(),
        },
        connect_timeout=broker_timeout(),
    )
    try:
        yield connection
    finally:
        try:
            connection.release()
        except Exception as exc:  # noqa: BLE001 - closing a dead connection
            log.debug("Closing the broker connection failed: %s", exc)


def _take(row: OutboxMessage, now: datetime) -> bool:
    """Mark the row handed over, unless another relay did since it was read."""
    rows = OutboxMessage.objects.filter(pk=row.pk, done_at__isnull=True)
    if row.dispatched_at is None:
        rows = rows.filter(dispatched_at__isnull=True)
    else:
        rows = rows.filter(dispatched_at=row.dispatched_at)
    return rows.update(dispatched_at=now) == 1


def _send(row: OutboxMessage, broker: Any) -> None:
    kwargs = {**row.kwargs, OUTBOX_KEY: row.key}
    options: dict[str, Any] = {"retry": False}
    if row.queue:
        options["queue"] = queue_name(row.queue)
    if current_app.conf.task_always_eager:
        # send_task ignores eager mode: run the registered task inline.
        current_app.tasks[row.task].apply_async(kwargs=kwargs, **options)
    else:
        current_app.send_task(row.task, kwargs=kwargs, connection=broker, **options)


def sweep() -> dict[str, int]:
    """The beat task's work: relay due rows and forget rows done long ago."""
    relayed = relay()
    keep = timedelta(days=getattr(settings, "OUTBOX_KEEP_DAYS", 7))
    old = OutboxMessage.objects.filter(done_at__lt=timezone.now() - keep).values("pk")[:5000]
    deleted, _ = OutboxMessage.objects.filter(
        pk__in=list(old.values_list("pk", flat=True))
    ).delete()
    return {"relayed": relayed, "deleted": deleted}


def backlog() -> int:
    """Rows not done yet (for a health check)."""
    return OutboxMessage.objects.filter(done_at__isnull=True).count()


def mark_done(key: str) -> int:
    return OutboxMessage.objects.filter(key=key, done_at__isnull=True).update(
        done_at=timezone.now()
    )


class OutboxTask(Task):
    """Base for tasks published through the outbox: idempotent on the row's key.

    A Celery retry takes the work over from the outbox: the row is marked done and the
    retry runs without the key (with it, the retry would find the row done and do
    nothing)."""

    # The work and the "done" mark commit together (only database work inside).
    outbox_atomic = True
    # ``outbox_key`` is not in the task's signature: do not check arguments when sending.
    typing = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = kwargs.pop(OUTBOX_KEY, None)
        if key is None:
            return super().__call__(*args, **kwargs)
        # Called by Celery's tracer (a worker, or eager ``apply``), which has pushed the
        # request already: ``Task.__call__`` would push one without its id and retries.
        try:
            if not self.outbox_atomic:
                if OutboxMessage.objects.filter(key=key, done_at__isnull=False).exists():
                    return None
                result = self.run(*args, **kwargs)
                mark_done(key)
                return result
            with transaction.atomic():
                found = (
                    OutboxMessage.objects.select_for_update()
                    .filter(key=key)
                    .values_list("done_at", flat=True)
                )
                if any(done is not None for done in found):
                    return None
                result = self.run(*args, **kwargs)
                mark_done(key)
            return result
        except Retry:
            mark_done(key)
            raise

    def retry(self, args: Any = None, kwargs: Any = None, *rest: Any, **options: Any) -> Any:
        if kwargs is None:
            kwargs = {
                name: value
                for name, value in (self.request.kwargs or {}).items()
                if name != OUTBOX_KEY
            }
        return super().retry(args, kwargs, *rest, **options)
