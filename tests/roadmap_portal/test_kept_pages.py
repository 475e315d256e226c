"""Cursor pages read by the statement kept for their request's shape
(``roadmap_portal.api.rows.ValuesCursorFeedMixin``, ``pagination.ValuesStatement``): the
same answers as pages built from their querysets, the rows of the moment, each caller's
own scope, and no statement kept where the next request could need another."""

import datetime
from unittest import mock
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from certification.api.views import RegisterEntryViewSet
from certification.models import RegisterEntry
from procurement.api.views import TenderViewSet
from roadmap_portal.api.pagination import ValuesStatement
from roadmap_portal.api.rows import kept_statements as pages
from suppliers.api.views import OfferViewSet
from suppliers.models import Offer
from tests.factories import OfferFactory, RegionFactory, SupplierFactory, admin_user, user_with_role
from tests.roadmap_portal.test_feeds import FEEDS, walk

pytestmark = pytest.mark.django_db

VIEWS = {"offers": OfferViewSet, "register": RegisterEntryViewSet, "tenders": TenderViewSet}


@pytest.fixture(params=sorted(VIEWS))
def feed(request):
    url, model, make = FEEDS[request.param]
    return url, model, make, VIEWS[request.param]


@pytest.fixture
def admin_api(api):
    api.force_authenticate(admin_user())
    return api


@pytest.fixture(autouse=True)
def no_kept_pages():
    pages.clear()
    yield
    pages.clear()


def _bodies(client, url):
    """Every page from ``url`` on, following ``next``, then back by ``previous``."""
    bodies = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        bodies.append(response.json())
        url = bodies[-1]["next"]
    url = bodies[-1]["previous"]
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        bodies.append(response.json())
        url = bodies[-1]["previous"]
    return bodies


