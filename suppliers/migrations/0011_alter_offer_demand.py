import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap_portal", "0009_demand"),
        ("suppliers", "0010_offer_history_last_stage_index"),
    ]

    # The same column and constraint: only the model it names moved (roadmap_portal 0009).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="offer",
                    name="demand",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="offers",
                        to="roadmap_portal.demand",
                        verbose_name="answers demand",
                    ),
                ),
            ],
        ),
    ]
