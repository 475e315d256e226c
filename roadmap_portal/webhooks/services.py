"""Webhooks: partners' endpoints, events recorded once per endpoint, signed deliveries.

A delivery's body is JSON ``{"id", "sequence", "event", "created", "data"}``; the header
``X-Roadmap-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` proves
it came from the portal (docs/api.md shows how to check it).

Each delivery takes the endpoint's next sequence number in the transaction that records it
(1, 2, 3, ... with no gap), sent in the body and in ``X-Roadmap-Sequence``; every attempt
and redelivery carries the same number. A failed attempt is retried with backoff until it is
answered or its endpoint is switched off, which happens only after failures that last
(``WEBHOOK_DISABLE_AFTER_HOURS`` without a success and at least ``WEBHOOK_DISABLE_AFTER``
attempts in a row): the deliveries of a switched-off endpoint, and events recorded while it
is off, are held and sent when it is switched on again. The owner and an administrator can
redeliver one delivery or everything since a time.
"""

import datetime
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
import urllib.parse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from roadmap_portal.exceptions import RoleNotAllowed, TransitionNotAllowed
from roadmap_portal.notifications.services import notify
from roadmap_portal.outbox.services import WEBHOOKS, publish_many
from roadmap_portal.scope import may

from . import destinations
from .models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    next_sequence,
)
from .selectors import endpoints_of

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Roadmap-Signature"
SEQUENCE_HEADER = "X-Roadmap-Sequence"
# The task that makes one attempt (``tasks.deliver_webhook``), published by name: the tasks
# module imports this one.
DELIVER_WEBHOOK = "roadmap_portal.webhooks.tasks.deliver_webhook"


class DeliveryFailed(Exception):
    """An attempt to deliver failed; the task tries again later."""


# --- endpoints ------------------------------------------------------------------


def private_networks_allowed():
    """An on-premise installation may admit receivers on private networks (loopback, RFC 1918,
    100.64.0.0/10, fc00::/7); nothing else does, DEBUG included."""
    return bool(settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS)


def validate_endpoint_url(url):
    """An endpoint is an https URL whose host resolves only to public internet addresses:
    the host is resolved now and refused when ANY of its addresses is loopback, private,
    link-local, multicast, reserved or otherwise special, however the URL spells it
    (destinations.address_kind decides). WEBHOOKS_ALLOW_PRIVATE_NETWORKS admits private
    networks, and plain http to them. Deliveries check again at every connection.
    Returns the URL to store."""
    destination = destinations.parse_destination(url)
    allow_private = private_networks_allowed()
    use_tls = ValidationError({"url": _("Use an https:// URL: events are sent only over TLS.")})
    if destination.scheme == "http" and not allow_private:
        raise use_tls
    try:
        answers = destinations.resolve(destination.host, destination.port)
        destinations.vet(destination, answers, allow_private=allow_private)
    except destinations.NeedsTLS:
        raise use_tls from None
    except destinations.DestinationRefused as exc:
        # Unresolvable and private hosts answer alike: the answer does not map internal DNS.
        logger.info("Webhook URL refused: %s", exc)
        message = (
            _(
                "Events are sent only to hosts that resolve to public or private network addresses; %(host)s does not."
            )
            if allow_private
            else _(
                "Events are sent only to hosts that resolve to public internet addresses; %(host)s does not."
            )
        )
        raise ValidationError({"url": message % {"host": destination.host}}) from None
    return urllib.parse.urlsplit(str(url).strip()).geturl()


def validate_events(events):
    if not isinstance(events, list | tuple) or not events:
        raise ValidationError({"events": _("Choose at least one event.")})
    unknown = [str(e) for e in events if e not in WebhookEvent.values]
    if unknown:
        raise ValidationError(
            {
                "events": _("Unknown events: %(unknown)s. Known: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(WebhookEvent.values)}
            }
        )
    return list(dict.fromkeys(events))


def may_own_endpoints(user):
    """Partner keys and partner accounts (administrators too) may subscribe to events."""
    if user is None or not user.is_authenticated:
        return False
    if getattr(user, "_api_key", None) is not None:
        return True
    return may(user, "webhook.manage")


def endpoint_create(*, user, url, events, description=""):
    """Register an endpoint for the caller: owned by the partner key it called with, or by
    the account. The signing secret is generated here; the caller shows it once."""
    if not may_own_endpoints(user):
        raise RoleNotAllowed(_("Only partners may subscribe to webhooks."))
    api_key = getattr(user, "_api_key", None)
    url = validate_endpoint_url(url)
    events = validate_events(events)
    if endpoints_of(user).count() >= settings.WEBHOOK_MAX_ENDPOINTS:
        raise ValidationError(
            {
                "url": _("You have %(count)s endpoints already: delete one first.")
                % {"count": settings.WEBHOOK_MAX_ENDPOINTS}
            }
        )
    return WebhookEndpoint.objects.create(
        api_key=api_key,
        user=None if api_key is not None else user,
        url=url,
        events=events,
        description=description or "",
        secret=f"whsec_{secrets.token_urlsafe(32)}",
    )


def endpoint_delete(*, user, endpoint_id):
    """Delete one of the caller's endpoints (another's is WebhookEndpoint.DoesNotExist)."""
    endpoint = endpoints_of(user).get(pk=endpoint_id)
    endpoint.delete()


def endpoint_enable(*, endpoint_id: int) -> int:
    """Switch an endpoint back on with a clean failure count, and send what it holds (every
    delivery kept while it was off), in sequence order. Returns 1 when it was switched on."""
    with transaction.atomic():
        enabled = WebhookEndpoint.objects.filter(pk=endpoint_id).update(
            active=True,
            consecutive_failures=0,
            failing_since=None,
            disabled_reason="",
            disabled_at=None,
        )
        held = list(
            WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.HELD)
            .order_by("sequence")
            .values_list("pk", flat=True)
        )
        WebhookDelivery.objects.filter(pk__in=held, status=DeliveryStatus.HELD).update(
            status=DeliveryStatus.PENDING
        )
        _publish_attempts(held, round_=f"enabled-{timezone.now().timestamp()}")
    return enabled


