"""Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task
from django.conf import settings

from roadmap_portal.outbox import OUTBOX_KEY, OutboxTask

from .services import DeliveryFailed


@shared_task(
    base=OutboxTask,
    outbox_atomic=False,
    bind=True,
    # An attempt waits WEBHOOK_TIMEOUT at most; the limits stop anything beyond that.
    soft_time_limit=3 * settings.WEBHOOK_TIMEOUT + 5,
    time_limit=3 * settings.WEBHOOK_TIMEOUT + 10,
    autoretry_for=(DeliveryFailed,),
    retry_backoff=30,
    retry_backoff_max=6 * 3600,
    retry_jitter=True,
    max_retries=settings.WEBHOOK_MAX_RETRIES,
)
def deliver_webhook(self, delivery_id):
    """POST one delivery; a failure retries with exponential backoff (30 s, 1 min, 2 min, ...)
    and the last retry records the delivery as failed. A sent delivery is not sent again.
    Published through the outbox to an in-process Celery (development, tests), it makes the
    attempts at once, one after another."""
    from .services import delivery_send, delivery_send_with_retries

    if self.request.is_eager and (self.request.kwargs or {}).get(OUTBOX_KEY):
        return delivery_send_with_retries(delivery_id=delivery_id, retries=self.max_retries)
    return delivery_send(delivery_id=delivery_id, final=self.request.retries >= self.max_retries)


@shared_task
def deliver_stale_webhooks():
    """Beat schedule: send deliveries whose queueing was lost (never attempted)."""
    from .services import deliveries_queue_stale

    return deliveries_queue_stale()
