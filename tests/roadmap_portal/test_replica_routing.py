"""Read-replica routing: with DATABASE_REPLICA_URL set, the dashboard, the volume series and
the feeds read from the ``replica`` alias; writes, transactions and every read after a write
(of the request, or of the person within REPLICA_STICKY_SECONDS) stay on the primary.

The replica alias is a second connection to the test database (``TEST: {"MIRROR":
"default"}``, as the settings configure it), so each connection's captured queries show which
alias served what. The tests commit (``transaction=True``): a second connection sees only
committed rows, and reads inside a transaction stay on the primary by design."""

import runpy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from roadmap_portal.api.authentication import generate_key
from roadmap_portal.db_routers import unit_of_work, use_replica
from roadmap_portal.models import ApiKey, Region
from tests.factories import (
    CorporationFactory,
    RegionFactory,
    RoadmapFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def plain_statements(settings):
    """These tests tell the databases apart by the tables named in the SQL each was sent: a
    statement prepared earlier would arrive as ``EXECUTE p_...``."""
    settings.DATABASE_PREPARED_STATEMENTS = False


SETTINGS = Path(__file__).resolve().parents[2] / "roadmap_portal" / "settings.py"


def _url(alias: str = "default") -> str:
    s = connections[alias].settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup) -> Iterator[dict]:
    """The settings the portal makes of DATABASE_REPLICA_URL pointed at the test database:
    the ``replica`` alias is added before the tests' database set-up, which allows it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", _url())
        patch.setenv("DATABASE_REPLICA_URL", _url())
        configured = runpy.run_path(str(SETTINGS))
        alias = configured["DATABASES"]["replica"]
        assert alias["TEST"] == {"MIRROR": "default"}
        assert alias["NAME"] == connections["default"].settings_dict["NAME"]
        full = connections.configure_settings(
            {"default": dict(connections["default"].settings_dict), "replica": dict(alias)}
        )["replica"]
        patch.setitem(django_settings.DATABASES, "replica", full)
        patch.setitem(connections.settings, "replica", full)
        yield configured
        connections["replica"].close()
        del connections["replica"]


@pytest.fixture
def replica(replica_alias, settings) -> None:
    """The router and the middleware, as the settings install them with the variable."""
    settings.DATABASE_ROUTERS = replica_alias["DATABASE_ROUTERS"]
    settings.MIDDLEWARE = replica_alias["MIDDLEWARE"]
    settings.API_RATE_KEY = settings.API_RATE_USER = ""


@contextmanager
def captured() -> Iterator[tuple[CaptureQueriesContext, CaptureQueriesContext]]:
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        yield primary, replica


def reading(queries: CaptureQueriesContext, table: str) -> int:
    return sum(f'"{table}"' in q["sql"] for q in queries.captured_queries)


@pytest.fixture
def world() -> dict:
    region = RegionFactory(code="RU-TOM", name="Tomsk Oblast")
    group = CorporationFactory(short_name="Inter RAO")
    return {
        "region": region,
        "roadmap": RoadmapFactory(region=region, corporation=group, start_year=2018, end_year=2022),
        "staff": user_with_role("region_staff", region=region, username="tomsk.staff"),
        "other_staff": user_with_role("region_staff", region=region, username="tomsk.other"),
    }


def test_without_the_variable_there_is_no_replica_and_no_router(monkeypatch):
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    configured = runpy.run_path(str(SETTINGS))
    assert list(configured["DATABASES"]) == ["default"]
    assert "DATABASE_ROUTERS" not in configured
    assert "roadmap_portal.db_routers.ReplicaRoutingMiddleware" not in configured["MIDDLEWARE"]


def test_the_dashboard_reads_its_figures_from_the_replica(replica, world, client):
    client.force_login(world["staff"])
    with captured() as (primary, replica_queries):
        response = client.get("/dashboard/")
    assert response.status_code == 200
    assert reading(replica_queries, "procurement_contract") > 0
    assert reading(replica_queries, "suppliers_offer") > 0
    assert reading(primary, "procurement_contract") == 0
    assert reading(primary, "suppliers_offer") == 0
    # Signing in is read on the primary.
    assert reading(primary, "django_session") == 1
    assert reading(replica_queries, "django_session") == 0


def test_a_partner_feed_reads_from_the_replica_and_its_key_on_the_primary(replica, world):
    key, prefix, hashed = generate_key()
    ApiKey.objects.create(
        name="feed",
        organisation="Partner",
        user=user_with_role("partner", username="partner"),
        prefix=prefix,
        hashed_key=hashed,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    for url in ("/api/v1/register/", "/api/v1/tenders/?mode=cursor", "/api/v1/ocds/releases/"):
        with captured() as (primary, replica_queries):
            response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        # The key is looked up and its last use stamped on the primary (no stale key works),
        # and that bookkeeping write does not keep the feed off the replica.
        assert reading(primary, "roadmap_portal_apikey") == 2, url
        assert reading(replica_queries, "roadmap_portal_apikey") == 0, url
        feed_tables = ("certification_registerentry", "procurement_tender")
        assert sum(reading(replica_queries, t) for t in feed_tables) > 0, url
        assert sum(reading(primary, t) for t in feed_tables) == 0, url


def test_a_write_keeps_the_rest_of_the_request_on_the_primary(replica, world):
    with unit_of_work(), use_replica():
        with captured() as (primary, replica_queries):
            assert Region.objects.filter(code="RU-TOM").count() == 1
        assert (len(primary), len(replica_queries)) == (0, 1)
        with captured() as (primary, replica_queries):
            Region.objects.create(code="RU-NEW", name="New Region")
            assert Region.objects.filter(code="RU-NEW").count() == 1
        assert (len(primary), len(replica_queries)) == (2, 0)
    # A new request starts on the replica again; a transaction never leaves the primary.
    with unit_of_work(), use_replica():
        with captured() as (primary, replica_queries):
            assert Region.objects.count() == 2
            with transaction.atomic():
                assert Region.objects.count() == 2
        assert reading(replica_queries, "roadmap_portal_region") == 1
        assert reading(primary, "roadmap_portal_region") == 1


def test_after_writing_a_person_reads_their_write_from_the_primary(replica, world, api_as):
    staff = APIClient()
    staff.force_authenticate(world["staff"])
    other = APIClient()
    other.force_authenticate(world["other_staff"])
    url = f"/api/v1/roadmaps/{world['roadmap'].pk}/"
    with captured() as (primary, replica_queries):
        wrote = staff.post(
            f"{url}reported-volumes/",
            {"year": 2019, "amount": "150000000.00", "source": "Regional ministry"},
            format="json",
        )
    assert wrote.status_code == 201, wrote.content
    assert reading(primary, "roadmap_portal_reportedvolume") >= 1
    assert len(replica_queries) == 0

    # The writer's next read (another request) is served by the primary and shows the write.
    with captured() as (primary, replica_queries):
        series = staff.get(f"{url}volume/")
    assert series.status_code == 200
    assert "150000000.00" in series.content.decode()
    # Read once: a GET that asks nothing conditional takes its ETag from the rows it read.
    assert reading(primary, "roadmap_portal_reportedvolume") == 1
    assert len(replica_queries) == 0

    # Someone else reads the same series from the replica.
    with captured() as (primary, replica_queries):
        seen = other.get(f"{url}volume/")
    assert seen.json() == series.json()
    assert reading(replica_queries, "roadmap_portal_reportedvolume") == 1
    assert reading(primary, "roadmap_portal_reportedvolume") == 0


def test_an_unreachable_replica_leaves_the_reads_on_the_primary(
    replica, world, client, monkeypatch, caplog
):
    import socket

    from roadmap_portal import db_routers

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    connections["replica"].close()
    monkeypatch.setitem(connections["replica"].settings_dict, "PORT", str(closed_port))
    monkeypatch.setattr(db_routers, "_replica_down_until", 0.0)
    client.force_login(world["staff"])
    with CaptureQueriesContext(connections["default"]) as primary:
        first = client.get("/dashboard/")
        second = client.get("/dashboard/")
    assert (first.status_code, second.status_code) == (200, 200)
    assert reading(primary, "procurement_contract") > 0
    assert connections["replica"].connection is None
    # One try only: the second page did not try the replica again.
    tries = [r for r in caplog.records if r.getMessage().endswith("the replica is unreachable")]
    assert len(tries) == 1
    connections["replica"].close()
