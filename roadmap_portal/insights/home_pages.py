"""What the administrator's and the partner's home pages show.

The administrator's: the system's health (the length of each Celery queue read from Redis
with a short timeout, the outbox backlog, e-mails and webhook calls that failed in the last
days, the last heartbeat of beat and of a worker) and links to the admin's main lists. When
Redis does not answer, the queue lengths are "unknown", never zero.

The partner's: their API keys and tokens (created, expiry, last use), and the health of
their webhook endpoints. The portal records a key's last use, not each call: the page says
so instead of listing calls it does not have.
"""

import datetime
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from roadmap_portal.models import ApiKey, Delivery, DeliveryStatus, Heartbeat
from roadmap_portal.outbox.models import OutboxMessage
from roadmap_portal.outbox.services import DEFAULT, kind_of, queue_name
from roadmap_portal.webhooks.models import DeliveryStatus as WebhookStatus
from roadmap_portal.webhooks.models import WebhookDelivery, WebhookEndpoint

RECENT_DAYS = 7


@dataclass
class QueueLength:
    name: str  # the kind: celery, notifications, webhooks, reports, imports, exports
    waiting: int | None  # None: Redis did not answer
    outbox: int  # rows of the outbox not yet done for this queue


def queue_kinds() -> list[str]:
    kinds = [DEFAULT, *dict.fromkeys(settings.TASK_QUEUES_BY_NAME.values())]
    return list(dict.fromkeys(kinds))


def broker_queue_lengths(kinds: list[str]) -> tuple[dict[str, int] | None, str]:
    """The number of messages waiting in each kind's broker queue (a Redis list), or None
    with the reason when the broker is not Redis or does not answer in time."""
    url = settings.CELERY_BROKER_URL or ""
    if not url.startswith(("redis://", "rediss://")):
        return None, str(_("The broker is not Redis."))
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        retry_on_timeout=False,
    )
    try:
        pipe = client.pipeline(transaction=False)
        for kind in kinds:
            pipe.llen(queue_name(kind))
        lengths = pipe.execute()
    except (redis.RedisError, OSError) as error:
        return None, f"{error.__class__.__name__}: {error}"[:200]
    finally:
        client.close()
    return dict(zip(kinds, (int(n) for n in lengths), strict=True)), ""