def test_a_kept_statement_answers_as_the_built_queryset(admin_api, feed):
    url, model, make, view = feed
    ids = make(7)
    base = timezone.now() - datetime.timedelta(days=2)
    for n, pk in enumerate(ids):
        # Two rows share a moment: the id breaks the tie in both directions.
        model.objects.filter(pk=pk).update(updated=base + datetime.timedelta(minutes=n // 2))
    start = f"{url}?mode=cursor&page_size=2"

    built = _bodies(admin_api, start)
    # The first page, a page after a position forwards and one backwards: three shapes.
    kept = {type(statement) for statement in pages.kept.values()}
    assert kept == {ValuesStatement} and len(pages.kept) == 3

    # The same walk again: every page from a kept statement, no queryset built.
    with mock.patch.object(view, "get_queryset", side_effect=AssertionError("built")):
        again = _bodies(admin_api, start)
    assert again == built
    assert [row["id"] for body in built[:4] for row in body["results"]] == sorted(
        ids, key=lambda pk: (ids.index(pk) // 2, pk)
    )


def test_a_kept_statement_reads_the_rows_of_the_moment(admin_api, feed):
    url, model, make, _view = feed
    ids = make(3)
    base = timezone.now() - datetime.timedelta(days=1)
    for n, pk in enumerate(ids):
        model.objects.filter(pk=pk).update(updated=base + datetime.timedelta(minutes=n))
    first = admin_api.get(f"{url}?mode=cursor&page_size=2").json()
    after = admin_api.get(first["next"]).json()
    assert [row["id"] for row in after["results"]] == ids[2:]

    # Kept now; an edited row moves to the end, a new one comes after it, one removed goes
    # (the register is append-only: an entry leaves it by exclusion, which edits it).
    model.objects.filter(pk=ids[0]).update(updated=timezone.now())
    added = make(1)[0]
    if model is RegisterEntry:
        model.objects.filter(pk=ids[2]).update(updated=base - datetime.timedelta(days=1))
        expected = [ids[2], ids[1], ids[0], added]
    else:
        model.objects.filter(pk=ids[2]).delete()
        expected = [ids[1], ids[0], added]
    pages_seen, last = walk(admin_api, f"{url}?mode=cursor&page_size=2")
    assert sum(pages_seen, []) == expected and last["next"] is None
    assert len(pages_seen) == 2


def test_each_scope_reads_its_own_rows_from_its_own_statement(api):
    url = FEEDS["offers"][0]
    north, south = RegionFactory(), RegionFactory()
    north_offers = {
        OfferFactory(status="submitted", supplier=SupplierFactory(region=north)).pk
        for _ in range(3)
    }
    south_offers = {
        OfferFactory(status="submitted", supplier=SupplierFactory(region=south)).pk
        for _ in range(4)
    }
    seen = {}
    for region in (north, south, north):
        api.force_authenticate(user_with_role("region_staff", region=region))
        pages_seen, _last = walk(api, f"{url}?mode=cursor&page_size=2")
        seen.setdefault(region.pk, []).append(set(sum(pages_seen, [])))
    assert seen[north.pk] == [north_offers, north_offers]
    assert seen[south.pk] == [south_offers]
    # Three callers, two of one scope: a statement per caller and shape.
    assert len(pages.kept) == 6


def test_a_moment_in_the_statement_or_a_filter_by_a_choice_of_rows_is_not_kept(admin_api):
    OfferFactory(status="submitted")
    entry_url = FEEDS["register"][0]
    FEEDS["register"][2](1)
    since = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()
    assert admin_api.get(f"/api/v1/offers/?mode=cursor&since={since}").status_code == 200
    corporation = admin_api.get(f"{entry_url}?mode=cursor").json()["results"][0]["corporation"]
    response = admin_api.get(f"{entry_url}?mode=cursor&corporation={corporation}")
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    kept = list(pages.kept)
    # Only the register's page without filters: the moment and the choice are read each time.
    assert len(kept) == 1 and kept[0][2] == (("mode", ("cursor",)),)


def test_a_bad_cursor_or_filter_is_400_whether_or_not_the_shape_is_kept(admin_api, feed):
    url, _model, make, _view = feed
    make(3)
    first = admin_api.get(f"{url}?mode=cursor&page_size=1").json()
    assert admin_api.get(first["next"]).status_code == 200  # the shape is kept
    assert len(pages.kept) == 2
    response = admin_api.get(f"{url}?cursor=garbage&page_size=1")
    assert response.status_code == 400 and "cursor" in response.json()
    response = admin_api.get(f"{url}?mode=cursor&page_size=1&since=soon")
    assert response.status_code == 400 and "since" in response.json()
    assert len(pages.kept) == 2


def test_a_kept_page_without_prepared_statements(admin_api, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    ids = sorted(OfferFactory(status="submitted").pk for _ in range(3))
    Offer.objects.filter(pk__in=ids).update(updated=timezone.now() - datetime.timedelta(hours=1))
    for _round in range(2):
        pages_seen, _ = walk(admin_api, "/api/v1/offers/?mode=cursor&page_size=2")
        assert pages_seen == [ids[:2], ids[2:]]


def test_a_row_read_by_its_kept_statement_stays_in_the_callers_scope(api):
    north, south = RegionFactory(), RegionFactory()
    mine = [OfferFactory(status="submitted", supplier=SupplierFactory(region=north)) for _ in "ab"]
    theirs = OfferFactory(status="submitted", supplier=SupplierFactory(region=south))
    staff = user_with_role("region_staff", region=north)
    api.force_authenticate(staff)
    first = api.get(f"/api/v1/offers/{mine[0].pk}/")
    assert first.status_code == 200 and first.json()["id"] == mine[0].pk
    assert len(pages.kept) == 1  # one statement for every offer this caller asks for
    with mock.patch.object(OfferViewSet, "get_queryset", side_effect=AssertionError("built")):
        assert api.get(f"/api/v1/offers/{mine[1].pk}/").json()["id"] == mine[1].pk
        assert api.get(f"/api/v1/offers/{theirs.pk}/").status_code == 404
        assert api.get(f"/api/v1/offers/{theirs.pk + 1000}/").status_code == 404
    api.force_authenticate(user_with_role("region_staff", region=south))
    assert api.get(f"/api/v1/offers/{theirs.pk}/").json()["id"] == theirs.pk
    assert api.get(f"/api/v1/offers/{mine[0].pk}/").status_code == 404
    assert len(pages.kept) == 2
    # The row as it is now, and its ETag with it.
    Offer.objects.filter(pk=theirs.pk).update(name="Renamed")
    again = api.get(f"/api/v1/offers/{theirs.pk}/")
    assert again.json()["name"] == "Renamed"
    assert (
        api.get(f"/api/v1/offers/{theirs.pk}/", HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304
    )


def test_the_links_are_drfs_with_the_cursor(admin_api):
    from rest_framework.utils.urls import remove_query_param, replace_query_param

    for _ in range(3):
        OfferFactory(status="submitted")
    url = "/api/v1/offers/?status=submitted&page=2&mode=cursor&page_size=1&search="
    body = admin_api.get(url).json()
    cursor = parse_qs(urlparse(body["next"]).query)["cursor"][0]
    expected = "http://testserver" + url
    for name in ("mode", "page"):
        expected = remove_query_param(expected, name)
    assert body["next"] == replace_query_param(expected, "cursor", cursor)
    back = admin_api.get(body["next"]).json()
    assert parse_qs(urlparse(back["previous"]).query, keep_blank_values=True) == {
        "cursor": [parse_qs(urlparse(back["previous"]).query)["cursor"][0]],
        "page_size": ["1"],
        "search": [""],
        "status": ["submitted"],
    }
