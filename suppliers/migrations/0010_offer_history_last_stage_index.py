# A report reads each offer's last stage before a moment by one backward index read: the
# history index gains ``id`` (the order of the steps of one transaction), replacing the old.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0009_search_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="offertransition",
            index=models.Index(
                fields=["offer", "created", "id"],
                include=("to_status",),
                name="offer_history_offer_created_id",
            ),
        ),
        migrations.RemoveIndex(
            model_name="offertransition",
            name="offer_history_offer_created",
        ),
    ]
