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
    # Retried until answered or the endpoint is switched off (which holds the delivery).
    max_retries=None,
)
def deliver_webhook(self, delivery_id):
    """POST one delivery; a failure retries with exponential backoff and jitter (30 s,
    1 min, 2 min, ... every 10 min at most) for as long as the endpoint is switched on. A
    sent delivery is not sent again. Published through the outbox to an in-process Celery
    (development, tests), it makes WEBHOOK_MAX_RETRIES retries at once, one after another."""
    from .services import delivery_send, delivery_send_with_retries, retry_delay

    if self.request.is_eager and (self.request.kwargs or {}).get(OUTBOX_KEY):
        return delivery_send_with_retries(
            delivery_id=delivery_id, retries=settings.WEBHOOK_MAX_RETRIES
        )
    try:
        return delivery_send(delivery_id=delivery_id)
    except DeliveryFailed as exc:
        # The retry goes without the outbox key: the key is done once this attempt is made
        # (a retry carrying it would find it done and do nothing).
        raise self.retry(
            exc=exc,
            args=(),
            kwargs={"delivery_id": delivery_id},
            countdown=retry_delay(self.request.retries),
        ) from exc


@shared_task
def deliver_stale_webhooks():
    """Beat schedule: send deliveries whose queueing or retry was lost."""
    from .services import deliveries_queue_stale

    return deliveries_queue_stale()
