"""Domain events: one outbox row per subscriber, written with the change, run once."""

import logging

import pytest
from django.db import transaction

from roadmap_portal import events
from roadmap_portal.events import announce, subscribe, subscribers
from roadmap_portal.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_layers_above_subscribe_to_what_the_layers_below_announce():
    assert subscribers("offer.transitioned") == [
        "roadmap_portal.notifications.tasks.notify_offer_transition",
        "roadmap_portal.webhooks.tasks.webhook_offer_transitioned",
    ]
    assert subscribers("demand.published") == [
        "roadmap_portal.notifications.tasks.notify_demand_published"
    ]
    assert subscribers("tender.opened") == [
        "roadmap_portal.notifications.tasks.notify_tender_opened",
        "roadmap_portal.webhooks.tasks.webhook_tender_opened",
    ]
    assert subscribers("bid.awarded") == [
        "roadmap_portal.notifications.tasks.notify_bid_awarded",
        "roadmap_portal.webhooks.tasks.webhook_tender_awarded",
    ]


def test_an_announcement_is_one_row_per_subscriber_run_after_commit_and_once():
    with transaction.atomic():
        keys = announce("tender.opened", key="999999", tender_id=999_999)
        # Written in the transaction, one row per subscriber, none of them run yet.
        assert (
            sorted(OutboxMessage.objects.filter(done_at=None).values_list("key", flat=True)) == keys
        )
    assert keys == ["notify_tender_opened:999999", "webhook_tender_opened:999999"]
    rows = OutboxMessage.objects.order_by("key")
    assert [(row.key, row.task, row.queue, row.kwargs) for row in rows] == [
        (
            "notify_tender_opened:999999",
            "roadmap_portal.notifications.tasks.notify_tender_opened",
            "notifications",
            {"tender_id": 999_999},
        ),
        (
            "webhook_tender_opened:999999",
            "roadmap_portal.webhooks.tasks.webhook_tender_opened",
            "webhooks",
            {"tender_id": 999_999},
        ),
    ]
    assert all(row.done_at is not None for row in rows)
    done = {row.key: row.done_at for row in rows}
    announce("tender.opened", key="999999", tender_id=999_999)
    assert OutboxMessage.objects.count() == 2, "announced again: nothing new"
    # ... and nothing run again: each row keeps the time it was done.
    assert dict(OutboxMessage.objects.values_list("key", "done_at")) == done


def test_nothing_is_announced_for_a_rolled_back_change():
    with pytest.raises(RuntimeError), transaction.atomic():
        announce("bid.awarded", key="999999", bid_id=999_999)
        raise RuntimeError("rolled back")
    assert not OutboxMessage.objects.exists()


def test_unknown_events_and_clashing_subscribers_are_refused():
    with pytest.raises(ValueError, match="Unknown domain event"):
        announce("offer.teleported", key="1")
    with pytest.raises(ValueError, match="Unknown domain event"):
        subscribe("offer.teleported", "roadmap_portal.notifications.tasks.notify_offer_transition")
    with pytest.raises(ValueError, match="share the short name"):
        subscribe("tender.opened", "elsewhere.tasks.notify_tender_opened")


def test_an_event_without_subscribers_writes_nothing_and_says_so_in_the_debug_log(
    monkeypatch, caplog
):
    # As if the notifications' tasks module, demand.published's only subscriber, were not
    # imported.
    monkeypatch.delitem(events._subscribers, "demand.published")
    with caplog.at_level(logging.DEBUG, logger="roadmap_portal.events"):
        keys = announce("demand.published", key="999999", demand_id=999_999)
    assert keys == []
    assert not OutboxMessage.objects.exists()
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            "roadmap_portal.events",
            logging.DEBUG,
            "Domain event demand.published (key 999999) has no subscriber: nothing to run",
        )
    ]


def test_an_event_with_subscribers_logs_nothing(caplog):
    with caplog.at_level(logging.DEBUG, logger="roadmap_portal.events"):
        announce("bid.awarded", key="999999", bid_id=999_999)
    assert [r for r in caplog.records if r.name == "roadmap_portal.events"] == []
