"""Search by a part of a certificate's number (see roadmap_portal/search/selectors.py): a trigram GIN
index over the upper-cased number (``icontains`` compares upper case), PostgreSQL only; the ``pg_trgm`` extension comes from suppliers 0009."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations

from roadmap_portal.postgres_indexes import AddPostgresIndex


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0003_append_only_records"),
        ("suppliers", "0009_search_indexes"),
    ]

    operations = [
        AddPostgresIndex(
            model_name="certificate",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("number"), name="gin_trgm_ops"
                ),
                name="certificate_number_trgm",
            ),
        ),
    ]
