"""Append-only records: written once, never changed or deleted.

The offer history and the stage records hang on it (requirement checks, readiness
evaluations, tests), the register's entries and their events, and the certificates' events
are the portal's record. Two layers keep them as written:

* the admin shows them but offers no add, change or delete (:class:`AppendOnlyAdmin`);
* PostgreSQL refuses every ``UPDATE`` and ``DELETE`` of their rows with a trigger that the
  apps' migrations create (:func:`refuse_rewrite_operation`), whatever the code or the SQL
  that tries. ``TRUNCATE`` (the test suite's flush, ``seed_scale --reset``) fires no row
  trigger and stays the table owner's tool.

Parents of these rows (offers, users who acted, certificates, register entries) are
protected (``on_delete=PROTECT``): a record is never removed by a cascade either.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin
from django.db import connection, migrations
from django.db.models import Model
from django.http import HttpRequest


class AppendOnlyAdmin(admin.ModelAdmin):
    """Viewing only: no add, no change, no delete, for superusers too."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AppendOnlyInline(admin.TabularInline):
    """An inline of append-only rows: listed, never added, changed or deleted."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def _on_postgresql(sql: str) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        # SQLite serves only the local demo: it keeps no trigger.
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def refuse_rewrite_operation(function: str, tables: Sequence[str]) -> migrations.RunPython:
    """A migration operation creating ``function`` and a ``BEFORE UPDATE OR DELETE`` row
    trigger on each table that raises an exception: the rows can only be inserted.

    The SQL is spelled out here once; the migration keeps the function name and the table
    names it was written with.
    """
    create = [
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING HINT = 'The record is written once and never changed or deleted.';
        END
        $$;
        """
    ]
    drop = []
    for table in tables:
        trigger = f"{table}_append_only"
        create.append(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}();"
        )
        drop.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table};")
    drop.append(f"DROP FUNCTION IF EXISTS {function}();")
    return migrations.RunPython(_on_postgresql("\n".join(create)), _on_postgresql("\n".join(drop)))


def sql_operation(forward: str, backward: str) -> migrations.RunPython:
    """Raw SQL run on PostgreSQL only (a no-op on SQLite)."""
    return migrations.RunPython(_on_postgresql(forward), _on_postgresql(backward))


def reserve_id(model: type[Model]) -> int:
    """The primary key the next row of ``model`` will take, reserved now.

    An append-only row that other rows point to (the offer history and its stage records)
    is written once, complete: its children are inserted first with this id, the foreign
    keys being checked at commit, and the row itself last, with everything it records.
    """
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [table, column])
        else:  # the SQLite demo: one writer at a time
            quoted = connection.ops.quote_name
            cursor.execute(f"SELECT COALESCE(MAX({quoted(column)}), 0) + 1 FROM {quoted(table)}")  # noqa: S608
        return int(cursor.fetchone()[0])
