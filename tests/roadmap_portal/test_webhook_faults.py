"""A partner's webhook receiver that fails, then hangs, then works, against the real services:
PostgreSQL, Redis, and two real Celery workers (the webhooks queue and the notifications
queue, as docker-compose.yml runs them).

The receiver (a threaded HTTP server on 127.0.0.1) answers 500 for a few seconds, then
takes requests and never answers (each attempt runs into WEBHOOK_TIMEOUT and its answer is
lost), then answers 200. Events are published in each phase. In the end every event is
answered 200 exactly once, the delivered sequence numbers are 1..N, a request received more
than once (its answer was lost) carries the same sequence number each time, the endpoint is
still switched on (failures that did not last), an unrelated e-mail went out while the
receiver hung, and the owner's redeliveries through the API are sent again with their
numbers. The test prints tries, lost, duplicated and the longest delay.
"""

from __future__ import annotations

import http.server
import json
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from roadmap_portal.celery import app as celery_app
from roadmap_portal.notifications.services import notify
from roadmap_portal.outbox.services import NOTIFICATIONS, WEBHOOKS, queue_name
from roadmap_portal.webhooks.models import WebhookDelivery, WebhookEndpoint
from roadmap_portal.webhooks.services import webhook_event
from tests.conftest import Worker, wait_for
from tests.factories import UserFactory
from tests.roadmap_portal.test_webhooks import make_key

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 2  # WEBHOOK_TIMEOUT of the worker: an attempt at a hanging receiver is cut here
FAIL, HANG, OK = "fail", "hang", "ok"


@dataclass
class Seen:
    at: float
    phase: str
    delivery: int
    sequence: int
    sequence_header: str


@dataclass
class FlakyReceiver:
    """500 in phase "fail"; in phase "hang" it reads the request and sends nothing until
    released (the sender times out: the answer is lost); 200 in phase "ok"."""

    phase: str = FAIL
    seen: list[Seen] = field(default_factory=list)
    hanging: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FlakyReceiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    phase = receiver.phase
                    receiver.seen.append(
                        Seen(
                            time.monotonic(),
                            phase,
                            body["id"],
                            body["sequence"],
                            self.headers["X-Roadmap-Sequence"],
                        )
                    )
                    if phase == HANG:
                        receiver.hanging += 1
                if phase == HANG:
                    receiver.released.wait(60)
                    self.close_connection = True
                    return  # no answer at all
                self.send_response(500 if phase == FAIL else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def switch(self, phase: str) -> None:
        with self.lock:
            self.phase = phase
        if phase != HANG:
            self.released.set()

    def answered_ok(self) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.phase == OK]

    def count(self, phase: str) -> int:
        with self.lock:
            return sum(1 for s in self.seen if s.phase == phase)


@pytest.fixture
def own_queues(settings, monkeypatch):
    """Queues of this test alone (the workers inherit the prefix); purged afterwards."""
    prefix = f"hookfault-{os.getpid()}-{time.time_ns()}-"
    settings.TASK_QUEUE_PREFIX = prefix
    monkeypatch.setenv("CELERY_QUEUE_PREFIX", prefix)
    names = [queue_name(WEBHOOKS), queue_name(NOTIFICATIONS)]
    yield names
    with celery_app.connection_for_write() as conn:
        for name in names:
            conn.default_channel.queue_purge(name)


@pytest.fixture
def worker_settings(monkeypatch, tmp_path):
    """What the workers read from their environment: loopback receivers admitted, short
    webhook timeouts and retries, a burst of three failures that would have switched the
    endpoint off before, and an e-mail backend that logs every message it is handed."""
    mail_log = tmp_path / "mail.log"
    for name, value in {
        "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "true",
        "WEBHOOK_TIMEOUT": str(TIMEOUT),
        "WEBHOOK_RETRY_BACKOFF": "1",
        "WEBHOOK_RETRY_BACKOFF_MAX": "2",
        "WEBHOOK_DISABLE_AFTER": "3",
        "EMAIL_BACKEND": "tests.email_backends.PausableLogBackend",
        "EMAIL_LOG_FILE": str(mail_log),
    }.items():
        monkeypatch.setenv(name, value)
    return mail_log


def mail_sent(log: Path) -> bool:
    return log.exists() and "sent " in log.read_text()


def publish(event_id: int, published: dict[int, float]) -> None:
    key = f"tender.opened:fault-{event_id}"
    published[event_id] = time.monotonic()
    assert webhook_event("tender.opened", key, {"n": event_id}, lambda user: True) == 1