def outbox_backlog() -> dict[str, Any]:
    """Outbox rows not yet done, by queue kind, with the oldest one's time."""
    rows = (
        OutboxMessage.objects.filter(done_at__isnull=True)
        .values("queue", "task")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_kind: dict[str, int] = {}
    for row in rows:
        kind = row["queue"] or kind_of(row["task"])
        by_kind[kind] = by_kind.get(kind, 0) + row["n"]
    oldest = (
        OutboxMessage.objects.filter(done_at__isnull=True)
        .order_by("created")
        .values_list("created", flat=True)
        .first()
    )
    return {"by_kind": by_kind, "total": sum(by_kind.values()), "oldest": oldest}


def _admin_link(name: str, query: str = "") -> str | None:
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return None


def admin_lists() -> list[dict[str, Any]]:
    """Links to the admin's main lists (those registered)."""
    entries = [
        (_("Users"), "admin:auth_user_changelist"),
        (_("Regions"), "admin:roadmap_portal_region_changelist"),
        (_("Corporations"), "admin:roadmap_portal_corporation_changelist"),
        (_("Roadmaps"), "admin:roadmap_portal_roadmap_changelist"),
        (_("Suppliers"), "admin:suppliers_supplier_changelist"),
        (_("Offers"), "admin:suppliers_offer_changelist"),
        (_("Certificates"), "admin:certification_certificate_changelist"),
        (_("Reports"), "admin:roadmap_portal_report_changelist"),
        (_("API keys"), "admin:roadmap_portal_apikey_changelist"),
        (_("Webhook endpoints"), "admin:webhooks_webhookendpoint_changelist"),
        (_("E-mail delivery log"), "admin:roadmap_portal_delivery_changelist"),
        (_("Webhook deliveries"), "admin:webhooks_webhookdelivery_changelist"),
        (_("Outbox"), "admin:outbox_outboxmessage_changelist"),
    ]
    links = []
    for title, name in entries:
        url = _admin_link(name)
        if url:
            links.append({"title": title, "url": url})
    return links


def admin_health(now: datetime.datetime | None = None) -> dict[str, Any]:
    """Everything the administrator's home shows about the system."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=RECENT_DAYS)
    kinds = queue_kinds()
    lengths, broker_error = broker_queue_lengths(kinds)
    backlog = outbox_backlog()
    queues = [
        QueueLength(
            name=kind,
            waiting=None if lengths is None else lengths[kind],
            outbox=backlog["by_kind"].get(kind, 0),
        )
        for kind in kinds
    ]
    queues += [
        QueueLength(name=kind, waiting=None, outbox=n)
        for kind, n in sorted(backlog["by_kind"].items())
        if kind not in kinds
    ]
    heartbeats = dict(Heartbeat.objects.values_list("name", "at"))
    return {
        "days": RECENT_DAYS,
        "queues": queues,
        "broker_error": broker_error,
        "outbox_total": backlog["total"],
        "outbox_oldest": backlog["oldest"],
        "failed_emails": Delivery.objects.filter(
            status=DeliveryStatus.FAILED, created__gte=since
        ).count(),
        "failed_emails_url": _admin_link(
            "admin:roadmap_portal_delivery_changelist", "?status__exact=failed"
        ),
        "failed_webhooks": WebhookDelivery.objects.filter(
            status=WebhookStatus.FAILED, created__gte=since
        ).count(),
        "failed_webhooks_url": _admin_link(
            "admin:webhooks_webhookdelivery_changelist", "?status__exact=failed"
        ),
        "beat": heartbeats.get("beat"),
        "worker": heartbeats.get("worker"),
        "beat_tasks": sorted(getattr(settings, "CELERY_BEAT_SCHEDULE", {})),
        "admin_lists": admin_lists(),
    }


def key_state(key: ApiKey, now: datetime.datetime) -> str:
    if key.revoked is not None:
        return "revoked"
    if key.expires is not None and key.expires <= now:
        return "expired"
    return "active"


def partner_endpoints(user: Any, since: datetime.datetime) -> QuerySet:
    """The user's webhook endpoints (their own and their keys'), with the last delivery's
    status, code and time and the failures since ``since``."""
    last = WebhookDelivery.objects.filter(endpoint_id=OuterRef("pk")).order_by("-created", "-id")
    return (
        WebhookEndpoint.objects.filter(Q(user=user) | Q(api_key__user=user))
        .annotate(
            last_status=Subquery(last.values("status")[:1]),
            last_code=Subquery(last.values("response_code")[:1]),
            last_at=Subquery(last.values("created")[:1]),
            recent_failures=Count(
                "deliveries",
                filter=Q(deliveries__status=WebhookStatus.FAILED, deliveries__created__gte=since),
            ),
            deliveries_count=Count("deliveries"),
        )
        .order_by("-active", "url", "id")
    )


def partner_overview(user: Any, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Everything the partner's home shows."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=RECENT_DAYS)
    keys = list(ApiKey.objects.filter(user=user).order_by("-created", "-id"))
    for key in keys:
        key.state = key_state(key, now)
    tokens = list(AuthToken.objects.filter(user=user).order_by("-created"))
    for token in tokens:
        token.state = "expired" if token.expiry is not None and token.expiry <= now else "active"
    endpoints = list(partner_endpoints(user, since))
    return {
        "days": RECENT_DAYS,
        "keys": keys,
        "tokens": tokens,
        "last_call": ApiKey.objects.filter(user=user).aggregate(last=Max("last_used"))["last"],
        "endpoints": endpoints,
        "endpoints_failing": sum(1 for e in endpoints if e.recent_failures or not e.active),
    }
