"""Migration operations for the indexes that only PostgreSQL has (GIN, trigram, text search).

The local demo runs on SQLite, which has neither GIN nor ``pg_trgm``: there these operations
change the migration state only, so the models declare their indexes in one place and
``makemigrations`` stays clean on both databases.
"""

from django.db import migrations


def _on_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddPostgresIndex(migrations.AddIndex):
    """``AddIndex`` that creates the index on PostgreSQL and does nothing on SQLite."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _run_on_postgresql(statements: list[str]):
    def run(apps, schema_editor):
        if _on_postgresql(schema_editor):
            for sql in statements:
                schema_editor.execute(sql)

    return run


def create_indexes_sql(*indexes: tuple[str, str]) -> migrations.RunPython:
    """Indexes the models cannot declare (an operator class together with ``INCLUDE``
    columns), as ``(name, "CREATE INDEX ...")`` pairs, created on PostgreSQL only and
    dropped by name when the migration is reversed."""
    return migrations.RunPython(
        _run_on_postgresql([sql for _name, sql in indexes]),
        _run_on_postgresql([f"DROP INDEX IF EXISTS {name}" for name, _sql in indexes]),
    )
