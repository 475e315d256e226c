"""Read-replica routing: heavy reads go to the ``replica`` alias, everything else stays on
the primary (``default``). Installed only when ``DATABASE_REPLICA_URL`` is set (settings).

* Only code inside ``use_replica()`` reads from the replica: the dashboard, the volume
  series, report building and the feeds (``reads_from_replica`` for page views,
  ``ReplicaReadsMixin`` for API views, both on GET and HEAD only, after authentication,
  which reads on the primary). Everything else reads from the primary.
* Writes always go to the primary, and so does every read while the primary has a
  transaction open (``transaction.atomic()``).
* A request or task that has written reads from the primary from then on (a write marks
  its unit of work: the request, set up by ``ReplicaRoutingMiddleware``; the Celery task,
  set up by the task signals below). A person whose request wrote reads from the primary
  for ``REPLICA_STICKY_SECONDS`` after it (a key in the shared cache, so any web server
  and any client of theirs, token or browser, sees their own writes despite the replica's
  lag).
* Bookkeeping writes that no later read depends on do not count: a partner key's last use
  and the session.
* A replica that cannot be connected to is left alone for REPLICA_RETRY_SECONDS: its reads
  go to the primary meanwhile (a replica that fails in the middle of a request still fails
  that request).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writes after which a later read of the same request still may use the replica.
BOOKKEEPING_MODELS = frozenset({"roadmap_portal.apikey", "sessions.session"})
STICKY_KEY = "db-replica:wrote:{}"
REPLICA_RETRY_SECONDS = 30.0
# Until when (time.monotonic()) this process reads from the primary: the replica was away.
_replica_down_until = 0.0


class _Unit:
    """A request's or a task's work: whether it has written. A block of
    ``use_replica(ignore_earlier_writes=True)`` is a unit of its own inside another; its
    writes mark the enclosing units too."""

    __slots__ = ("parent", "wrote")

    def __init__(self, parent: _Unit | None = None) -> None:
        self.parent = parent
        self.wrote = False

    def mark(self) -> None:
        unit: _Unit | None = self
        while unit is not None:
            unit.wrote = True
            unit = unit.parent


_unit: ContextVar[_Unit | None] = ContextVar("db_unit", default=None)
_replica: ContextVar[bool] = ContextVar("db_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _replica_reachable() -> bool:
    """Whether the replica's connection is open or opens now; after a failure, False for
    REPLICA_RETRY_SECONDS without trying."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        logger.warning("Replica routing: the replica is unreachable", exc_info=True)
        _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        return False
    return True


def _sticky_key(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return STICKY_KEY.format(user.pk)


def _wrote_recently(user: Any) -> bool:
    """Whether ``user`` wrote within REPLICA_STICKY_SECONDS; True when the cache fails."""
    key = _sticky_key(user)
    if key is None or not replica_configured():
        return False
    try:
        return bool(cache.get(key))
    except Exception:  # an unreachable cache: read from the primary, never stale
        logger.warning("Replica routing: the cache is unreachable", exc_info=True)
        return True


def _remember_write(user: Any) -> None:
    key = _sticky_key(user)
    if key is None or not replica_configured():
        return
    try:
        cache.set(key, True, timeout=settings.REPLICA_STICKY_SECONDS)
    except Exception:
        logger.warning("Replica routing: the cache is unreachable", exc_info=True)


@contextmanager
def use_replica(*, user: Any = None, ignore_earlier_writes: bool = False) -> Iterator[None]:
    """Reads inside the block may come from the replica (when there is one): the block
    accepts data as old as the replica's lag. They stay on the primary after a write of the
    enclosing request or task (unless ``ignore_earlier_writes``: the block needs none of
    them), after a write inside the block, within a transaction, and when ``user`` wrote
    within REPLICA_STICKY_SECONDS."""
    unit_token = _unit.set(_Unit(parent=_unit.get())) if ignore_earlier_writes else None
    replica_token = _replica.set(not _wrote_recently(user))
    try:
        yield
    finally:
        _replica.reset(replica_token)
        if unit_token is not None:
            _unit.reset(unit_token)


@contextmanager
def unit_of_work() -> Iterator[_Unit]:
    """A request or task: its writes keep its later reads on the primary."""
    unit = _Unit()
    unit_token = _unit.set(unit)
    replica_token = _replica.set(False)
    try:
        yield unit
    finally:
        _replica.reset(replica_token)
        _unit.reset(unit_token)


def reads_from_replica(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page view whose GET and HEAD read from the replica (put it under
    ``login_required``, so the signed-in user is read from the primary first)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            return view(request, *args, **kwargs)
        with use_replica(user=getattr(request, "user", None)):
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaReadsMixin:
    """DRF views: GET and HEAD (of the actions in ``replica_actions``, or all) read from the
    replica once authentication, permissions and throttling have passed on the primary."""

    replica_actions: frozenset[str] | None = None

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        action = getattr(self, "action", None)
        if request.method in SAFE_METHODS and (
            self.replica_actions is None or action in self.replica_actions
        ):
            self._replica_block: Any = use_replica(user=request.user)
            self._replica_block.__enter__()

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        block = getattr(self, "_replica_block", None)
        if block is not None:
            self._replica_block = None
            block.__exit__(None, None, None)
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry (see the module's text)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not _replica.get() or not replica_configured():
            return PRIMARY
        unit = _unit.get()
        if unit is not None and unit.wrote:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA if _replica_reachable() else PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        if model._meta.label_lower not in BOOKKEEPING_MODELS:
            unit = _unit.get()
            if unit is None:
                unit = _Unit()
                _unit.set(unit)
            unit.mark()
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from either may refer to one
        # read from the other.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


class ReplicaRoutingMiddleware:
    """Each request is a unit of work; a person whose request wrote reads from the primary
    for REPLICA_STICKY_SECONDS. Put it near the top, so every write of the request counts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with unit_of_work() as unit:
            response = self.get_response(request)
        if unit.wrote:
            _remember_write(getattr(request, "user", None))
        return response


# A worker process runs task after task: each task starts as a unit of its own (inside the
# request's unit when it runs eagerly in a request, whose later reads then see its writes).
_task_tokens: dict[str, Any] = {}


@task_prerun.connect
def _task_starts(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id is not None:
        _task_tokens[task_id] = (_unit.set(_Unit(parent=_unit.get())), _replica.set(False))


@task_postrun.connect
def _task_ends(task_id: str | None = None, **kwargs: Any) -> None:
    tokens = _task_tokens.pop(task_id, None) if task_id is not None else None
    if tokens is not None:
        try:
            _unit.reset(tokens[0])
            _replica.reset(tokens[1])
        except ValueError:  # set in another context (an eager task run elsewhere)
            _unit.set(None)
            _replica.set(False)
