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
