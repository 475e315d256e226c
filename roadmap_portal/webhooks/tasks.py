"""Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task
from django.conf import settings

from .services import DeliveryFailed


@shared_task(
    bind=True,
    autoretry_for=(DeliveryFailed,),
    retry_backoff=30,
    retry_backoff_max=6 * 3600,
    retry_jitter=True,
    max_retries=settings.WEBHOOK_MAX_RETRIES,
)
def deliver_webhook(self, delivery_id):
    """POST one delivery; a failure retries with exponential backoff (30 s, 1 min, 2 min, ...)
    and the last retry records the delivery as failed. A sent delivery is not sent again."""
    from .services import delivery_send

    return delivery_send(delivery_id=delivery_id, final=self.request.retries >= self.max_retries)


@shared_task
def deliver_stale_webhooks():
    """Beat schedule: send deliveries whose queueing was lost (never attempted)."""
    from .services import deliveries_queue_stale

    return deliveries_queue_stale()
