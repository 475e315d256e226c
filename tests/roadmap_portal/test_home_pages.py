"""The administrator's home (system health) and the partner's home (keys, webhook health)
show the figures of the database and of Redis."""

import datetime
import re
import uuid

import pytest
import redis
from django.utils import timezone
from django.utils.formats import date_format
from knox.models import AuthToken

from roadmap_portal.models import ApiKey, Delivery, Heartbeat
from roadmap_portal.outbox.models import OutboxMessage
from roadmap_portal.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import RegionFactory, user_with_role

pytestmark = pytest.mark.django_db


def text_of(html: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (tags removed, whitespace collapsed)."""
    match = re.search(
        rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, flags=re.S
    )
    assert match, f"no element #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def shown(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@pytest.fixture
def queues(settings):
    """Queues of this test's own in the real Redis (a prefix nobody else uses)."""
    settings.TASK_QUEUE_PREFIX = f"home-{uuid.uuid4().hex[:8]}-"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client, settings.TASK_QUEUE_PREFIX
    for kind in ("celery", "notifications", "webhooks", "reports", "imports", "exports"):
        client.delete(settings.TASK_QUEUE_PREFIX + kind)
    client.close()


@pytest.fixture
def admin_world():
    admin = user_with_role("administrator")
    now = timezone.now()
    OutboxMessage.objects.all().delete()
    for i in range(2):
        OutboxMessage.objects.create(
            key=f"n{i}",
            task="roadmap_portal.notifications.tasks.deliver_email",
            queue="notifications",
        )
    OutboxMessage.objects.create(
        key="r", task="roadmap_portal.insights.tasks.build_report", queue=""
    )
    OutboxMessage.objects.create(
        key="done",
        task="roadmap_portal.notifications.tasks.deliver_email",
        queue="notifications",
        done_at=now,
    )
    Delivery.objects.all().delete()
    for i, (status, days) in enumerate(
        [("failed", 0), ("failed", 2), ("failed", 6), ("failed", 8), ("sent", 1), ("pending", 0)]
    ):
        delivery = Delivery.objects.create(
            key=f"digest:{i}",
            recipient=admin,
            event="digest",
            digest_date=now.date(),
            status=status,
        )
        Delivery.objects.filter(pk=delivery.pk).update(
            created=now - datetime.timedelta(days=days, hours=1)
        )
    endpoint = WebhookEndpoint.objects.create(
        user=user_with_role("partner"),
        url="https://partner.example.org/hook",
        events=[],
        secret="s",
    )
    for i, (status, days) in enumerate([("failed", 1), ("failed", 3), ("failed", 9), ("sent", 0)]):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event="report.ready", event_key=f"k{i}", status=status
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            created=now - datetime.timedelta(days=days, hours=1)
        )
    beat = timezone.make_aware(datetime.datetime(2026, 11, 30, 9, 45))
    Heartbeat.objects.update_or_create(name="beat", defaults={"at": beat})
    Heartbeat.objects.filter(name="worker").delete()
    return {"admin": admin, "beat": beat}


def test_the_administrators_home_shows_queues_failures_and_heartbeats(admin_world, queues, client):
    redis_client, prefix = queues
    redis_client.rpush(prefix + "webhooks", "a", "b", "c")
    redis_client.rpush(prefix + "reports", "x", "y")
    client.force_login(admin_world["admin"])
    html = client.get("/").content.decode()
    assert text_of(html, "queue-webhooks") == "3"
    assert text_of(html, "queue-reports") == "2"
    assert text_of(html, "queue-notifications") == "0"
    assert text_of(html, "queue-celery") == "0"
    assert text_of(html, "outbox-notifications") == "2"
    assert text_of(html, "outbox-reports") == "1"
    assert text_of(html, "outbox-webhooks") == "0"
    assert 'id="broker-error"' not in html
    assert text_of(html, "health-failed-emails") == "3"
    assert text_of(html, "health-failed-webhooks") == "2"
    assert 'href="/admin/roadmap_portal/delivery/?status__exact=failed"' in html
    assert 'href="/admin/webhooks/webhookdelivery/?status__exact=failed"' in html
    assert text_of(html, "health-beat") == shown(admin_world["beat"])
    assert text_of(html, "health-worker") == "unknown"
    assert 'href="/admin/suppliers/supplier/"' in html
    assert 'href="/admin/auth/user/"' in html


