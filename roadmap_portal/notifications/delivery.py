"""E-mail delivery of notifications, exactly once as far as SMTP allows (docs/reliability.md).

Every e-mail is a ``Delivery`` row with a unique key, made in the transaction that makes
its notification; the tasks that send them are published to the outbox in that same
transaction. A worker takes one message at a time: a conditional UPDATE moves the row from
pending to sending with the claim's time, the message goes to the backend, and the row is
marked sent (only if the claim is still this worker's). A worker killed between claim and
mark leaves one row in sending; after a short lease (``NOTIFICATION_SENDING_TIMEOUT``,
60 s by default) any worker takes it again. Only a crash after the SMTP server accepted
the message and before the mark sends that one message twice, with the same Message-ID.
"""

import logging
import smtplib
from datetime import datetime, time, timedelta
from math import ceil
from urllib.parse import urlsplit
from uuid import uuid4

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from roadmap_portal.models import Delivery, DeliveryStatus, Notification, event_label
from roadmap_portal.outbox.services import NOTIFICATIONS, publish_many

# The sending tasks (``roadmap_portal.notifications.tasks``), published by name: the tasks module imports
# this one.
DELIVER_EMAIL = "roadmap_portal.notifications.tasks.deliver_email"
DELIVER_PENDING = "roadmap_portal.notifications.tasks.deliver_pending"

log = logging.getLogger(__name__)

SMTP_ERRORS = (smtplib.SMTPException, OSError)
# A claim older than this belongs to a dead worker: one message's SMTP exchange, with the
# connection's timeout kept below a third of it, ends well within it.
SENDING_TIMEOUT = timedelta(seconds=60)
# Fan-outs larger than this are sent by batch tasks sharing one SMTP connection.
PER_DELIVERY_TASKS_UP_TO = 50
BATCH_SIZE = 200
DIGEST_EVENT = "digest"


def max_attempts():
    return getattr(settings, "NOTIFICATION_EMAIL_MAX_ATTEMPTS", 6)


def backoff(attempts):
    """Seconds to wait after the ``attempts``-th failure: 1, 2, 4 ... minutes, at most an hour."""
    return min(60 * 2 ** max(attempts - 1, 0), 3600)


# --- making deliveries -------------------------------------------------------


def deliveries_create_for(*, notifications, event):
    """A pending e-mail delivery per notification (none twice); the sending is published to
    the outbox in the same transaction."""
    rows = [
        Delivery(
            key=f"email:{notification.pk}",
            channel=Delivery.Channel.EMAIL,
            recipient_id=notification.recipient_id,
            notification_id=notification.pk,
            event=event,
        )
        for notification in notifications
    ]
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    enqueue([row.key for row in rows])
    return len(rows)


def digests_enqueue(*, day):
    """One digest e-mail per person with digest notifications made on ``day`` (local time).

    The key ``digest:<user>:<date>`` makes a second run for the same day a no-op.
    """
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = start + timedelta(days=1)
    user_ids = (
        Notification.objects.filter(email_digest=True, created__gte=start, created__lt=end)
        .exclude(recipient__email="")
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by()
    )
    rows = [
        Delivery(
            key=f"digest:{user_id}:{day.isoformat()}",
            channel=Delivery.Channel.EMAIL,
            recipient_id=user_id,
            event=DIGEST_EVENT,
            digest_date=day,
        )
        for user_id in user_ids
    ]
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        enqueue([row.key for row in rows])
    return len(rows)


def enqueue(keys: list[str]) -> int:
    """Publish to the outbox, in the current transaction, the sending of the pending
    deliveries with ``keys``: one task each when few, batch tasks when many. Each outbox
    row has a key of its own; the deliveries' claims keep a message from going out twice
    whatever the number of tasks. Two queries whatever the number. Returns the number of
    tasks published."""
    if not keys:
        return 0
    ids = list(
        Delivery.objects.filter(key__in=keys, status=DeliveryStatus.PENDING).values_list(
            "pk", flat=True
        )
    )
    batch = uuid4().hex
    if len(ids) > PER_DELIVERY_TASKS_UP_TO:
        messages = [
            (f"emails:{batch}:{number}", {"batch_size": BATCH_SIZE})
            for number in range(ceil(len(ids) / BATCH_SIZE))
        ]
        return len(publish_many(DELIVER_PENDING, messages, queue=NOTIFICATIONS))
    messages = [(f"email:{pk}:{batch}", {"delivery_id": pk}) for pk in ids]
    return len(publish_many(DELIVER_EMAIL, messages, queue=NOTIFICATIONS))


