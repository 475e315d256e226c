"""After a transactional test: delete the rows it left instead of Django's flush.

Django's flush (``TransactionTestCase``'s teardown) truncates every table of every app and
then runs ``post_migrate`` to write the content types and permissions again: about 0.5 s
on an idle machine, a new file for each table, index and TOAST table, whatever the test
touched. About a hundred tests of the suite are transactional (browsers, live servers,
real Celery workers), most of them filling a handful of tables.

:func:`empty_database` finds the tables that hold rows in one query and deletes their rows
in one transaction: Django's foreign keys are checked once every row that referred to
another is gone too. The append-only tables' triggers refuse a ``DELETE``
(their rows are the portal's record); the table owner switches them off inside that
transaction, so no other connection ever sees them off. The content types and permissions
stay as ``migrate`` wrote them, which is what the flush's ``post_migrate`` writes again.
"""

from django.db import connections, transaction

# Written by ``migrate`` (post_migrate) and left as they are, as the flush rewrites them.
KEPT = frozenset({"django_content_type", "auth_permission"})


def _filled(cursor, tables: list[str]) -> list[str]:
    if not tables:
        return []
    cursor.execute(
        " UNION ALL ".join(
            f"SELECT %s WHERE EXISTS (SELECT 1 FROM {cursor.db.ops.quote_name(table)})"
            for table in tables
        ),
        tables,
    )
    return [row[0] for row in cursor.fetchall()]


def empty_database(alias: str) -> None:
    """Every model table of database ``alias`` without rows, but for :data:`KEPT`."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    tables = sorted(
        set(connection.introspection.django_table_names(only_existing=True, include_views=False))
        - KEPT
    )
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        filled = _filled(cursor, tables)
        if not filled:
            return
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgrelid = ANY(%s::regclass[])",
            [[quote(table) for table in filled]],
        )
        triggers = cursor.fetchall()
        for table, trigger in triggers:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {quote(trigger)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in filled:
            cursor.execute(f"DELETE FROM {quote(table)}")
        # The foreign keys are checked now, every row gone: a table with checks pending
        # cannot have its triggers switched back on.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in triggers:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {quote(trigger)}")


def install() -> None:
    """Transactional tests on PostgreSQL end with :func:`empty_database`; any other
    database keeps Django's flush."""
    from django.test import TransactionTestCase

    flush = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        names = list(self._databases_names(include_mirrors=False))
        if self.available_apps is not None or any(
            connections[name].vendor != "postgresql" for name in names
        ):
            return flush(self)
        for name in names:
            empty_database(name)

    TransactionTestCase._fixture_teardown = _fixture_teardown
