"""Celery tasks: thin wrappers that take ids and call services; and the webhook layer's
subscriptions to domain events (``roadmap_portal.events``)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from procurement.models import Bid
from roadmap_portal.events import subscribe
from roadmap_portal.outbox.services import OUTBOX_KEY, WEBHOOKS, OutboxTask

from .events import offer_transition_event, tender_event
from .models import WebhookEvent
from .services import (
    DELIVER_WEBHOOK,
    DeliveryFailed,
    deliveries_queue_stale,
    delivery_send,
    delivery_send_with_retries,
    retry_delay,
)


@shared_task(
    name=DELIVER_WEBHOOK,
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
    return deliveries_queue_stale()


# --- subscribers of domain events ---------------------------------------------------
# Each records its event's deliveries (once per endpoint and occurrence: the webhook key)
# in the task's transaction; the attempts are published to the outbox with them.


@shared_task(base=OutboxTask)
def webhook_offer_transitioned(transition_id: int) -> int:
    """``offer.transitioned``: ``offer.registered`` / ``offer.excluded``."""
    return offer_transition_event(transition_id)


@shared_task(base=OutboxTask)
def webhook_tender_opened(tender_id: int) -> int:
    """``tender.opened``: the webhook event of the same name."""
    return tender_event(tender_id, WebhookEvent.TENDER_OPENED)


@shared_task(base=OutboxTask)
def webhook_tender_awarded(bid_id: int) -> int:
    """``bid.awarded``: ``tender.awarded`` of the bid's tender, with the award."""
    tender_id = Bid.objects.filter(pk=bid_id).values_list("tender_id", flat=True).first()
    return 0 if tender_id is None else tender_event(tender_id, WebhookEvent.TENDER_AWARDED)


subscribe("offer.transitioned", webhook_offer_transitioned, queue=WEBHOOKS)
subscribe("tender.opened", webhook_tender_opened, queue=WEBHOOKS)
subscribe("bid.awarded", webhook_tender_awarded, queue=WEBHOOKS)
