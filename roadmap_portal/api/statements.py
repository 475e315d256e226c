"""Statements kept by request shape: a request whose rows are a function of its shape (the
view, its URL and query string, the caller's scope, the caller and the language) runs the
SQL written for the first request of that shape instead of building and compiling its
querysets again.

A view's rows are such a function: scope is a condition on ``scope_of(user)``
(``roadmap_portal.scope``) and filters read the query string. What is kept is only SQL and
its parameters, never rows; a statement with a moment among its parameters (``now``,
``today`` read while the querysets were built) is not kept, since the next request of the
same shape would need another.
"""

import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import router

from roadmap_portal.scope import scope_of

# Parameter values that name rows, not a moment: a statement holding only these is the
# same for every request of the same shape.
_PLAIN = (int, float, str, bytes, Decimal, uuid.UUID, type(None))


def plain(value):
    """Whether a parameter names rows rather than a moment (see the module's text)."""
    if isinstance(value, list | tuple):
        return all(plain(item) for item in value)
    return isinstance(value, _PLAIN)


def reader(user):
    """What of the caller decides the rows a statement reads, for its key: the scope (every
    row condition is one on ``scope_of(user)``), the person and the API key it called
    with."""
    return (
        scope_of(user),
        getattr(user, "pk", None),
        getattr(getattr(user, "_api_key", None), "pk", None),
    )


class Statements:
    """The statements one process keeps, by request shape, at most ``size`` (the oldest
    leaves first). A statement is kept only when its ``reusable`` says so."""

    def __init__(self, size=2048):
        self.size = size
        self.kept = {}
        self.lock = threading.Lock()

    def get(self, key):
        return self.kept.get(key)

    def keep(self, key, statement):
        if not statement.reusable:
            return
        with self.lock:
            if len(self.kept) >= self.size:
                self.kept.pop(next(iter(self.kept)))  # the oldest
            self.kept[key] = statement

    def clear(self):
        with self.lock:
            self.kept.clear()


@dataclass(frozen=True)
class ModelStatement:
    """A queryset of model instances as its SQL, run again through ``raw()``: the same
    instances without building and compiling the queryset."""

    model: type
    sql: str
    params: tuple
    database: str | None = None

    @classmethod
    def of(cls, queryset):
        """The statement of ``queryset`` (no ``select_related``: ``raw()`` reads one
        model's columns), or None for a queryset that cannot hold a row."""
        try:
            sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        except EmptyResultSet:
            return None
        return cls(queryset.model, sql, tuple(params), queryset._db)

    @property
    def reusable(self):
        return all(plain(value) for value in self.params)

    def run(self):
        database = self.database or router.db_for_read(self.model)
        return list(self.model._default_manager.db_manager(database).raw(self.sql, self.params))