def endpoint_disable(*, endpoint_id: int, reason: str) -> bool:
    """Switch an endpoint off: its pending deliveries are held (kept, sent when it is switched
    on again); the administrators and the owner hear about it once. Returns whether this
    call disabled it (of two concurrent calls one does)."""
    now = timezone.now()
    disabled = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).update(
        active=False, disabled_reason=reason, disabled_at=now
    )
    if disabled:
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint_id, status=DeliveryStatus.PENDING
        ).update(status=DeliveryStatus.HELD)
        endpoint = WebhookEndpoint.objects.select_related("api_key", "api_key__user", "user").get(
            pk=endpoint_id
        )
        _notify_disabled(endpoint, key=f"webhook_disabled:{endpoint.pk}:{int(now.timestamp())}")
    return bool(disabled)


def _owner_name(endpoint):
    if endpoint.api_key_id:
        return endpoint.api_key.organisation
    return endpoint.user.get_username()


def _notify_disabled(endpoint, *, key):
    try:
        admin_url = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    except NoReverseMatch:  # the admin may not be routed in every deployment
        admin_url = ""

    def message():
        return _(
            "The webhook %(url)s of %(owner)s was switched off: it has failed since "
            "%(since)s (%(count)s attempts in a row). Its events are kept and will be sent "
            "when it is switched on again. Last error: %(reason)s"
        ) % {
            "url": endpoint.url,
            "owner": _owner_name(endpoint),
            "since": (
                timezone.localtime(endpoint.failing_since).strftime("%Y-%m-%d %H:%M")
                if endpoint.failing_since
                else "?"
            ),
            "count": endpoint.consecutive_failures,
            "reason": endpoint.disabled_reason,
        }

    admins = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk")
    notify(
        recipients=admins,
        event="webhook_disabled",
        key=key,
        message=message,
        url=admin_url,
        obj=endpoint,
    )
    owner = endpoint.api_key.user if endpoint.api_key_id else endpoint.user
    if owner is not None and owner.is_active and not owner.is_superuser:
        notify(recipients=[owner], event="webhook_disabled", key=key, message=message, obj=endpoint)


# --- events -----------------------------------------------------------------------


def _acting_user(endpoint):
    """The account an endpoint's events are scoped for (carrying its key), or None when the
    key is revoked or expired or the account disabled. The endpoint comes from
    ``webhook_event``'s query, with its owner and the owner's profile: the user object is
    fresh (no scope is kept on it yet), so its scope is read from the profile fetched with it,
    not by a query of its own."""
    if endpoint.api_key_id:
        key = endpoint.api_key
        if key.revoked or (key.expires and key.expires <= timezone.now()):
            return None
        user = key.user
        user._api_key = key
    else:
        user = endpoint.user
    if user is None or not user.is_active:
        return None
    return user


def _record(
    endpoint: WebhookEndpoint, *, event: str, key: str, data: dict
) -> WebhookDelivery | None:
    """One delivery of ``key`` for ``endpoint`` with its sequence number, or None when it
    exists already. Held when the endpoint is switched off."""
    if WebhookDelivery.objects.filter(endpoint=endpoint, event_key=key).exists():
        return None
    try:
        with transaction.atomic():
            sequence, active = next_sequence(endpoint.pk)
            return WebhookDelivery.objects.create(
                endpoint=endpoint,
                event=event,
                event_key=key,
                payload=data,
                sequence=sequence,
                status=DeliveryStatus.PENDING if active else DeliveryStatus.HELD,
            )
    except IntegrityError:
        # Recorded by a concurrent call meanwhile: the savepoint gave the number back.
        return None


