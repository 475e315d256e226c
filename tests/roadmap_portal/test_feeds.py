"""The large feeds (offers, register, tenders, contracts): keyset cursor pages over
(``updated``, ``id``), ``?since=``, and a stable ``?ordering=``."""

import base64
import datetime
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certification.models import RegisterEntry
from procurement.models import Contract, Tender
from suppliers.models import Offer
from tests.factories import (
    ContractFactory,
    OfferFactory,
    TenderFactory,
    admin_user,
    user_with_role,
)
from tests.helpers import assert_constant_queries
from tests.procurement.conftest import register

pytestmark = pytest.mark.django_db
MOSCOW = datetime.timezone(datetime.timedelta(hours=3))


def _offers(n):
    return [OfferFactory(status="submitted").pk for _ in range(n)]


def _register(n):
    return [register(OfferFactory()).pk for _ in range(n)]


def _tenders(n):
    return [TenderFactory().pk for _ in range(n)]


def _contracts(n):
    return [ContractFactory().pk for _ in range(n)]


FEEDS = {
    "offers": ("/api/v1/offers/", Offer, _offers),
    "register": ("/api/v1/register/", RegisterEntry, _register),
    "tenders": ("/api/v1/tenders/", Tender, _tenders),
    "contracts": ("/api/v1/contracts/", Contract, _contracts),
}


@pytest.fixture(params=sorted(FEEDS))
def feed(request):
    return FEEDS[request.param]


@pytest.fixture
def admin_api(api):
    api.force_authenticate(admin_user())
    return api


def stamp(model, pk, moment):
    model.objects.filter(pk=pk).update(updated=moment)


def walk(client, url):
    """Every page from ``url`` on, following ``next``: (ids per page, last body)."""
    pages, body = [], None
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert "count" not in body
        pages.append([row["id"] for row in body["results"]])
        url = body["next"]
    return pages, body


def test_cursor_pages_follow_updated_then_id(admin_api, feed):
    url, model, make = feed
    ids = make(5)
    base = timezone.now() - datetime.timedelta(days=3)
    # Two rows share a moment: the id breaks the tie.
    moments = {ids[0]: 4, ids[1]: 1, ids[2]: 1, ids[3]: 3, ids[4]: 0}
    for pk, hours in moments.items():
        stamp(model, pk, base + datetime.timedelta(hours=hours))
    expected = sorted(ids, key=lambda pk: (moments[pk], pk))

    pages, last = walk(admin_api, f"{url}?mode=cursor&page_size=2")

    assert pages == [expected[0:2], expected[2:4], expected[4:5]]
    assert [row["updated"] for row in last["results"]] == [
        (base + datetime.timedelta(hours=4)).astimezone(MOSCOW).isoformat()
    ]
    assert last["next"] is None
    back = admin_api.get(last["previous"]).json()
    assert [row["id"] for row in back["results"]] == expected[2:4]
    first = admin_api.get(back["previous"]).json()
    assert [row["id"] for row in first["results"]] == expected[0:2]
    assert first["previous"] is None
    assert [row["id"] for row in admin_api.get(first["next"]).json()["results"]] == expected[2:4]


def test_a_row_changed_while_paging_comes_again_at_the_end_and_none_is_skipped(admin_api, feed):
    url, model, make = feed
    ids = make(4)
    base = timezone.now() - datetime.timedelta(days=1)
    for n, pk in enumerate(ids):
        stamp(model, pk, base + datetime.timedelta(minutes=n))

    first = admin_api.get(f"{url}?mode=cursor&page_size=2").json()
    assert [row["id"] for row in first["results"]] == ids[:2]
    stamp(model, ids[0], timezone.now())  # seen, then changed: it comes again
    added = make(1)  # new: it comes at the end
    pages, _ = walk(admin_api, first["next"])

    assert sum(pages, []) == [ids[2], ids[3], ids[0], added[0]]


def test_since_keeps_rows_changed_at_or_after_the_moment(admin_api, feed):
    url, model, make = feed
    old, new, newest = make(3)
    stamp(model, old, datetime.datetime(2026, 3, 1, 23, 59, tzinfo=MOSCOW))
    stamp(model, new, datetime.datetime(2026, 3, 2, 0, 0, tzinfo=MOSCOW))
    stamp(model, newest, datetime.datetime(2026, 3, 2, 12, 0, tzinfo=MOSCOW))

    def ids(query):
        response = admin_api.get(f"{url}?{query}")
        assert response.status_code == 200, response.content[:300]
        return sorted(row["id"] for row in response.json()["results"])

    assert ids("since=2026-03-02") == [new, newest]
    assert ids("since=2026-03-02T09:00:00%2B00:00") == [newest]  # 12:00 in Moscow
    assert ids("since=2026-03-02T09:00:00+00:00") == [newest]  # "+" unencoded: a space
    assert ids("since=2026-03-02&mode=cursor") == [new, newest]

    for bad in ("yesterday", "2026-02-30", "1700-01-01"):
        response = admin_api.get(f"{url}?since={bad}")
        assert response.status_code == 400, bad
        assert "since" in response.json(), response.json()


