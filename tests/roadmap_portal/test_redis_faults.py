"""The web keeps working without Redis: a private redis-server (never the shared one) is the
cache and the broker of this test process and of a real Celery worker; it is frozen
(SIGSTOP) and then stopped (SIGTERM) while the API and the HTML pages are used, then
started again. No request fails, every write is kept, every report requested meanwhile is
built and its notification made once Redis is back, and a frozen Redis costs a bounded time
per request. Real PostgreSQL, Redis and Celery worker."""

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.test import Client

from roadmap_portal.celery import app as celery_app
from roadmap_portal.health import readiness
from roadmap_portal.insights.reports import reports_sweep
from roadmap_portal.models import Delivery, Notification, Report, Roadmap
from roadmap_portal.outbox import services as outbox
from roadmap_portal.outbox.models import OutboxMessage
from roadmap_portal.outbox.services import NOTIFICATIONS, REPORTS, queue_name
from tests.conftest import Worker, wait_for
from tests.demo_data import load_demo
from tests.factories import user_with_role

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of this test alone, in memory only."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url(0), socket_timeout=1)
        assert wait_for(lambda: _answers(client), timeout=20, interval=0.1)

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.send_signal(signal.SIGCONT)
        self.process.wait(timeout=20)

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=20)


def _answers(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


@contextmanager
def _broker_at(url: str) -> Iterator[None]:
    """This process's Celery publishes to ``url`` (its pools made anew)."""

    def switch(to: str | None) -> None:
        celery_app.conf.broker_write_url = to  # None: broker_url again
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    switch(url)
    try:
        yield
    finally:
        switch(None)


@pytest.fixture
def private_redis(settings, monkeypatch):
    """The cache and the broker of this test (and of the workers it starts) on a private
    redis-server."""
    server = RedisServer()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url(0),
            "OPTIONS": {
                "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT,
                "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
            },
        }
    }
    # The broker loses what it held when it stops (in memory only): the sweeps hand it over
    # again after these (minutes in production, seconds here).
    settings.OUTBOX_REDISPATCH_AFTER = 10
    settings.REPORT_QUEUE_SECONDS = 20
    settings.CELERY_BROKER_URL = server.url(1)
    monkeypatch.setenv("CELERY_BROKER_URL", server.url(1))
    from roadmap_portal.api import throttling

    throttling.budget.down_until = 0.0
    with _broker_at(server.url(1)):
        yield server
    server.close()


@pytest.mark.long(seconds=30)
def test_redis_frozen_then_stopped_the_web_answers_and_nothing_is_lost(private_redis, api_as):
    load_demo()
    roadmap = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    staff = user_with_role("region_staff", region=roadmap.region)
    api = api_as(staff)
    html = Client()
    html.force_login(staff)
    worker = Worker(f"{queue_name(REPORTS)},{queue_name(NOTIFICATIONS)}").start()
    timings: dict[str, dict[str, float]] = {"up": {}, "frozen": {}, "down": {}}
    statuses: list[tuple[str, str, int]] = []
    requested: dict[int, float] = {}

    def call(phase: str, name: str, send) -> object:
        started = time.monotonic()
        response = send()
        elapsed = time.monotonic() - started
        timings[phase][name] = max(elapsed, timings[phase].get(name, 0.0))
        statuses.append((phase, name, response.status_code))
        return response

    def use_the_portal(phase: str, year: int) -> None:
        for _ in range(3):
            call(phase, "api list", lambda: api.get("/api/v1/roadmaps/"))
        call(phase, "html list", lambda: html.get("/roadmaps/"))
        call(phase, "html reports", lambda: html.get("/reports/"))
        response = call(
            phase,
            "api report",
            lambda: api.post(
                "/api/v1/reports/", {"roadmap": roadmap.pk, "year": year}, format="json"
            ),
        )
        requested[response.json()["id"]] = time.monotonic()
        response = call(
            phase,
            "html report",
            lambda: html.post(
                "/reports/",
                {"subject": f"roadmap:{roadmap.pk}", "year": year - 1, "language": "en"},
            ),
        )
        report = Report.objects.get(year=year - 1, language="en")
        requested[report.pk] = time.monotonic()
        assert response["Location"] == f"/reports/{report.pk}/"

    use_the_portal("up", 2019)
    private_redis.freeze()
    try:
        use_the_portal("frozen", 2017)
        frozen_ready = readiness()
    finally:
        private_redis.stop()
    use_the_portal("down", 2015)
    down_ready = readiness()
    assert Report.objects.count() == 6  # every write kept

    private_redis.start()
    back_at = time.monotonic()

    def all_built():
        outbox.sweep()  # beat's sweeps, run here every second
        reports_sweep()
        finished = Report.objects.filter(status__in=["done", "failed"], finished__isnull=False)
        mails = Delivery.objects.filter(notification__event="report_ready")
        sent = not mails.exclude(status="sent").exists()
        return finished.count() == len(requested) and sent

    built = wait_for(all_built, timeout=240, interval=1)
    delay = time.monotonic() - back_at
    worker.stop()
    reports = list(Report.objects.order_by("id"))
    lost = sum(1 for r in reports if r.status != "done")
    notified = Notification.objects.filter(event="report_ready", recipient=staff)
    duplicated = (
        len(reports)
        - len({(r.year, r.language) for r in reports})
        + notified.count()
        - notified.values("key").distinct().count()
    )
    pending_outbox = OutboxMessage.objects.filter(done_at__isnull=True).count()
    for phase, longest in timings.items():
        print(
            f"\nRedis {phase}, longest answer per request: "
            + ", ".join(f"{name} {value * 1000:.0f} ms" for name, value in longest.items())
        )
    deliveries = Delivery.objects.filter(notification__in=notified)
    print(
        f"Redis frozen then stopped: tries=1, reports requested={len(requested)}, lost={lost},"
        f" duplicated={duplicated}, notifications={notified.count()},"
        f" e-mails={deliveries.filter(status='sent').count()}/{deliveries.count()} sent,"
        f" outbox left={pending_outbox}, longest delay after Redis came back={delay:.1f}s;"
        f" readiness frozen={frozen_ready[0]} down={down_ready[0]}"
    )
    assert built is True, worker.output()
    assert [s for s in statuses if s[2] >= 500] == []
    assert {(name, code) for _, name, code in statuses} == {
        ("api list", 200),
        ("html list", 200),
        ("html reports", 200),
        ("api report", 202),
        ("html report", 302),
    }
    assert lost == 0
    assert duplicated == 0
    assert notified.count() == 6
    assert deliveries.exclude(status="sent").count() == 0
    assert frozen_ready[0] == 503
    assert frozen_ready[1]["checks"]["database"]["status"] == "ok"
    assert frozen_ready[1]["checks"]["cache"]["status"] == "degraded"
    assert frozen_ready[1]["checks"]["broker"]["status"] == "down"
    assert down_ready[0] == 503
    assert down_ready[1]["checks"]["broker"]["status"] == "down"
