"""Indexes for OKPD2 prefix searches and the volume aggregation, on PostgreSQL.

``varchar_pattern_ops`` lets ``LIKE 'NN.NN%'`` use an index whatever the database
collation; the covering contract index lets the yearly volume be summed from the index.
SQLite (the local demo) does not need them.
"""

from django.db import migrations

INDEXES = [
    (
        "suppliers_offer_okpd2_prefix",
        "CREATE INDEX IF NOT EXISTS suppliers_offer_okpd2_prefix "
        "ON suppliers_offer (okpd2 varchar_pattern_ops)",
    ),
    (
        "certification_register_okpd2_prefix",
        "CREATE INDEX IF NOT EXISTS certification_register_okpd2_prefix "
        "ON certification_registerentry (okpd2 varchar_pattern_ops)",
    ),
    (
        "procurement_contract_customer_signed_cover",
        "CREATE INDEX IF NOT EXISTS procurement_contract_customer_signed_cover "
        "ON procurement_contract (customer_id, signed_on) INCLUDE (supplier_id, amount)",
    ),
    (
        "suppliers_offer_status_changed",
        "CREATE INDEX IF NOT EXISTS suppliers_offer_status_changed "
        "ON suppliers_offer (status, status_changed, id)",
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _name, sql in INDEXES:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _sql in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0001_initial"),
        ("certification", "0002_initial"),
        ("procurement", "0002_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