def webhook_event(event, key, payload, scope_filter):
    """Record ``event`` for every endpoint subscribed to it whose owner may see the object
    (``scope_filter(user)`` is true for the owner, carrying the endpoint's key), and send
    each delivery after the surrounding transaction commits: nothing goes out for a
    rolled-back change. ``key`` names the occurrence, so an event is delivered once per
    endpoint however often it is reported. ``payload`` is the event's body, or a function
    of the owner giving it (when what the event embeds depends on the owner's scope).
    A switched-off endpoint's delivery is recorded held (sent when it is switched on).
    Returns the number of deliveries created."""
    event = str(event)
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    # The owners and the profiles their scopes are read from, in the endpoints' one query: a
    # query per endpoint's owner would grow with the subscriptions.
    endpoints = WebhookEndpoint.objects.select_related("api_key__user", "user__profile")
    created = []
    with transaction.atomic():
        for endpoint in endpoints.order_by("pk"):
            if event not in (endpoint.events or []):
                continue
            user = _acting_user(endpoint)
            if user is None or not scope_filter(user):
                continue
            body = payload(user) if callable(payload) else payload
            data = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
            delivery = _record(endpoint, event=event, key=key, data=data)
            if delivery is not None:
                created.append(delivery)
        _publish_attempts([d.pk for d in created if d.status == DeliveryStatus.PENDING])
    return len(created)


def _publish_attempts(delivery_ids: list[int], *, round_: str = "") -> None:
    """Publish an attempt at each delivery through the outbox, in the caller's transaction.
    ``round_`` names a later round (a redelivery, a switch-on): the first one has none."""
    suffix = f":{round_}" if round_ else ""
    publish_many(
        DELIVER_WEBHOOK,
        [(f"webhook:{pk}{suffix}", {"delivery_id": pk}) for pk in delivery_ids],
        queue=WEBHOOKS,
    )


def retry_delay(retries: int) -> float:
    """Seconds before the next attempt after ``retries`` retries: WEBHOOK_RETRY_BACKOFF
    doubled each time up to WEBHOOK_RETRY_BACKOFF_MAX, between half and all of it (jitter
    keeps a recovering receiver from getting every retry at once)."""
    wait = min(
        settings.WEBHOOK_RETRY_BACKOFF * 2 ** min(retries, 30), settings.WEBHOOK_RETRY_BACKOFF_MAX
    )
    return wait / 2 + random.uniform(0, wait / 2)  # noqa: S311 - jitter, not a secret


def delivery_send_with_retries(*, delivery_id, retries):
    """In-process Celery (development, tests): WEBHOOK_MAX_RETRIES retries at once, one
    after the other; the last failure marks the delivery failed (a redelivery sends it)."""
    for attempt in range(retries + 1):
        try:
            return delivery_send(delivery_id=delivery_id, final=attempt >= retries)
        except DeliveryFailed:
            continue
    return None


def deliveries_queue_stale(*, older_than=datetime.timedelta(minutes=10), batch_size=200):
    """Queue pending deliveries of switched-on endpoints that no task is looking after:
    never attempted although recorded a while ago (the broker was away when their
    transaction committed), or last attempted longer ago than any retry waits (the retry
    was lost). Returns how many were queued."""
    now = timezone.now()
    cutoff = now - older_than
    retry_lost = now - datetime.timedelta(
        seconds=settings.WEBHOOK_RETRY_BACKOFF_MAX + 3 * settings.WEBHOOK_TIMEOUT + 60
    )
    ids = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, endpoint__active=True)
        .filter(
            Q(attempts=0, created__lt=cutoff) | Q(attempts__gt=0, last_attempt_at__lt=retry_lost)
        )
        .order_by("endpoint_id", "sequence")
        .values_list("pk", flat=True)[:batch_size]
    )
    with transaction.atomic():
        _publish_attempts(ids, round_=f"sweep-{now.timestamp()}")
    return len(ids)


# --- redelivery -------------------------------------------------------------------


class EndpointSwitchedOff(TransitionNotAllowed):
    """A redelivery was asked of a switched-off endpoint (409): it keeps its deliveries and
    sends them all when it is switched on again."""


def _redeliver(endpoint: WebhookEndpoint, deliveries) -> int:
    if not endpoint.active:
        raise EndpointSwitchedOff(
            _(
                "The endpoint is switched off after failing for a long time. It keeps its "
                "events and sends them all when an administrator switches it on again."
            ),
            current="disabled",
        )
    with transaction.atomic():
        ids = list(
            deliveries.select_for_update()
            .order_by("sequence")
            .values_list("pk", flat=True)[: settings.WEBHOOK_REDELIVER_MAX]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.PENDING)
        _publish_attempts(ids, round_=f"redeliver-{timezone.now().timestamp()}")
    return len(ids)


