"""The search document of the offers in the register or excluded from it (see
roadmap_portal/search/selectors.py): the register's search reads this narrower index. PostgreSQL only,
like 0009's (on SQLite the operation changes the migration state only).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

from roadmap_portal.postgres_indexes import AddPostgresIndex


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0011_alter_offer_demand")]

    operations = [
        AddPostgresIndex(
            model_name="offer",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector(
                    "name", "description", "replaces", config="russian"
                ),
                condition=models.Q(("status__in", ["registered", "excluded"])),
                name="offer_public_search_document",
            ),
        ),
    ]
