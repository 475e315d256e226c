"""Liveness and readiness (/healthz/live, /healthz/ready), and the throttle's local budget
when the shared cache cannot be reached. Real PostgreSQL and Redis."""

import datetime
import socket

import pytest
from django.utils import timezone

from roadmap_portal.api import throttling
from roadmap_portal.celery import app as celery_app
from roadmap_portal.models import Heartbeat, Report, Roadmap
from roadmap_portal.outbox.models import OutboxMessage
from roadmap_portal.tasks import heartbeat
from tests.demo_data import load_demo
from tests.factories import admin_user, user_with_role


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def dead_broker():
    """This process's Celery publishes to a port where nothing listens."""

    def switch(to: str | None) -> None:
        celery_app.conf.broker_write_url = to  # None: broker_url again
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    switch(f"redis://127.0.0.1:{_closed_port()}/0")
    yield
    switch(None)


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
    throttling.budget.down_until = 0.0
    throttling.budget.local.clear()
    yield
    throttling.budget.down_until = 0.0
    throttling.budget.local.clear()


@pytest.mark.django_db
def test_liveness_asks_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.worker
@pytest.mark.django_db
def test_readiness_reports_each_dependency_and_is_degraded_without_heartbeats(client):
    Heartbeat.objects.all().delete()
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    checks = body["checks"]
    assert set(checks) == {
        "database",
        "cache",
        "broker",
        "worker",
        "beat",
        "outbox",
        "report_jobs",
    }
    assert {name: c["status"] for name, c in checks.items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "worker": "degraded",
        "beat": "degraded",
        "outbox": "ok",
        "report_jobs": "ok",
    }
    assert checks["database"]["required"] is True
    assert checks["broker"]["required"] is True
    assert checks["cache"]["required"] is False
    assert all(c["latency_ms"] >= 0 for c in checks.values())


@pytest.mark.worker
@pytest.mark.django_db
def test_readiness_is_ok_once_beat_and_a_worker_stamped_their_heartbeat(client):
    sent = timezone.now() - datetime.timedelta(seconds=5)
    heartbeat.run(sent=sent.isoformat())
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["beat"]["last"] == sent.isoformat()


@pytest.mark.worker
@pytest.mark.django_db
def test_readiness_is_503_when_the_broker_is_down(client, dead_broker):
    heartbeat.run(sent=timezone.now().isoformat())
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.worker
@pytest.mark.django_db
def test_readiness_with_an_optional_broker_stays_200_degraded(client, dead_broker, settings):
    settings.HEALTH_BROKER_REQUIRED = False
    heartbeat.run(sent=timezone.now().isoformat())
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["status"] == "degraded"


@pytest.mark.django_db
def test_throttle_counts_locally_while_the_cache_is_down(api_as, dead_cache, settings):
    settings.API_RATE_USER = "2/minute"
    api = api_as(admin_user())
    codes = [api.get("/api/v1/roadmaps/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.worker
@pytest.mark.django_db
def test_report_requested_while_the_broker_is_down_is_kept_in_the_outbox(api_as, dead_broker):

    load_demo()
    roadmap = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    api = api_as(user_with_role("region_staff", region=roadmap.region))
    response = api.post("/api/v1/reports/", {"roadmap": roadmap.pk, "year": 2017}, format="json")
    assert response.status_code == 202
    report = Report.objects.get(pk=response.json()["id"])
    assert report.status == "pending"
    row = OutboxMessage.objects.get(task="roadmap_portal.insights.tasks.build_report")
    assert row.kwargs == {"report_id": report.pk}
    assert row.dispatched_at is None
    assert row.done_at is None


@pytest.mark.django_db
def test_a_request_for_a_job_whose_lease_ran_out_gets_it_back_live(
    api_as, django_capture_on_commit_callbacks
):
    """A job left pending with an expired lease (its message was lost) is queued again and
    answered live; eager Celery builds it at once."""

    load_demo()
    roadmap = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    api = api_as(user_with_role("region_staff", region=roadmap.region))
    report = Report.objects.create(
        scope="roadmap",
        roadmap=roadmap,
        subject_key=f"roadmap:{roadmap.pk}",
        year=2017,
        language="en",
        lease_until=timezone.now() - datetime.timedelta(seconds=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/reports/",
            {"roadmap": roadmap.pk, "year": 2017, "language": "en"},
            format="json",
        )
    assert response.status_code == 202
    assert response.json()["id"] == report.pk
    report.refresh_from_db()
    assert report.status == "done"
    assert report.attempts == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_beat_and_worker_stamp_their_heartbeats(client, monkeypatch, tmp_path):
    """Beat (embedded in a real worker) sends the heartbeat with its time; the worker runs
    it: readiness reads both as fresh."""
    from roadmap_portal.outbox.services import DEFAULT, queue_name
    from tests.conftest import Worker, wait_for

    monkeypatch.setenv("JOBS_SWEEP_SECONDS", "1")
    worker = Worker(queue_name(DEFAULT)).start("-B", "-s", str(tmp_path / "beat-schedule"))
    try:
        stamped = wait_for(
            lambda: Heartbeat.objects.filter(name__in=["worker", "beat"]).count() == 2,
            timeout=90,
        )
    finally:
        worker.stop()
    assert stamped is True, worker.output()
    checks = client.get("/healthz/ready").json()["checks"]
    assert checks["worker"]["status"] == "ok"
    assert checks["beat"]["status"] == "ok"
    beat, ran = (Heartbeat.objects.get(name=name).at for name in ("beat", "worker"))
    assert beat <= ran


@pytest.mark.worker
@pytest.mark.django_db
def test_once_the_broker_failed_the_next_hand_offs_leave_their_rows_to_the_sweep(
    dead_broker, django_capture_on_commit_callbacks, monkeypatch
):
    """A frozen broker costs one hand-off its timeout; for REDIS_RETRY_AFTER seconds the
    hand-offs after the next commits do not wait on it, and the sweep relays every row once
    the broker answers again."""
    from roadmap_portal.outbox import services as outbox

    monkeypatch.setattr(outbox, "_broker_away_until", 0.0)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.publish(
            "roadmap_portal.tasks.ping_database", key="first", kwargs={"region_code": "RU-TOM"}
        )
    first = OutboxMessage.objects.get(key="first")
    assert first.dispatched_at is None
    assert first.last_error != ""
    with django_capture_on_commit_callbacks(execute=True):
        outbox.publish(
            "roadmap_portal.tasks.ping_database", key="second", kwargs={"region_code": "RU-TOM"}
        )
    second = OutboxMessage.objects.get(key="second")
    assert (second.dispatched_at, second.last_error) == (None, "")

    celery_app.conf.broker_write_url = None  # the broker answers again
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    assert outbox.relay() == 2
    assert OutboxMessage.objects.filter(dispatched_at__isnull=True).count() == 0
