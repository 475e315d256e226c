"""The transactional outbox: rows written with the change, relayed after commit, run once."""

import datetime
import smtplib

import pytest
from celery.exceptions import Retry
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from roadmap_portal.models import Delivery, Notification
from roadmap_portal.notifications.delivery import _send_claimed, delivery_claim_next
from roadmap_portal.notifications.tasks import deliver_email, notify_bid_awarded
from roadmap_portal.outbox.models import OutboxMessage
from roadmap_portal.outbox.services import kind_of, publish, queue_name, relay, route_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_publish_relays_after_commit_and_eager_celery_runs_the_task_inline():
    with transaction.atomic():
        publish(notify_bid_awarded, key="bid:1", kwargs={"bid_id": 999_999})
        row = OutboxMessage.objects.get(key="bid:1")
        assert row.dispatched_at is None and row.done_at is None
    row.refresh_from_db()
    assert row.task == "roadmap_portal.notifications.tasks.notify_bid_awarded"
    assert row.kwargs == {"bid_id": 999_999}
    assert row.attempts == 1
    assert row.done_at is not None


def test_nothing_is_published_for_a_rolled_back_change():
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(notify_bid_awarded, key="bid:2", kwargs={"bid_id": 1})
        raise RuntimeError("rolled back")
    assert not OutboxMessage.objects.filter(key="bid:2").exists()


def test_the_same_key_is_published_and_run_once():
    publish(notify_bid_awarded, key="bid:3", kwargs={"bid_id": 999_999})
    publish(notify_bid_awarded, key="bid:3", kwargs={"bid_id": 999_999})
    assert OutboxMessage.objects.filter(key="bid:3").count() == 1
    row = OutboxMessage.objects.get(key="bid:3")
    assert row.attempts == 1
    # A redelivered task finds the row done and does nothing.
    assert notify_bid_awarded.apply(kwargs={"bid_id": 1, "outbox_key": "bid:3"}).get() is None
    assert relay() == 0


def test_tasks_are_routed_to_their_kind(settings):
    settings.TASK_QUEUE_PREFIX = "t-"
    assert kind_of("roadmap_portal.notifications.tasks.deliver_email") == "notifications"
    assert kind_of("roadmap_portal.webhooks.tasks.deliver_webhook") == "webhooks"
    assert kind_of("roadmap_portal.insights.tasks.build_report") == "reports"
    assert kind_of("suppliers.tasks.import_products") == "imports"
    assert kind_of("roadmap_portal.tasks.ping_database") == "celery"
    assert queue_name("reports") == "t-reports"
    assert route_task("roadmap_portal.notifications.tasks.notify_bid_awarded", (), {}, {}) == {
        "queue": "t-notifications"
    }


def test_the_sweep_hands_over_again_a_row_whose_task_never_finished(settings):
    settings.OUTBOX_REDISPATCH_AFTER = 60
    OutboxMessage.objects.create(
        key="bid:4",
        task="roadmap_portal.notifications.tasks.notify_bid_awarded",
        kwargs={"bid_id": 999_999},
        dispatched_at=timezone.now() - datetime.timedelta(seconds=61),
        attempts=1,
    )
    OutboxMessage.objects.create(
        key="bid:5",
        task="roadmap_portal.notifications.tasks.notify_bid_awarded",
        kwargs={"bid_id": 999_999},
        dispatched_at=timezone.now() - datetime.timedelta(seconds=30),
        attempts=1,
    )
    assert relay() == 1  # the recent hand-off is still given its time
    assert OutboxMessage.objects.get(key="bid:4").done_at is not None
    assert OutboxMessage.objects.get(key="bid:5").done_at is None


def test_an_e_mail_is_marked_sent_only_under_the_claim_that_sent_it(settings):
    settings.NOTIFICATION_SENDING_TIMEOUT = 60
    user = UserFactory(email="one@example.org")
    notification = Notification.objects.create(
        recipient=user, event="offer_status", key="claims:1", message="x"
    )
    delivery = Delivery.objects.create(
        key=f"email:{notification.pk}",
        recipient=user,
        notification=notification,
        event="offer_status",
    )
    delivery_id, first_claim = delivery_claim_next()
    assert delivery_id == delivery.pk
    assert delivery_claim_next() is None  # one message, one holder
    # The first worker is overtaken after its lease: another claims the message ...
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=first_claim - datetime.timedelta(seconds=61)
    )
    second = delivery_claim_next()
    assert second is not None and second[0] == delivery.pk
    # ... and the first worker's late mark changes nothing.
    late = Delivery.objects.select_related("recipient", "notification").get(pk=delivery.pk)
    late.claimed_at = first_claim
    _send_claimed(late, get_connection("django.core.mail.backends.locmem.EmailBackend"))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.claimed_at, delivery.attempts) == ("sending", second[1], 2)


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that drops every connection."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_celery_retry_takes_the_work_over_without_the_key(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    user = UserFactory(email="two@example.org")
    notification = Notification.objects.create(
        recipient=user, event="offer_status", key="retry:1", message="x"
    )
    delivery = Delivery.objects.create(
        key=f"email:{notification.pk}", recipient=user, notification=notification, event="x"
    )
    OutboxMessage.objects.create(
        key="email-retry:1", task=deliver_email.name, kwargs={"delivery_id": delivery.pk}
    )
    with pytest.raises(Retry) as retry:
        deliver_email.apply(
            kwargs={"delivery_id": delivery.pk, "outbox_key": "email-retry:1"}, throw=True
        )
    assert retry.value.sig.kwargs == {"delivery_id": delivery.pk}
    assert OutboxMessage.objects.get(key="email-retry:1").done_at is not None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
