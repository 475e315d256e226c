"""E-mail delivery of notifications, at most once per (notification, channel).

Every e-mail is a ``Delivery`` row with a unique key, made before anything is sent.
A worker sends only after moving the row from pending to sending with a conditional
UPDATE, so two workers (or a task and its redelivery) never both send it; the row is
marked sent right after the SMTP server accepts the message. A row left in sending
by a worker that died is taken again only after ``SENDING_TIMEOUT``, longer than the
Celery hard time limit, so a live worker is never overtaken.
"""

import logging
import smtplib
from datetime import datetime, time, timedelta
from functools import partial
from math import ceil
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Delivery, DeliveryStatus, Notification, event_label

log = logging.getLogger(__name__)

SMTP_ERRORS = (smtplib.SMTPException, OSError)
# Longer than the Celery hard time limit: a claim this old belongs to a dead worker.
SENDING_TIMEOUT = timedelta(minutes=20)
# Fan-outs larger than this are sent by batch tasks sharing one SMTP connection.
PER_DELIVERY_TASKS_UP_TO = 50
BATCH_SIZE = 200
# A batch claims this many rows at a time, so a worker killed mid-batch strands few.
CLAIM_CHUNK = 20
DIGEST_EVENT = "digest"


def max_attempts():
    return getattr(settings, "NOTIFICATION_EMAIL_MAX_ATTEMPTS", 6)


def backoff(attempts):
    """Seconds to wait after the ``attempts``-th failure: 1, 2, 4 ... minutes, at most an hour."""
    return min(60 * 2 ** max(attempts - 1, 0), 3600)


# --- making deliveries -------------------------------------------------------


def deliveries_create_for(*, notifications, event):
    """A pending e-mail delivery per notification (none twice); sending queued after commit."""
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
    transaction.on_commit(partial(enqueue, [row.key for row in rows]), robust=True)
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
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    transaction.on_commit(partial(enqueue, [row.key for row in rows]), robust=True)
    return len(rows)


def enqueue(keys):
    """Queue the sending of the pending deliveries with ``keys``: one task each when few,
    batch tasks when many."""
    from .tasks import deliver_email, deliver_pending

    if not keys:
        return
    if len(keys) > PER_DELIVERY_TASKS_UP_TO:
        for _batch in range(ceil(len(keys) / BATCH_SIZE)):
            deliver_pending.delay(BATCH_SIZE)
        return
    pending = Delivery.objects.filter(key__in=keys, status=DeliveryStatus.PENDING)
    for delivery_id in pending.values_list("pk", flat=True):
        deliver_email.delay(delivery_id)


# --- claiming ----------------------------------------------------------------


def sending_timeout():
    seconds = getattr(settings, "NOTIFICATION_SENDING_TIMEOUT", None)
    return timedelta(seconds=seconds) if seconds is not None else SENDING_TIMEOUT


def _claimable(now):
    return Q(status=DeliveryStatus.PENDING) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - sending_timeout()
    )


def delivery_claim(*, delivery_id):
    """Take one delivery for sending; False when sent, failed or being sent by someone else."""
    now = timezone.now()
    claimed = Delivery.objects.filter(_claimable(now), pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return claimed == 1


def deliveries_claim(*, batch_size):
    """Take up to ``batch_size`` deliveries due now; rows other workers hold are skipped."""
    now = timezone.now()
    due = _claimable(now) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return []
        Delivery.objects.filter(_claimable(now), pk__in=ids).update(
            status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        return list(
            Delivery.objects.filter(
                pk__in=ids, status=DeliveryStatus.SENDING, claimed_at=now
            ).values_list("pk", flat=True)
        )


# --- sending -----------------------------------------------------------------


def delivery_send(*, delivery_id):
    """Send one delivery if it can be claimed.

    Returns ``"sent"``, ``"failed"`` (the last attempt failed: recorded with its error) or
    ``"skipped"`` (already sent, failed for good, or held by another worker). An SMTP error
    before the last attempt is recorded and raised again so that the task retries it.
    """
    if not delivery_claim(delivery_id=delivery_id):
        return "skipped"
    delivery = _load([delivery_id])[0]
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


def deliveries_send_pending(*, batch_size=BATCH_SIZE):
    """Claim and send up to ``batch_size`` due deliveries over one connection.

    A failed one is given back with a backoff (or recorded as failed on its last attempt)
    and the rest go on. Returns counts by outcome.
    """
    counts = {"sent": 0, "failed": 0, "retry": 0}
    connection = None
    try:
        while batch_size > 0:
            ids = deliveries_claim(batch_size=min(CLAIM_CHUNK, batch_size))
            if not ids:
                break
            batch_size -= len(ids)
            connection = connection or _connection()
            for delivery in _load(ids):
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
    return get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 30)


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
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now(), next_attempt_at=None
        )
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
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        last_error=error, **update
    )
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
                "day": delivery.digest_date.strftime("%d.%m.%Y"),
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
    transaction.on_commit(partial(enqueue, keys), robust=True)
    return updated