# --- claiming ----------------------------------------------------------------


def sending_timeout():
    seconds = getattr(settings, "NOTIFICATION_SENDING_TIMEOUT", None)
    return timedelta(seconds=seconds) if seconds is not None else SENDING_TIMEOUT


def _claimable(now):
    return Q(status=DeliveryStatus.PENDING) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - sending_timeout()
    )


def delivery_claim(*, delivery_id: int) -> bool:
    """Take one delivery for sending; False when sent, failed or being sent by someone else."""
    return _claim(delivery_id) is not None


def _claim(delivery_id: int) -> datetime | None:
    """The claim's time, or None when the delivery is not claimable."""
    now = timezone.now()
    claimed = Delivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return now if claimed == 1 else None


def delivery_claim_next() -> tuple[int, datetime] | None:
    """Take the oldest delivery due now (rows other workers are claiming are skipped): its
    id and the claim's time, or None when nothing is due."""
    now = timezone.now()
    due = _claimable(now) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    with transaction.atomic():
        delivery_id = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if delivery_id is None:
            return None
        claimed = Delivery.objects.filter(_claimable(now), pk=delivery_id).update(
            status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return (delivery_id, now) if claimed == 1 else None


# --- sending -----------------------------------------------------------------


def delivery_send(*, delivery_id):
    """Send one delivery if it can be claimed.

    Returns ``"sent"``, ``"failed"`` (the last attempt failed: recorded with its error) or
    ``"skipped"`` (already sent, failed for good, or held by another worker). An SMTP error
    before the last attempt is recorded and raised again so that the task retries it.
    """
    claimed_at = _claim(delivery_id)
    if claimed_at is None:
        return "skipped"
    delivery = _load([delivery_id])[0]
    delivery.claimed_at = claimed_at
    connection = _connection()
    try:
        connection.open()
        return _send_claimed(delivery, connection)
    except SMTP_ERRORS as exc:
        if _record_failure(delivery, exc):
            return DeliveryStatus.FAILED.value
        raise
    finally:
        _close_quietly(connection)


def deliveries_send_pending(*, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Send up to ``batch_size`` due deliveries over one connection, claiming one at a time,
    so a worker killed mid-batch holds one message at most, for one lease.

    A failed one is given back with a backoff (or recorded as failed on its last attempt)
    and the rest go on. Returns counts by outcome.
    """
    counts = {"sent": 0, "failed": 0, "retry": 0}
    connection = None
    try:
        for _number in range(batch_size):
            claim = delivery_claim_next()
            if claim is None:
                break
            delivery_id, claimed_at = claim
            loaded = _load([delivery_id])
            if not loaded:
                continue
            delivery = loaded[0]
            delivery.claimed_at = claimed_at
            connection = connection or _connection()
            try:
                connection.open()
                _send_claimed(delivery, connection)
                counts["sent"] += 1
            except SMTP_ERRORS as exc:
                counts["failed" if _record_failure(delivery, exc) else "retry"] += 1
                _close_quietly(connection)
    finally:
        if connection is not None:
            _close_quietly(connection)
    return counts


def _connection():
    """A connection whose every wait ends within a third of the lease, so a live worker
    finishes one message before its claim could be taken again."""
    lease = sending_timeout().total_seconds()
    configured = getattr(settings, "EMAIL_TIMEOUT", None) or 30
    return get_connection(timeout=max(1.0, min(configured, lease / 3)))


def _close_quietly(connection):
    """The message is accepted before QUIT: a failing close must not make anyone send again."""
    try:
        connection.close()
    except SMTP_ERRORS as exc:
        log.warning("Closing the e-mail connection failed: %s", exc)


def _load(ids):
    by_id = {
        delivery.pk: delivery
        for delivery in Delivery.objects.select_related(
            "recipient", "recipient__profile", "notification"
        ).filter(pk__in=ids)
    }
    return [by_id[pk] for pk in ids if pk in by_id]


def _send_claimed(delivery, connection):
    message = build_email(delivery)
    if message is not None and connection.send_messages([message]) != 1:
        raise smtplib.SMTPException("The e-mail backend did not accept the message.")
    with transaction.atomic():
        if db_connection.vendor == "postgresql":
            # Recording "sent" need not wait for the disk: only a crash of the database
            # server itself within a fraction of a second could lose the mark, and then
            # the row is taken again after the timeout. A flushed commit per e-mail was
            # about three times slower (benchmarks/notifications.py).
            with db_connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=delivery.claimed_at
        ).update(status=DeliveryStatus.SENT, sent_at=timezone.now(), next_attempt_at=None)
    return DeliveryStatus.SENT.value


def _record_failure(delivery, exc):
    """Give the delivery back for a later attempt, or record it failed. True when final."""
    delivery.refresh_from_db(fields=["attempts"])
    final = delivery.attempts >= max_attempts()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if final:
        update = {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        log.error(
            "E-mail %s failed for good after %s attempts: %s",
            delivery.key,
            delivery.attempts,
            error,
        )
    else:
        update = {
            "status": DeliveryStatus.PENDING,
            "next_attempt_at": timezone.now() + timedelta(seconds=backoff(delivery.attempts)),
        }
    Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=delivery.claimed_at
    ).update(last_error=error, **update)
    return final


# --- the e-mail --------------------------------------------------------------


def absolute_url(path):
    return settings.PORTAL_BASE_URL.rstrip("/") + (path or reverse("notification-list"))


def _message_id(delivery):
    """The same Message-ID for the same delivery, so a mail client drops a duplicate."""
    host = urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost"
    return f"<roadmap-portal.{delivery.key.replace(':', '.')}@{host}>"


def build_email(delivery):
    """The e-mail for a delivery in the recipient's language; None when a digest is empty."""
    user = delivery.recipient
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    language = getattr(profile, "language", None) or settings.LANGUAGE_CODE
    context = {
        "user": user,
        "base_url": settings.PORTAL_BASE_URL.rstrip("/"),
        "list_url": absolute_url(reverse("notification-list")),
        "preferences_url": absolute_url(reverse("notification-preferences")),
    }
    with translation.override(language):
        if delivery.digest_date:
            start = timezone.make_aware(datetime.combine(delivery.digest_date, time.min))
            notifications = list(
                Notification.objects.filter(
                    recipient_id=user.pk,
                    email_digest=True,
                    created__gte=start,
                    created__lt=start + timedelta(days=1),
                ).order_by("created", "id")
            )
            if not notifications:
                return None
            for notification in notifications:
                notification.absolute_url = absolute_url(notification.url)
            context.update(day=delivery.digest_date, notifications=notifications)
            template = "emails/digest"
            subject = _("Roadmap Portal: %(count)s notifications of %(day)s") % {
                "count": len(notifications),
                "day": date_format(delivery.digest_date, "SHORT_DATE_FORMAT"),
            }
        else:
            notification = delivery.notification
            context.update(
                notification=notification,
                event=event_label(notification.event),
                object_url=absolute_url(notification.url),
            )
            template = "emails/notification"
            subject = _("Roadmap Portal: %(event)s") % {"event": event_label(notification.event)}
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[user.email],
        headers={"Message-ID": _message_id(delivery)},
    )
    message.attach_alternative(html, "text/html")
    return message


def delivery_retry(*, delivery_ids):
    """An administrator sends failed deliveries again: they start over as pending."""
    updated = Delivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None, claimed_at=None
    )
    keys = list(Delivery.objects.filter(pk__in=delivery_ids).values_list("key", flat=True))
    enqueue(keys)
    return updated
