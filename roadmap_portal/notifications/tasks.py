"""Celery tasks of the notification layer: thin wrappers that take ids and call its
services, and its subscriptions to the domain events (``roadmap_portal.events``).

The services publish the sending tasks by name (``delivery.DELIVER_EMAIL``,
``delivery.DELIVER_PENDING``) or reach them through a subscription: this module imports the
services, never the other way round. ``NotificationsConfig.ready`` imports it, so the web
process knows the subscriptions too.
"""

from __future__ import annotations

import datetime
import smtplib

from celery import Task, shared_task
from django.utils import timezone
from django.utils.dateparse import parse_date

from roadmap_portal.events import subscribe
from roadmap_portal.outbox.services import NOTIFICATIONS, OutboxTask

from .delivery import (
    DELIVER_EMAIL,
    DELIVER_PENDING,
    deliveries_send_pending,
    delivery_send,
    digests_enqueue,
)
from .offers import notify_transition
from .services import expiry_reminders_send
from .services import notify_bid_awarded as notify_bid_awarded_service
from .services import notify_demand_published as notify_demand_published_service
from .services import notify_tender_opened as notify_tender_opened_service


@shared_task(base=OutboxTask, bind=True, max_retries=5, default_retry_delay=10)
def notify_offer_transition(self: OutboxTask, transition_id: int) -> int:
    """Tell the supplier's members about a status change and the next queue about new work."""
    return notify_transition(transition_id)


@shared_task(
    name=DELIVER_EMAIL,
    base=OutboxTask,
    outbox_atomic=False,
    bind=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=10,
)
def deliver_email(self: OutboxTask, delivery_id: int) -> str:
    """Send one e-mail delivery; SMTP errors retry with exponential backoff until the
    delivery's last attempt, which is recorded as failed. A redelivery sends nothing twice."""
    return delivery_send(delivery_id=delivery_id)


@shared_task(name=DELIVER_PENDING, base=OutboxTask, outbox_atomic=False)
def deliver_pending(batch_size: int = 200) -> dict[str, int]:
    """Send up to ``batch_size`` due e-mail deliveries; also sweeps up ones a dead worker left."""
    return deliveries_send_pending(batch_size=batch_size)


@shared_task
def send_daily_digests(day: str | None = None) -> int:
    """One digest e-mail per person for the notifications of ``day`` (ISO date; yesterday)."""
    date = (
        datetime.date.fromisoformat(day)
        if day
        else timezone.localdate() - datetime.timedelta(days=1)
    )
    return digests_enqueue(day=date)


@shared_task(
    bind=True,
    max_retries=3,
    default_retry_delay=60,
)
def send_expiry_reminders(self: Task, on: str | datetime.date | None = None) -> dict[str, int]:
    """Daily: remind suppliers and reviewers of certificates expiring in 90/30/7 days and today."""
    if on is not None and not isinstance(on, datetime.date):
        on = parse_date(str(on))
    return expiry_reminders_send(on=on)


@shared_task(base=OutboxTask, bind=True, max_retries=5, default_retry_delay=10)
def notify_tender_opened(self: OutboxTask, tender_id: int) -> int:
    return notify_tender_opened_service(tender_id)


@shared_task(base=OutboxTask, bind=True, max_retries=5, default_retry_delay=10)
def notify_demand_published(self: OutboxTask, demand_id: int) -> int:
    return notify_demand_published_service(demand_id)


@shared_task(base=OutboxTask, bind=True, max_retries=5, default_retry_delay=10)
def notify_bid_awarded(self: OutboxTask, bid_id: int) -> int:
    return notify_bid_awarded_service(bid_id)


subscribe("offer.transitioned", notify_offer_transition, queue=NOTIFICATIONS)
subscribe("demand.published", notify_demand_published, queue=NOTIFICATIONS)
subscribe("tender.opened", notify_tender_opened, queue=NOTIFICATIONS)
subscribe("bid.awarded", notify_bid_awarded, queue=NOTIFICATIONS)
