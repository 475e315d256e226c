"""Search indexes on demands and tenders (see roadmap_portal/search/selectors.py): Russian full text,
trigrams of titles and of upper-cased tender numbers, the demand category's prefix. PostgreSQL only; the
``pg_trgm`` extension comes from suppliers 0009."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.functions.text
from django.db import migrations, models

from roadmap_portal.postgres_indexes import AddPostgresIndex


class Migration(migrations.Migration):
    dependencies = [
        ("procurement", "0004_contract_supplier_signed_cover"),
        ("suppliers", "0009_search_indexes"),
    ]

    operations = [
        AddPostgresIndex(
            model_name="demand",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector(
                    "title", "description", "replaces", config="russian"
                ),
                name="demand_search_document",
            ),
        ),
        AddPostgresIndex(
            model_name="demand",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["title"], name="demand_title_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        AddPostgresIndex(
            model_name="demand",
            index=models.Index(
                fields=["category"],
                name="demand_category_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        AddPostgresIndex(
            model_name="tender",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector(
                    "title", "description", config="russian"
                ),
                name="tender_search_document",
            ),
        ),
        AddPostgresIndex(
            model_name="tender",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["title"], name="tender_title_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        AddPostgresIndex(
            model_name="tender",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("number"), name="gin_trgm_ops"
                ),
                name="tender_number_trgm",
            ),
        ),
    ]
