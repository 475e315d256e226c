"""Sequence numbers per endpoint (existing deliveries numbered in the order they were
recorded), the time an endpoint started failing, the last attempt's time, and "held"."""

from django.db import migrations, models

NUMBER_EXISTING = """
UPDATE webhooks_webhookdelivery AS d SET sequence = n.seq
FROM (
    SELECT id, row_number() OVER (PARTITION BY endpoint_id ORDER BY created, id) AS seq
    FROM webhooks_webhookdelivery
) AS n
WHERE d.id = n.id;
UPDATE webhooks_webhookendpoint AS e SET last_sequence = m.top
FROM (
    SELECT endpoint_id, max(sequence) AS top FROM webhooks_webhookdelivery GROUP BY endpoint_id
) AS m
WHERE e.id = m.endpoint_id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="failing_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="failing since"),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="last_sequence",
            field=models.PositiveBigIntegerField(default=0, verbose_name="last sequence number"),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="last_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last attempt at"),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True, verbose_name="sequence number"),
        ),
        migrations.RunSQL(NUMBER_EXISTING, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="sequence",
            field=models.PositiveBigIntegerField(verbose_name="sequence number"),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("held", "Held while the endpoint is switched off"),
                ],
                default="pending",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                fields=("endpoint", "sequence"), name="webhook_delivery_sequence_per_endpoint"
            ),
        ),
    ]