# About 20 s, most of it waiting on the receiver's timeouts and the retries' back-off.
@pytest.mark.long(seconds=20)
def test_failing_then_hanging_then_working_receiver_loses_nothing(own_queues, worker_settings):
    mail_log = worker_settings
    key, api_key = make_key(write=["webhooks"])
    receiver = FlakyReceiver().start()
    endpoint = WebhookEndpoint.objects.create(
        api_key=api_key, url=receiver.url, events=["tender.opened"], secret="whsec_fault"
    )
    hooks = Worker(queue_name(WEBHOOKS)).start()
    mails = Worker(queue_name(NOTIFICATIONS)).start()
    published: dict[int, float] = {}  # event number -> when it was published
    try:
        # 1. Four seconds of 500s (at least four failed attempts): events 1-4.
        for n in range(1, 5):
            publish(n, published)
        assert wait_for(lambda: receiver.count(FAIL) >= 1, 90), hooks.output()
        failing_from = time.monotonic()
        assert wait_for(
            lambda: receiver.count(FAIL) >= 4 and time.monotonic() - failing_from >= 4, 60
        )

        # 2. It hangs: attempts run into the timeout. Events 5-8.
        receiver.switch(HANG)
        for n in range(5, 9):
            publish(n, published)
        assert wait_for(lambda: receiver.count(HANG) >= 1, 30)

        # An unrelated e-mail, on the notifications queue, while the receiver hangs.
        user = UserFactory(email="unrelated@example.org")
        mail_asked = time.monotonic()
        notify(
            recipients=[user],
            event="offer_status",
            key="unrelated-mail",
            message=lambda: "Status changed",
        )
        assert wait_for(lambda: mail_sent(mail_log), 60), mails.output()
        mail_delay = time.monotonic() - mail_asked
        assert receiver.phase == HANG, "the e-mail went out while the receiver hung"
        assert wait_for(lambda: receiver.count(HANG) >= 3, 60)

        # 3. It works again. Events 9-10.
        receiver.switch(OK)
        for n in range(9, 11):
            publish(n, published)
        total = len(published)
        assert wait_for(lambda: len({s.delivery for s in receiver.answered_ok()}) >= total, 120), (
            hooks.output()
        )
        time.sleep(TIMEOUT + 1)  # a second delivery of anything would show up now

        deliveries = {d.payload["n"]: d for d in WebhookDelivery.objects.filter(endpoint=endpoint)}
        ok = receiver.answered_ok()
        answered = Counter(s.delivery for s in ok)
        lost = [n for n, d in deliveries.items() if answered[d.pk] == 0]
        duplicated = [n for n, d in deliveries.items() if answered[d.pk] > 1]
        first_ok = {}
        for s in ok:
            first_ok.setdefault(s.delivery, s.at)
        delays = {
            n: first_ok[d.pk] - published[n] for n, d in deliveries.items() if d.pk in first_ok
        }
        with receiver.lock:
            seen = list(receiver.seen)
        tries = len(seen)
        answer_lost = {s.delivery for s in seen if s.phase == HANG}

        assert len(deliveries) == total
        assert lost == [] and duplicated == []
        assert sorted(s.sequence for s in ok) == list(range(1, total + 1)), "no gap, no repeat"
        sequences = {}
        for s in seen:
            assert s.sequence_header == str(s.sequence)
            sequences.setdefault(s.delivery, set()).add(s.sequence)
        assert all(len(numbers) == 1 for numbers in sequences.values()), (
            "a request received again carries the same number"
        )
        assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"sent"}
        endpoint.refresh_from_db()
        assert (endpoint.active, endpoint.consecutive_failures) == (True, 0), (
            "failures that did not last leave it on"
        )

        # 4. The owner redelivers one delivery, and everything since event 9.
        owner = APIClient()
        owner.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        base = f"/api/v1/webhooks/{endpoint.pk}/"
        one = owner.post(f"{base}deliveries/{deliveries[2].pk}/redeliver/")
        assert (one.status_code, one.json()) == (202, {"redelivered": 1})
        since = owner.post(
            f"{base}redeliver/", {"since": deliveries[9].created.isoformat()}, format="json"
        )
        assert (since.status_code, since.json()) == (202, {"redelivered": 2})
        assert wait_for(lambda: len(receiver.answered_ok()) >= total + 3, 60), hooks.output()
        time.sleep(TIMEOUT + 1)
        resent = receiver.answered_ok()[total:]
        assert sorted((s.delivery, s.sequence) for s in resent) == sorted(
            (deliveries[n].pk, deliveries[n].sequence) for n in (2, 9, 10)
        )
    finally:
        receiver.stop()
        hooks.stop()
        mails.stop()

    print(
        f"\nwebhook receiver answering 500 to {receiver.count(FAIL)} tries, hanging on "
        f"{receiver.count(HANG)}, then working: events {total}, tries {tries}, lost "
        f"{len(lost)}, duplicated {len(duplicated)} (received again after a lost answer: "
        f"{len(answer_lost)}, with the same sequence number), longest delay "
        f"{max(delays.values()):.1f} s; unrelated e-mail sent {mail_delay:.1f} s after it "
        f"was asked, while the receiver hung; redelivered 3 of 3",
        file=sys.stderr,
    )
