"""The transactional outbox: rows written with the change, relayed after commit, run once."""

import pytest
from django.db import transaction

from roadmap_portal.outbox import kind_of, publish, queue_name, relay, route_task
from roadmap_portal.outbox.models import OutboxMessage
from roadmap_portal.tasks import notify_bid_awarded

pytestmark = pytest.mark.django_db(transaction=True)


def test_publish_relays_after_commit_and_eager_celery_runs_the_task_inline():
    with transaction.atomic():
        publish(notify_bid_awarded, key="bid:1", kwargs={"bid_id": 999_999})
        row = OutboxMessage.objects.get(key="bid:1")
        assert row.dispatched_at is None and row.done_at is None
    row.refresh_from_db()
    assert row.task == "roadmap_portal.tasks.notify_bid_awarded"
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
    assert kind_of("roadmap_portal.tasks.deliver_email") == "notifications"
    assert kind_of("roadmap_portal.webhooks.tasks.deliver_webhook") == "webhooks"
    assert kind_of("roadmap_portal.tasks.build_report") == "reports"
    assert kind_of("suppliers.tasks.import_products") == "imports"
    assert kind_of("roadmap_portal.tasks.ping_database") == "celery"
    assert queue_name("reports") == "t-reports"
    assert route_task("roadmap_portal.tasks.notify_bid_awarded", (), {}, {}) == {
        "queue": "t-notifications"
    }
