"""E-mail delivery: one e-mail per (notification, channel), retries, failures, digests."""

import datetime
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from roadmap_portal.models import Delivery, Notification
from roadmap_portal.notifications.delivery import SENDING_TIMEOUT, delivery_claim
from roadmap_portal.notifications.services import notify
from roadmap_portal.notifications.tasks import deliver_email, deliver_pending, send_daily_digests
from tests.factories import admin_user, user_with_role
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

HERE = "tests.roadmap_portal.test_notification_delivery"


class FlakyBackend(BaseEmailBackend):
    """An SMTP server that drops the connection ``failures`` times, then accepts."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        mail.outbox.extend(messages)
        return len(messages)


class QuitFailsBackend(BaseEmailBackend):
    """Accepts the message, then the connection breaks at QUIT: a failure after sending."""

    closes = 0

    def send_messages(self, messages):
        mail.outbox.extend(messages)
        return len(messages)

    def close(self):
        QuitFailsBackend.closes += 1
        raise smtplib.SMTPServerDisconnected("Connection closed during QUIT")


@pytest.fixture
def worker_retries():
    """Let a failing task retry in-process as a worker would, instead of raising Retry."""
    conf = deliver_email.app.conf
    previous = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = previous


@pytest.fixture
def flaky(settings, worker_retries):
    settings.EMAIL_BACKEND = f"{HERE}.FlakyBackend"
    FlakyBackend.failures = 0
    yield FlakyBackend
    FlakyBackend.failures = 0


def pending_delivery(username="mikran", event="report_ready", key="report_ready:1"):
    """A notification with its pending e-mail delivery, the sending task not run yet."""
    user = user_with_role("administrator", username=username)
    notify(recipients=[user], event=event, key=key, message=lambda: "Your report is ready")
    return Delivery.objects.get(recipient=user)


def test_running_the_task_twice_sends_one_email():
    delivery = pending_delivery()
    assert deliver_email.apply(args=[delivery.pk]).get() == "sent"
    assert deliver_email.apply(args=[delivery.pk]).get() == "skipped"
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert delivery.sent_at is not None


def test_a_failure_after_sending_does_not_send_again(settings):
    settings.EMAIL_BACKEND = f"{HERE}.QuitFailsBackend"
    QuitFailsBackend.closes = 0
    delivery = pending_delivery()
    deliver_email.apply(args=[delivery.pk]).get()
    deliver_email.apply(args=[delivery.pk]).get()  # a redelivery of the same task
    assert QuitFailsBackend.closes >= 1
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_a_delivery_being_sent_is_left_alone_until_its_claim_is_stale():
    delivery = pending_delivery()
    assert delivery_claim(delivery_id=delivery.pk) is True  # a worker took it ...
    assert delivery_claim(delivery_id=delivery.pk) is False  # ... nobody else can
    assert deliver_email.apply(args=[delivery.pk]).get() == "skipped"
    assert deliver_pending.apply(args=[50]).get()["sent"] == 0
    assert mail.outbox == []
    # The worker died: after the timeout the delivery is taken again and sent once.
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - SENDING_TIMEOUT - datetime.timedelta(seconds=1)
    )
    assert deliver_pending.apply(args=[50]).get()["sent"] == 1
    assert deliver_email.apply(args=[delivery.pk]).get() == "skipped"
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_smtp_errors_are_retried_then_sent_once(flaky):
    delivery = pending_delivery()
    flaky.failures = 2
    assert deliver_email.delay(delivery.pk).get() == "sent"
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert "SMTPServerDisconnected" in delivery.last_error


def test_a_permanent_failure_is_recorded_and_shown_to_administrators(flaky, settings, client):
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 3
    delivery = pending_delivery()
    flaky.failures = 100
    assert deliver_email.delay(delivery.pk).get() == "failed"
    assert mail.outbox == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in delivery.last_error
    assert deliver_email.delay(delivery.pk).get() == "skipped"  # failed stays failed

    client.force_login(admin_user())
    page = client.get("/admin/roadmap_portal/delivery/", {"status__exact": "failed"})
    assert page.status_code == 200
    assert delivery.key in page.content.decode()
    assert "Connection unexpectedly closed" in page.content.decode()
    empty = client.get("/admin/roadmap_portal/delivery/", {"status__exact": "sent"})
    assert delivery.key not in empty.content.decode()

    # An administrator sends it again once the server is back.
    flaky.failures = 0
    response = client.post(
        "/admin/roadmap_portal/delivery/",
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert deliver_email.delay(delivery.pk).get() == "sent"
    assert len(mail.outbox) == 1


def _many_recipients(count, prefix="bulk"):
    User = get_user_model()
    User.objects.bulk_create(
        User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org") for i in range(count)
    )
    return User.objects.filter(username__startswith=prefix).order_by("pk")


def test_a_large_fan_out_goes_out_in_batches_once_each(django_capture_on_commit_callbacks):
    recipients = _many_recipients(120)
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            recipients=recipients, event="tender_opened", key="t:1", message=lambda: "Tender"
        )
    assert created == 120
    assert len(mail.outbox) == 120
    assert len({m.to[0] for m in mail.outbox}) == 120
    assert Delivery.objects.filter(status="sent").count() == 120
    assert deliver_pending.apply(args=[500]).get()["sent"] == 0
    assert len(mail.outbox) == 120


def test_making_notifications_costs_the_same_queries_for_10_and_1000_recipients():
    small, large = _many_recipients(10, "small"), _many_recipients(1000, "large")
    _, for_small = count_queries(
        notify, recipients=small, event="tender_opened", key="k:1", message=lambda: "x"
    )
    _, for_large = count_queries(
        notify, recipients=large, event="tender_opened", key="k:1", message=lambda: "x"
    )
    assert for_small == for_large
    assert Notification.objects.count() == 1010
    assert Delivery.objects.count() == 1010


def test_a_failing_row_in_a_batch_backs_off_while_the_rest_go_out(flaky):
    recipients = _many_recipients(5)
    notify(recipients=recipients, event="tender_opened", key="t:2", message=lambda: "Tender")
    flaky.failures = 1
    counts = deliver_pending.apply(args=[50]).get()
    assert counts == {"sent": 4, "failed": 0, "retry": 1}
    waiting = Delivery.objects.get(status="pending")
    assert waiting.next_attempt_at > timezone.now()
    assert deliver_pending.apply(args=[50]).get()["sent"] == 0  # not due yet
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())
    assert deliver_pending.apply(args=[50]).get()["sent"] == 1
    assert len(mail.outbox) == 5


def _digest_notification(user, key, message, day):
    notify(recipients=[user], event="queue_work", key=key, message=lambda: message)
    created = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))
    Notification.objects.filter(recipient=user, key=key).update(created=created)


def test_the_daily_digest_is_one_email_per_person_even_when_run_twice(
    django_capture_on_commit_callbacks,
):
    day = datetime.date(2026, 3, 2)
    staff = user_with_role("administrator", username="tomsk.staff")
    other = user_with_role("administrator", username="kaluga.staff", language="ru")
    for i in range(3):
        _digest_notification(staff, f"queue:{i}", f"New offer number {i}", day)
    _digest_notification(other, "queue:9", "Kaluga offer", day)
    _digest_notification(staff, "queue:old", "Yesterday's offer", day - datetime.timedelta(days=1))
    assert Delivery.objects.count() == 0  # queue work is a digest event by default

    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            send_daily_digests.apply(args=[day.isoformat()]).get()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "kaluga.staff@example.org",
        "tomsk.staff@example.org",
    ]
    digest = next(m for m in mail.outbox if m.to == ["tomsk.staff@example.org"])
    for i in range(3):
        assert f"New offer number {i}" in digest.body
        assert f"New offer number {i}" in digest.alternatives[0][0]
    assert "Yesterday's offer" not in digest.body
    assert "Kaluga offer" not in digest.body
    assert set(Delivery.objects.values_list("key", flat=True)) == {
        f"digest:{staff.pk}:2026-03-02",
        f"digest:{other.pk}:2026-03-02",
    }


def test_a_person_without_email_gets_no_delivery():
    user = user_with_role("administrator", username="nomail")
    get_user_model().objects.filter(pk=user.pk).update(email="")
    user.refresh_from_db()
    notify(recipients=[user], event="report_ready", key="r:9", message=lambda: "Ready")
    assert Notification.objects.filter(recipient=user).count() == 1
    assert Delivery.objects.count() == 0
