"""Django's PostgreSQL backend with a health check that a busy connection skips, and
statements prepared once per connection for the queries every request makes.

With ``CONN_HEALTH_CHECKS`` Django pings a persistent connection (``SELECT 1``) before the
first query of every request: a round trip of its own on every request, the third of the
queries a 304 made. Here a connection that finished a request without an error less than
``CONN_HEALTH_CHECK_BYPASS`` seconds ago (default 1) is trusted without the ping, as
connection pools do (HikariCP's ``aliveBypassWindowMs``); an idle one is still pinged,
and one found dead is closed and reopened before the request's first query. A server
that drops the connection within the window fails that request's first query, as it
would without health checks, and the connection is closed at the request's end.

``execute_prepared`` runs a statement that the connection prepares on first use: the token
check, a conditional GET's kept stamps statement (``roadmap_portal.api.conditional``) and,
through the execute wrapper of ``prepared(using)``, a feed's first cursor page are parsed and
planned by PostgreSQL once per connection instead of once per request (the planning was
most of PostgreSQL's time on them).
"""

import contextlib
import hashlib
import re
import time
from types import SimpleNamespace

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.postgresql import base

# Django's placeholders in SQL it writes: ``%s`` a parameter, ``%%`` a literal percent sign.
_PLACEHOLDER = re.compile(r"%(s|%)")


# Statements kept prepared on one connection before they are all released.
PREPARED_MOST = 500
# What PostgreSQL answers when a prepared statement's tables changed under it so that its
# result would change shape (a migration): prepared again.
PLAN_CHANGED = "0A000"


class DatabaseWrapper(base.DatabaseWrapper):
    # time.monotonic() when the connection last ended a request without an error.
    answered_at = None

    # The names of the statements prepared on the current connection, and the SQL that
    # PostgreSQL would not prepare (a parameter of no type it can tell).
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()
        self.unpreparable: set[str] = set()

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        self.prepared = set()
        return connection

    def execute_prepared(self, cursor, sql, params):
        """Run ``sql`` (with Django's ``%s`` placeholders) on ``cursor`` as a statement that
        this connection prepares once: PostgreSQL parses and plans it once, not at every
        request. The first run prepares and executes it in one round trip. Within a
        transaction a statement not yet prepared runs as plain SQL (a failed ``PREPARE``
        would abort the transaction); so does all SQL when ``DATABASE_PREPARED_STATEMENTS``
        is off (behind a pooler in transaction mode, which moves a session's requests
        between server connections)."""
        params = tuple(params)
        if not settings.DATABASE_PREPARED_STATEMENTS or sql in self.unpreparable:
            cursor.execute(sql, params)
            return
        name = "p_" + hashlib.blake2b(sql.encode(), digest_size=12).hexdigest()
        arguments = "(" + ", ".join(["%s"] * len(params)) + ")" if params else ""
        if name in self.prepared:
            try:
                cursor.execute(f"EXECUTE {name}{arguments}", params)
            except DatabaseError as error:
                cause = getattr(error, "__cause__", None)
                if self.in_atomic_block or getattr(cause, "pgcode", None) != PLAN_CHANGED:
                    raise
                # Its tables changed shape since it was prepared: prepared again below.
                cursor.execute(f"DEALLOCATE {name}")
                self.prepared.discard(name)
            else:
                return
        if self.in_atomic_block:
            cursor.execute(sql, params)
            return
        numbers = iter(range(1, len(params) + 1))
        # ``$n`` for each parameter; a literal ``%%`` stays for psycopg2 to write as ``%``.
        text = _PLACEHOLDER.sub(lambda m: f"${next(numbers)}" if m[1] == "s" else "%%", sql)
        if len(self.prepared) >= PREPARED_MOST:
            cursor.execute("DEALLOCATE ALL")
            self.prepared.clear()
        try:
            cursor.execute(f"PREPARE {name} AS {text}; EXECUTE {name}{arguments}", params)
        except DatabaseError:
            if len(self.unpreparable) >= PREPARED_MOST:
                self.unpreparable.clear()
            self.unpreparable.add(sql)
            cursor.execute(sql, params)
            return
        self.prepared.add(name)

    def close_if_unusable_or_obsolete(self):
        # Called at a request's start and end; after the request's first query the health
        # check is done, so this is the end of a request that used the connection.
        used = self.health_check_done
        super().close_if_unusable_or_obsolete()
        if self.connection is None or self.errors_occurred:
            self.answered_at = None
        elif used:
            self.answered_at = time.monotonic()

    def close_if_health_check_failed(self):
        bypass = getattr(settings, "CONN_HEALTH_CHECK_BYPASS", 1.0)
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.answered_at is not None
            and time.monotonic() - self.answered_at < bypass
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close(self):
        self.answered_at = None
        super().close()


def _as_prepared(execute, sql, params, many, context):
    """An execute wrapper (``connection.execute_wrapper``): one statement at a time through
    ``execute_prepared``."""
    connection = context["connection"]
    if many or params is None:
        return execute(sql, params, many, context)
    runner = SimpleNamespace(execute=lambda text, values: execute(text, values, many, context))
    return connection.execute_prepared(runner, sql, params)


def run_statement(connection, cursor, sql, params, *, prepared=True):
    """Run ``sql`` on ``cursor`` of ``connection``: as a statement the connection prepares
    once when ``prepared`` and the backend is this one, else as it is."""
    if prepared and hasattr(connection, "execute_prepared"):
        connection.execute_prepared(cursor, sql, params)
    else:
        cursor.execute(sql, params)


def prepared(using):
    """A block whose queries on the database ``using`` run as prepared statements (on this
    backend; elsewhere as they are): for queries of few shapes made on every request, whose
    plan does not depend on their parameters' values (a feed's first page)."""
    connection = connections[using]
    if not hasattr(connection, "execute_prepared"):
        return contextlib.nullcontext()
    return connection.execute_wrapper(_as_prepared)
