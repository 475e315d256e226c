from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("procurement", "0005_search_indexes"),
        ("suppliers", "0011_alter_offer_demand"),
    ]

    # The table lives on as roadmap_portal_demand (roadmap_portal 0009).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Demand")],
        ),
    ]
