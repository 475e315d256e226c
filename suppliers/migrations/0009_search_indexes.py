"""Search indexes on suppliers and offers (see roadmap_portal/search/selectors.py).

PostgreSQL only, like the other prefix indexes (0002): the ``pg_trgm`` extension, GIN
indexes of the Russian full-text documents and of the names' trigrams (typos), and
``varchar_pattern_ops`` indexes for INN and OGRN prefixes. On SQLite (the local demo) the
operations change the migration state only.
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from roadmap_portal.postgres_indexes import AddPostgresIndex


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0008_append_only_history")]

    operations = [
        TrigramExtension(),
        AddPostgresIndex(
            model_name="offer",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector(
                    "name", "description", "replaces", config="russian"
                ),
                name="offer_search_document",
            ),
        ),
        AddPostgresIndex(
            model_name="offer",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name"], name="offer_name_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        AddPostgresIndex(
            model_name="supplier",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("name", config="russian"),
                name="supplier_search_document",
            ),
        ),
        AddPostgresIndex(
            model_name="supplier",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name"], name="supplier_name_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        AddPostgresIndex(
            model_name="supplier",
            index=models.Index(
                fields=["inn"], name="supplier_inn_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ),
        AddPostgresIndex(
            model_name="supplier",
            index=models.Index(
                fields=["ogrn"], name="supplier_ogrn_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ),
    ]
