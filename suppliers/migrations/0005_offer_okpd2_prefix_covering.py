"""The OKPD2 prefix index on offers also carries status, roadmap and supplier.

Eligibility looks for the suppliers with an offer under a tender's categories to the
tender's group; with these columns in the index that is an index-only scan instead of a
heap read of every offer in the class (about 190,000 for a two-digit class at federal
scale). PostgreSQL only, like the index it replaces (see 0002_prefix_indexes).
"""

from django.db import migrations

OLD = (
    "suppliers_offer_okpd2_prefix",
    "CREATE INDEX IF NOT EXISTS suppliers_offer_okpd2_prefix "
    "ON suppliers_offer (okpd2 varchar_pattern_ops)",
)
NEW = (
    "suppliers_offer_okpd2_prefix_cover",
    "CREATE INDEX IF NOT EXISTS suppliers_offer_okpd2_prefix_cover "
    "ON suppliers_offer (okpd2 varchar_pattern_ops) INCLUDE (status, roadmap_id, supplier_id)",
)


def _swap(drop, create):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(create[1])
        schema_editor.execute(f"DROP INDEX IF EXISTS {drop[0]}")

    return run


class Migration(migrations.Migration):
    dependencies = [("suppliers", "0004_offer_history_covering_index")]

    operations = [migrations.RunPython(_swap(OLD, NEW), _swap(NEW, OLD))]