def test_the_administrators_home_says_unknown_when_redis_does_not_answer(
    admin_world, settings, client
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    client.force_login(admin_world["admin"])
    started = timezone.now()
    response = client.get("/")
    assert response.status_code == 200
    assert (timezone.now() - started).total_seconds() < 5
    html = response.content.decode()
    for kind in ("celery", "notifications", "webhooks", "reports", "imports", "exports"):
        assert text_of(html, f"queue-{kind}") == "unknown"
    assert text_of(html, "outbox-notifications") == "2"
    assert text_of(html, "broker-error").startswith("Redis did not answer: ConnectionError")
    assert text_of(html, "health-failed-emails") == "3"


def test_the_partners_home_shows_their_keys_tokens_and_endpoints(client):
    partner = user_with_role("partner")
    other = user_with_role("partner")
    now = timezone.now()
    used = now - datetime.timedelta(hours=5)
    ApiKey.objects.create(
        name="Main key",
        organisation="ARR",
        user=partner,
        prefix="main1234",
        hashed_key="0" * 64,
        last_used=used,
        expires=now + datetime.timedelta(days=30),
    )
    ApiKey.objects.create(
        name="Old key",
        organisation="ARR",
        user=partner,
        prefix="old12345",
        hashed_key="1" * 64,
        revoked=now - datetime.timedelta(days=2),
        last_used=now - datetime.timedelta(days=3),
    )
    ApiKey.objects.create(
        name="Never used", organisation="ARR", user=partner, prefix="new12345", hashed_key="2" * 64
    )
    ApiKey.objects.create(
        name="Their key", organisation="X", user=other, prefix="their123", hashed_key="3" * 64
    )
    token, _raw = AuthToken.objects.create(user=partner, expiry=datetime.timedelta(days=10))
    failing = WebhookEndpoint.objects.create(
        user=partner, url="https://arr.example.org/events", events=[], secret="s"
    )
    WebhookEndpoint.objects.filter(pk=failing.pk).update(consecutive_failures=4)
    for i, (status, code, hours) in enumerate(
        [("sent", 200, 300), ("failed", 500, 30), ("failed", 502, 2)]
    ):
        delivery = WebhookDelivery.objects.create(
            endpoint=failing,
            event="report.ready",
            event_key=f"e{i}",
            status=status,
            response_code=code,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            created=now - datetime.timedelta(hours=hours)
        )
    disabled = WebhookEndpoint.objects.create(
        user=partner,
        url="https://arr.example.org/old",
        events=[],
        secret="s",
        active=False,
        disabled_reason="Failing for 24 hours",
    )
    theirs = WebhookEndpoint.objects.create(
        user=other, url="https://other.example.org/hook", events=[], secret="s"
    )
    client.force_login(partner)
    html = client.get("/").content.decode()
    keys = text_of(html, "partner-keys")
    assert "Main key" in keys and "Old key" in keys and "Never used" in keys
    assert "Their key" not in html
    main = text_of(html, "key-main1234")
    assert "active" in main and shown(used) in main
    assert "revoked" in text_of(html, "key-old12345")
    assert "not used yet" in text_of(html, "key-new12345")
    assert token.token_key in text_of(html, "partner-tokens")
    assert text_of(html, "partner-last-call").startswith(
        f"Your last API call with a key: {shown(used)}."
    )
    row = text_of(html, f"endpoint-{failing.pk}")
    assert "https://arr.example.org/events active failed (HTTP 502)" in row
    assert row.endswith("2 4")  # failed in the last 7 days, failures in a row
    row = text_of(html, f"endpoint-{disabled.pk}")
    assert "disabled Failing for 24 hours no delivery yet 0 0" in row
    assert f"endpoint-{theirs.pk}" not in html
    assert "system-health" not in html


def test_other_roles_see_neither_health_nor_keys(client):
    client.force_login(user_with_role("region_staff", region=RegionFactory()))
    html = client.get("/").content.decode()
    assert 'id="system-health"' not in html and 'id="partner-access"' not in html
