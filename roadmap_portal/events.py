"""Domain events: a lower layer announces what happened, the layers above subscribe.

``announce(event, key=..., **payload)`` writes, in the caller's transaction, one outbox row
per task subscribed to ``event``, in one INSERT (``roadmap_portal.outbox``): each subscriber
runs once the transaction commits, and nothing runs for a transaction rolled back. A row's
key is the subscriber task's short name and the event's key (``notify_offer_transition:<id>``),
so an occurrence announced again, or a row relayed again, runs each subscriber once.

``subscribe(event, task)`` is called by the subscribing layer when its tasks module is
imported (the app's ``AppConfig.ready`` imports it). The announcing layer imports nothing
of its subscribers: services of suppliers, certification and procurement know this module
and the outbox only.

A payload holds ids and small values (JSON): the subscriber reads what it needs.

| event                 | payload                        | announced by                      | subscribers (task)                                  |
|-----------------------|--------------------------------|-----------------------------------|-----------------------------------------------------|
| ``offer.transitioned``| ``transition_id``              | suppliers.services (every stage)  | notifications: ``roadmap_portal.notifications.tasks.notify_offer_transition``; webhooks: ``roadmap_portal.webhooks.tasks.webhook_offer_transitioned`` (``offer.registered`` / ``offer.excluded``) |
| ``demand.published``  | ``demand_id``                  | procurement.services.demand_create| notifications: ``roadmap_portal.notifications.tasks.notify_demand_published`` |
| ``tender.opened``     | ``tender_id``                  | procurement.services (create open, ``open`` action) | notifications: ``roadmap_portal.notifications.tasks.notify_tender_opened``; webhooks: ``roadmap_portal.webhooks.tasks.webhook_tender_opened`` |
| ``bid.awarded``       | ``bid_id``                     | procurement.services.tender_award | notifications: ``roadmap_portal.notifications.tasks.notify_bid_awarded``; webhooks: ``roadmap_portal.webhooks.tasks.webhook_tender_awarded`` |

Certificates announce nothing: a certificate's expiry reminders are the notification layer's
daily task (``roadmap_portal.notifications.tasks.send_expiry_reminders``, kept under that name) reading
``certification.selectors.certificates_expiring``; a lapsed certificate's offers leave the
register by offer transitions, which announce ``offer.transitioned``.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from .outbox.services import publish_each

logger = logging.getLogger(__name__)

# event -> {subscriber's short name: (task name, queue kind or None)}
_subscribers: dict[str, dict[str, tuple[str, str | None]]] = {}

EVENTS = frozenset({"offer.transitioned", "demand.published", "tender.opened", "bid.awarded"})


def subscribe(event: str, task: Task | str, *, queue: str | None = None) -> None:
    """Run ``task(**payload)`` through the outbox for every ``event`` announced from now on.
    ``queue`` is an outbox queue kind (without it the task's route decides). Subscribing the
    same task twice is one subscription; two subscribers of an event need distinct short
    names (the part of the task name after the last dot), which make their rows' keys."""
    if event not in EVENTS:
        raise ValueError(f"Unknown domain event {event!r}")
    name = task if isinstance(task, str) else task.name
    short = name.rsplit(".", 1)[-1]
    known = _subscribers.setdefault(event, {})
    if short in known and known[short][0] != name:
        raise ValueError(f"{event}: {name} and {known[short][0]} share the short name {short}")
    known[short] = (name, queue)


def subscribers(event: str) -> list[str]:
    """The task names subscribed to ``event``."""
    return [name for name, _queue in _subscribers.get(event, {}).values()]


def announce(event: str, *, key: str, **payload: Any) -> list[str]:
    """Tell the subscribers of ``event`` that it happened, once for ``key`` (the occurrence:
    an object's id, or a transition's). Writes one outbox row per subscriber in the current
    transaction; ``payload`` (JSON: ids and small values) is each subscriber's kwargs.
    Returns the rows' keys. An event no task subscribes to writes nothing; the debug log
    says so, as it is most often a tasks module that was not imported."""
    if event not in EVENTS:
        raise ValueError(f"Unknown domain event {event!r}")
    known = _subscribers.get(event, {})
    if not known:
        logger.debug("Domain event %s (key %s) has no subscriber: nothing to run", event, key)
        return []
    return publish_each(
        (name, f"{short}:{key}", dict(payload), queue) for short, (name, queue) in known.items()
    )
