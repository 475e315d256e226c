"""Demand moves to the core: the table is renamed, the rest is state."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
import roadmap_portal.okpd2
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap_portal", "0008_offer_message_event"),
        ("procurement", "0005_search_indexes"),
    ]

    # Demands move from procurement to the core (suppliers' offers answer them, procurement
    # turns them into tenders): the table is renamed and keeps its rows, ids and indexes.
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE procurement_demand RENAME TO roadmap_portal_demand",
                    reverse_sql="ALTER TABLE roadmap_portal_demand RENAME TO procurement_demand",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Demand",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("title", models.CharField(max_length=300, verbose_name="title")),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                        (
                            "category",
                            models.CharField(
                                max_length=12,
                                validators=[roadmap_portal.okpd2.validate],
                                verbose_name="OKPD2 category",
                            ),
                        ),
                        (
                            "quantity",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                max_digits=14,
                                null=True,
                                verbose_name="quantity per year",
                            ),
                        ),
                        ("unit", models.CharField(blank=True, max_length=30, verbose_name="unit")),
                        (
                            "replaces",
                            models.CharField(
                                blank=True, max_length=300, verbose_name="imported analog"
                            ),
                        ),
                        (
                            "deadline",
                            models.DateField(blank=True, null=True, verbose_name="deadline"),
                        ),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        (
                            "customer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="demands",
                                to="roadmap_portal.corporation",
                                verbose_name="customer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "demand",
                        "verbose_name_plural": "demands",
                        "ordering": ["-id"],
                        "indexes": [
                            django.contrib.postgres.indexes.GinIndex(
                                django.contrib.postgres.search.SearchVector(
                                    "title", "description", "replaces", config="russian"
                                ),
                                name="demand_search_document",
                            ),
                            django.contrib.postgres.indexes.GinIndex(
                                fields=["title"],
                                name="demand_title_trgm",
                                opclasses=["gin_trgm_ops"],
                            ),
                            models.Index(
                                fields=["category"],
                                name="demand_category_prefix",
                                opclasses=["varchar_pattern_ops"],
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]