def test_a_malformed_cursor_is_400_and_says_so(admin_api, feed):
    url, _, make = feed
    make(1)
    wrong_shape = base64.urlsafe_b64encode(json.dumps({"p": [1]}).encode()).decode()
    not_a_moment = base64.urlsafe_b64encode(json.dumps({"p": ["soon", 1]}).encode()).decode()
    past_bigint = base64.urlsafe_b64encode(
        json.dumps({"p": ["2026-03-01T00:00:00+03:00", 10**30]}).encode()
    ).decode()
    for cursor in ("garbage", "Zm9v", wrong_shape, not_a_moment, past_bigint):
        response = admin_api.get(f"{url}?cursor={cursor}")
        assert response.status_code == 400, cursor
        assert "cursor" in response.json()


def test_a_deep_cursor_page_reads_from_its_position_not_an_offset(admin_api, feed, settings):
    # The SQL's own text (a statement prepared earlier would arrive as ``EXECUTE p_...``).
    settings.DATABASE_PREPARED_STATEMENTS = False
    url, _, make = feed
    make(7)
    first = admin_api.get(f"{url}?mode=cursor&page_size=3").json()
    deeper = admin_api.get(first["next"]).json()
    with CaptureQueriesContext(connection) as ctx:
        response = admin_api.get(deeper["next"])
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    sql = " ".join(q["sql"] for q in ctx.captured_queries).upper()
    assert "OFFSET" not in sql and "COUNT(" not in sql
    # One row comparison on the keys, which the (updated, id) index serves as a range.
    assert re.search(r'\("[A-Z_]+"\."UPDATED", "[A-Z_]+"\."ID"\) > \(', sql), sql


def test_rows_sharing_one_updated_time_page_by_id_both_ways(admin_api, feed):
    """A bulk import stamps all its rows with one time: pages go through them by id."""
    url, model, make = feed
    ids = sorted(make(7))
    model.objects.filter(pk__in=ids).update(updated=timezone.now() - datetime.timedelta(days=1))
    pages, last = walk(admin_api, f"{url}?mode=cursor&page_size=3")
    assert pages == [ids[0:3], ids[3:6], ids[6:7]]
    back = admin_api.get(last["previous"]).json()
    assert [row["id"] for row in back["results"]] == ids[3:6]
    assert [row["id"] for row in admin_api.get(back["previous"]).json()["results"]] == ids[0:3]


def test_cursor_pages_cost_the_same_for_1_and_50_rows(admin_api, feed):
    url, _, make = feed
    assert_constant_queries(make, lambda: admin_api.get(f"{url}?mode=cursor&page_size=100"))


def test_a_cursor_keeps_the_filters_and_scope(api):
    url = FEEDS["offers"][0]
    mine = OfferFactory(status="submitted")
    others = _offers(3)
    OfferFactory(supplier=mine.supplier, roadmap=mine.roadmap, status="submitted")
    member = user_with_role("supplier", supplier=mine.supplier)
    api.force_authenticate(member)
    pages, _ = walk(api, f"{url}?mode=cursor&page_size=1&status=submitted")
    seen = sum(pages, [])
    assert len(seen) == 2 and not set(seen) & set(others)
    next_link = api.get(f"{url}?mode=cursor&page_size=1&status=submitted").json()["next"]
    assert parse_qs(urlparse(next_link).query)["status"] == ["submitted"]


def test_ordering_is_stable_when_values_tie(admin_api):
    ids = [TenderFactory(deadline=datetime.date(2030, 1, 1)).pk for _ in range(4)]
    ascending = admin_api.get("/api/v1/tenders/?ordering=deadline&page_size=2").json()
    following = admin_api.get(ascending["next"]).json()
    assert [r["id"] for r in ascending["results"] + following["results"]] == sorted(ids)
    descending = admin_api.get("/api/v1/tenders/?ordering=-deadline").json()
    assert [r["id"] for r in descending["results"]] == sorted(ids, reverse=True)