def delivery_redeliver(*, delivery: WebhookDelivery) -> int:
    """Send one delivery again, whatever its status (a sent one too: the receiver lost it),
    with its sequence number and body. Returns 1."""
    return _redeliver(delivery.endpoint, WebhookDelivery.objects.filter(pk=delivery.pk))


def deliveries_redeliver_since(*, endpoint: WebhookEndpoint, since: datetime.datetime) -> int:
    """Send again every delivery of ``endpoint`` recorded at or after ``since`` (at most
    WEBHOOK_REDELIVER_MAX, the oldest first). Returns how many were queued."""
    return _redeliver(
        endpoint, WebhookDelivery.objects.filter(endpoint=endpoint, created__gte=since)
    )


# --- sending ----------------------------------------------------------------------


def delivery_body(delivery):
    """The bytes POSTed: the same for every attempt of one delivery."""
    envelope = {
        "id": delivery.pk,
        "sequence": delivery.sequence,
        "event": delivery.event,
        "created": delivery.created.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign(secret, timestamp, body):
    """``t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>." + body with the secret>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def could_not_connect_message():
    """What a partner (and the admin's delivery log) is told of every failure without an HTTP
    answer: one text for a refused destination, DNS, a closed port, a timeout and TLS, so
    the log cannot map ports or names. The detail goes to the server log only."""
    return _("Could not connect to the endpoint.")


def _post(delivery, url, body, headers):
    """(status code or None, error text for the delivery log)."""
    try:
        code = destinations.post(
            url,
            body,
            headers,
            timeout=settings.WEBHOOK_TIMEOUT,
            allow_private=private_networks_allowed(),
        )
    except destinations.CouldNotConnect as exc:
        logger.warning("Webhook delivery %s to %s could not connect: %s", delivery.pk, url, exc)
        return None, could_not_connect_message()
    if 200 <= code < 300:
        return code, ""
    return code, _("HTTP %(code)s") % {"code": code}


def failing_long_enough(failing_since: datetime.datetime | None, now: datetime.datetime) -> bool:
    """Failures that last: the endpoint has answered nothing right for
    WEBHOOK_DISABLE_AFTER_HOURS."""
    window = datetime.timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    return failing_since is not None and now - failing_since >= window


def delivery_send(*, delivery_id, final=False):
    """Make one attempt at a pending delivery. A 2xx answer marks it sent and clears the
    endpoint's failures; anything else counts a failure and raises DeliveryFailed so the
    task retries, except on the ``final`` attempt (only the eager retries of a development
    server without a broker have one), which marks it failed: a redelivery sends it. The endpoint is switched off (its deliveries held) only when it has been
    failing for WEBHOOK_DISABLE_AFTER_HOURS with WEBHOOK_DISABLE_AFTER attempts in a row.
    A sent delivery is never sent again, and of two workers running the same attempt only
    one sends. Returns the delivery's status."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return None
    if delivery.status != DeliveryStatus.PENDING:
        return delivery.status
    endpoint = delivery.endpoint
    if not endpoint.active:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.HELD
        )
        return DeliveryStatus.HELD
    # Only what the stored URL says; where it leads is vetted at the connection.
    try:
        destinations.parse_destination(endpoint.url)
    except ValidationError as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, last_error=" ".join(exc.messages)
        )
        return DeliveryStatus.FAILED
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, last_attempt_at=timezone.now())
    if not claimed:
        return WebhookDelivery.objects.values_list("status", flat=True).get(pk=delivery.pk)

    body = delivery_body(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "RoadmapPortal-Webhooks/1",
        "X-Roadmap-Event": delivery.event,
        "X-Roadmap-Delivery": str(delivery.pk),
        SEQUENCE_HEADER: str(delivery.sequence),
        SIGNATURE_HEADER: sign(endpoint.secret, int(time.time()), body),
    }
    code, error = _post(delivery, endpoint.url, body, headers)
    if code is not None and 200 <= code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENT, response_code=code, last_error="", sent_at=timezone.now()
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=0, failing_since=None
        )
        return DeliveryStatus.SENT

    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        response_code=code, last_error=error[:2000]
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1,
        failing_since=Coalesce(F("failing_since"), Value(now)),
    )
    failures, failing_since = WebhookEndpoint.objects.values_list(
        "consecutive_failures", "failing_since"
    ).get(pk=endpoint.pk)
    if (
        failures >= settings.WEBHOOK_DISABLE_AFTER
        and failing_long_enough(failing_since, now)
        and endpoint_disable(endpoint_id=endpoint.pk, reason=error[:1000])
    ):
        return DeliveryStatus.HELD  # this delivery too: kept for the switch-on
    if final:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED
        )
        return DeliveryStatus.FAILED
    raise DeliveryFailed(error)
