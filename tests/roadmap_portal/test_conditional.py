"""The fixed cost of a request: conditional GETs (ETag, Last-Modified, 304 from one query,
Cache-Control per resource), cursor pages written from ``.values()`` rows exactly as the
serializers write them, and the orjson renderer's output."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certification.api.serializers import RegisterEntrySerializer
from certification.models import RegisterEntry
from procurement.api.serializers import TenderSerializer
from procurement.models import Tender
from roadmap_portal.api.conditional import (
    ConditionalListMixin,
    Stamp,
    stamps_statement,
    statements,
)
from roadmap_portal.api.renderers import FastJSONRenderer
from roadmap_portal.api.statements import Statements
from roadmap_portal.models import ReportedVolume
from suppliers.api.serializers import OfferSerializer
from suppliers.models import Offer, OfferAttachment
from tests.factories import (
    CertificateFactory,
    CertificationBodyFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    TenderFactory,
    admin_user,
    user_with_role,
)
from tests.procurement.conftest import register

pytestmark = pytest.mark.django_db


def _get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, len(queries.captured_queries)


@pytest.fixture
def admin_api(api):
    api.force_authenticate(admin_user())
    return api


def _register_rows():
    offers = [OfferFactory() for _ in range(3)]
    entries = [register(offer) for offer in offers]
    register(OfferFactory(), certificate=CertificateFactory())
    entries[1].excluded_on = timezone.localdate()
    entries[1].exclusion_reason = "Withdrawn."
    entries[1].save()
    return entries


def _tender():
    return TenderFactory()


def _volume_url():
    roadmap = RoadmapFactory()
    return f"/api/v1/roadmaps/{roadmap.pk}/volume/", roadmap


def _offer_with_file():
    offer = OfferFactory()
    OfferAttachment.objects.create(
        offer=offer, file=ContentFile(b"%PDF-1.4", name="f.pdf"), original_name="f.pdf", size=8
    )
    OfferFactory()
    return offer


RESOURCES = {
    # name: (make rows and return the URL, Cache-Control)
    "register": (lambda: (_register_rows(), "/api/v1/register/")[1], "public, max-age=60"),
    "register cursor": (
        lambda: (_register_rows(), "/api/v1/register/?mode=cursor")[1],
        "public, max-age=60",
    ),
    "one register entry": (
        lambda: f"/api/v1/register/{_register_rows()[0].pk}/",
        "public, max-age=60",
    ),
    "offers": (lambda: (OfferFactory(), "/api/v1/offers/")[1], "private, no-cache"),
    "offers cursor": (
        lambda: (OfferFactory(), "/api/v1/offers/?mode=cursor")[1],
        "private, no-cache",
    ),
    "one offer": (lambda: f"/api/v1/offers/{OfferFactory().pk}/", "private, no-cache"),
    # The ETag of a plain GET comes from the rows it read; the 304's from the stamps query.
    "one offer with a file": (
        lambda: f"/api/v1/offers/{_offer_with_file().pk}/",
        "private, no-cache",
    ),
    "offers cursor with a file": (
        lambda: (_offer_with_file(), "/api/v1/offers/?mode=cursor&page_size=1")[1],
        "private, no-cache",
    ),
    "tenders cursor": (
        lambda: (_tender(), _tender(), "/api/v1/tenders/?mode=cursor&page_size=1")[2],
        "public, max-age=60",
    ),
    "tenders": (lambda: (_tender(), "/api/v1/tenders/")[1], "public, max-age=60"),
    "one tender": (lambda: f"/api/v1/tenders/{_tender().pk}/", "public, max-age=60"),
    "ocds": (lambda: (_tender(), "/api/v1/ocds/releases/")[1], "public, max-age=60"),
    "volume": (lambda: _volume_url()[0], "private, no-cache"),
}


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_a_second_request_with_the_etag_is_304_from_one_query(admin_api, name):
    make, cache_control = RESOURCES[name]
    url = make()
    first, _ = _get(admin_api, url)
    assert first.status_code == 200, first.content[:300]
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) == 34
    assert first["Cache-Control"] == cache_control
    assert first["Vary"].split(", ")[-4:] == [
        "Accept",
        "Accept-Language",
        "Authorization",
        "Cookie",
    ]
    assert first["Last-Modified"]

    again, queries = _get(admin_api, url, if_none_match=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == cache_control
    assert queries == 1

    since, queries = _get(admin_api, url, if_modified_since=first["Last-Modified"])
    assert since.status_code == 304
    assert queries == 1

    other, _ = _get(admin_api, url, if_none_match='"somethingelse"')
    assert other.status_code == 200
    assert other.content == first.content


def test_a_new_register_entry_changes_the_etag(admin_api):
    _register_rows()
    first, _ = _get(admin_api, "/api/v1/register/")
    register(OfferFactory())
    second, _ = _get(admin_api, "/api/v1/register/", if_none_match=first["ETag"])
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert second.json()["count"] == first.json()["count"] + 1


def _tenders(count):
    return [TenderFactory() for _ in range(count)]


def _edit(tender, title):
    Tender.objects.filter(pk=tender.pk).update(
        title=title, updated=timezone.now() + datetime.timedelta(seconds=2)
    )


def test_a_page_number_page_changes_its_etag_with_its_own_rows_and_the_count(admin_api):
    tenders = sorted(_tenders(5), key=lambda t: t.pk)
    first_page = "/api/v1/tenders/?ordering=id&page_size=2"
    second_page = f"{first_page}&page=2"
    page1, _ = _get(admin_api, first_page)
    page2, _ = _get(admin_api, second_page)
    assert [t["id"] for t in page1.json()["results"]] == [t.pk for t in tenders[:2]]
    assert page1["ETag"] != page2["ETag"]
    # A row of page 2 edited: page 1 is the same bytes, and still 304 (from one query).
    _edit(tenders[3], "Changed on page 2")
    again, queries = _get(admin_api, first_page, if_none_match=page1["ETag"])
    assert again.status_code == 304 and queries == 1
    changed, _ = _get(admin_api, second_page, if_none_match=page2["ETag"])
    assert changed.status_code == 200
    assert changed.json()["results"][1]["title"] == "Changed on page 2"
    # A row of page 1 edited, then a row added at the end (the count and the links move).
    _edit(tenders[0], "Changed on page 1")
    edited, _ = _get(admin_api, first_page, if_none_match=page1["ETag"])
    assert edited.status_code == 200
    assert edited.json()["results"][0]["title"] == "Changed on page 1"
    TenderFactory()
    longer, _ = _get(admin_api, first_page, if_none_match=edited["ETag"])
    assert longer.status_code == 200 and longer.json()["count"] == 6


def test_pages_past_the_end_and_the_last_page_keep_their_answers(admin_api):
    _tenders(3)
    url = "/api/v1/tenders/?ordering=id&page_size=2"
    assert _get(admin_api, f"{url}&page=3")[0].status_code == 404
    assert _get(admin_api, f"{url}&page=0")[0].status_code == 404
    assert _get(admin_api, f"{url}&page=two")[0].status_code == 404
    # Past what an OFFSET can hold: the same 404, not a database error.
    assert _get(admin_api, f"{url}&page=99999999999999999999")[0].status_code == 404
    assert _get(admin_api, f"{url}&page={2**62}")[0].status_code == 404
    last, _ = _get(admin_api, f"{url}&page=last")
    assert last.status_code == 200 and len(last.json()["results"]) == 1
    again, _ = _get(admin_api, f"{url}&page=last", if_none_match=last["ETag"])
    assert again.status_code == 304
    Tender.objects.all().delete()
    empty, _ = _get(admin_api, url)
    assert empty.status_code == 200 and empty.json()["count"] == 0 and empty["ETag"]


def test_an_excluded_entry_changes_the_register_etag(admin_api):
    entries = _register_rows()
    url = f"/api/v1/register/{entries[0].pk}/"
    first, _ = _get(admin_api, url)
    entries[0].excluded_on = timezone.localdate()
    entries[0].exclusion_reason = "Certificate revoked."
    entries[0].save()
    second, _ = _get(admin_api, url, if_none_match=first["ETag"])
    assert second.status_code == 200
    assert second.json()["active"] is False


def test_an_edited_tender_changes_the_etag(admin_api):
    tender = _tender()
    url = f"/api/v1/tenders/{tender.pk}/"
    first, _ = _get(admin_api, url)
    Tender.objects.filter(pk=tender.pk).update(
        title="Changed title", updated=timezone.now() + datetime.timedelta(seconds=2)
    )
    second, _ = _get(admin_api, url, if_none_match=first["ETag"])
    assert second.status_code == 200
    assert second.json()["title"] == "Changed title"
    third, _ = _get(admin_api, url, if_modified_since=first["Last-Modified"])
    assert third.status_code == 200


def test_an_attachment_changes_the_offers_etag(admin_api):
    offer = OfferFactory()
    url = f"/api/v1/offers/{offer.pk}/"
    first, _ = _get(admin_api, url)
    OfferAttachment.objects.create(
        offer=offer,
        file=ContentFile(b"%PDF-1.4", name="sheet.pdf"),
        original_name="sheet.pdf",
        size=8,
    )
    second, _ = _get(admin_api, url, if_none_match=first["ETag"])
    assert second.status_code == 200
    assert len(second.json()["attachments"]) == 1


def test_a_reported_volume_changes_the_series_etag(admin_api):
    url, roadmap = _volume_url()
    first, _ = _get(admin_api, url)
    ReportedVolume.objects.create(
        roadmap=roadmap, year=roadmap.start_year, amount=Decimal("5.00"), source="Report"
    )
    second, _ = _get(admin_api, url, if_none_match=first["ETag"])
    assert second.status_code == 200
    ReportedVolume.objects.filter(roadmap=roadmap).update(amount=Decimal("7.00"))
    third, _ = _get(admin_api, url, if_none_match=second["ETag"])
    assert third.status_code == 200
    assert third["ETag"] != second["ETag"]


def test_another_scope_gets_another_etag(api):
    mine, theirs = RegionFactory(), RegionFactory()
    OfferFactory(supplier__region=mine, roadmap__region=mine, status="submitted")
    OfferFactory(supplier__region=theirs, roadmap__region=theirs, status="submitted")
    api.force_authenticate(user_with_role("region_staff", region=mine))
    first, _ = _get(api, "/api/v1/offers/")
    api.force_authenticate(user_with_role("region_staff", region=theirs))
    second, _ = _get(api, "/api/v1/offers/", if_none_match=first["ETag"])
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert [r["id"] for r in second.json()["results"]] != [r["id"] for r in first.json()["results"]]


def test_a_scope_without_any_of_the_rows_gets_an_etag_and_its_304(api):
    """An officer's scope holds no tenders (an empty queryset, which compiles to no SQL)."""
    _tender()
    api.force_authenticate(user_with_role("officer", certification_body=CertificationBodyFactory()))
    first, _ = _get(api, "/api/v1/tenders/")
    assert first.status_code == 200
    assert first.json()["count"] == 0
    again, _ = _get(api, "/api/v1/tenders/", if_none_match=first["ETag"])
    assert again.status_code == 304


def test_a_304_needs_the_caller_to_be_allowed(api, admin_api):
    OfferFactory()
    first, _ = _get(admin_api, "/api/v1/offers/")
    api.force_authenticate(None)
    anonymous, _ = _get(api, "/api/v1/offers/", if_none_match=first["ETag"])
    assert anonymous.status_code == 401


def test_a_bad_filter_is_400_not_304(admin_api):
    OfferFactory()
    first, _ = _get(admin_api, "/api/v1/offers/?mode=wrong")
    assert first.status_code == 400
    assert "ETag" not in first


def _as_json(data):
    return json.loads(FastJSONRenderer().render(data))


def test_register_cursor_rows_are_the_serializers_output(admin_api):
    _register_rows()
    body = admin_api.get("/api/v1/register/?mode=cursor").json()
    ids = [row["id"] for row in body["results"]]
    entries = RegisterEntry.objects.filter(pk__in=ids)
    expected = {
        row["id"]: row for row in _as_json(RegisterEntrySerializer(entries, many=True).data)
    }
    assert len(ids) == 4
    for row in body["results"]:
        assert list(row) == list(expected[row["id"]])  # the same keys, in the same order
        assert row == expected[row["id"]]
    assert {row["active"] for row in body["results"]} == {True, False}
    assert any(row["certificate_number"] for row in body["results"])


def test_offer_cursor_rows_are_the_serializers_output(admin_api, rf):
    offers = [OfferFactory(unit_price=Decimal("1500.5")) for _ in range(2)]
    OfferAttachment.objects.create(
        offer=offers[0], file=ContentFile(b"%PDF-1.4", name="a.pdf"), original_name="a.pdf", size=8
    )
    body = admin_api.get("/api/v1/offers/?mode=cursor").json()
    request = rf.get("/api/v1/offers/")
    expected = {
        row["id"]: row
        for row in _as_json(
            OfferSerializer(
                Offer.objects.filter(pk__in=[o.pk for o in offers]),
                many=True,
                context={"request": request},
            ).data
        )
    }
    assert len(body["results"]) == 2
    for row in body["results"]:
        assert list(row) == list(expected[row["id"]])
        assert row == expected[row["id"]]
    with_file = next(row for row in body["results"] if row["id"] == offers[0].pk)
    assert with_file["unit_price"] == "1500.50"
    assert with_file["attachments"][0]["url"].startswith("http://testserver/api/v1/offers/")


@pytest.mark.parametrize("query", ["", "?page=2&page_size=1", "?mode=cursor", "?status=open"])
def test_tender_pages_are_the_serializers_output(admin_api, query):
    tenders = [
        TenderFactory(categories=["27.11", "26.51.6"], estimated_value=Decimal("1200000.5")),
        TenderFactory(estimated_value=Decimal("7")),
    ]
    body = admin_api.get(f"/api/v1/tenders/{query}").json()
    expected = {
        row["id"]: row
        for row in _as_json(
            TenderSerializer(Tender.objects.filter(pk__in=[t.pk for t in tenders]), many=True).data
        )
    }
    assert len(body["results"]) == (1 if "page_size=1" in query else 2)
    for row in body["results"]:
        assert list(row) == list(expected[row["id"]])
        assert row == expected[row["id"]]
    if not query:
        assert body["results"][1]["categories"] == ["27.11", "26.51.6"]
        assert body["results"][1]["estimated_value"] == "1200000.50"


def test_numbered_pages_are_the_serializers_output_for_offers_and_the_register(admin_api, rf):
    offers = [OfferFactory(unit_price=Decimal("99.9")) for _ in range(3)]
    OfferAttachment.objects.create(
        offer=offers[1], file=ContentFile(b"%PDF-1.4", name="b.pdf"), original_name="b.pdf", size=8
    )
    _register_rows()
    request = rf.get("/api/v1/offers/")
    for url, serializer, model in (
        ("/api/v1/offers/?page_size=2&page=2", OfferSerializer, Offer),
        ("/api/v1/register/?page_size=3", RegisterEntrySerializer, RegisterEntry),
    ):
        rows = admin_api.get(url).json()["results"]
        written = serializer(
            model.objects.filter(pk__in=[r["id"] for r in rows]),
            many=True,
            context={"request": request},
        ).data
        expected = {row["id"]: row for row in _as_json(written)}
        assert rows and [list(r) for r in rows] == [list(expected[r["id"]]) for r in rows]
        assert rows == [expected[r["id"]] for r in rows]


def test_single_rows_are_the_serializers_output(admin_api, rf):
    offer = OfferFactory(unit_price=Decimal("10.5"))
    OfferAttachment.objects.create(
        offer=offer, file=ContentFile(b"%PDF-1.4", name="c.pdf"), original_name="c.pdf", size=8
    )
    entry = _register_rows()[0]
    tender = TenderFactory(categories=["27.11"])
    request = rf.get("/api/v1/")
    for url, written in (
        (f"/api/v1/offers/{offer.pk}/", OfferSerializer(offer, context={"request": request})),
        (f"/api/v1/register/{entry.pk}/", RegisterEntrySerializer(entry)),
        (f"/api/v1/tenders/{tender.pk}/", TenderSerializer(tender)),
    ):
        row = admin_api.get(url).json()
        expected = _as_json(written.data)
        assert list(row) == list(expected) and row == expected
    assert admin_api.get(f"/api/v1/offers/{offer.pk + 1000}/").status_code == 404


def test_child_rows_are_read_by_a_plain_select_only_when_every_column_is_plain():
    from roadmap_portal.api.rows import _plain_select
    from suppliers.models import OfferTransition

    sql = _plain_select(OfferAttachment, ("id", "original_name", "created", "offer_id"), "offer_id")
    assert sql == (
        'SELECT "id", "original_name", "created", "offer_id" FROM "suppliers_offerattachment" '
        'WHERE "offer_id" = ANY(%s) ORDER BY "id"'
    )
    # A related path, or a column the ORM converts (JSON), is left to the ORM.
    assert _plain_select(OfferAttachment, ("id", "offer__name"), "offer_id") is False
    assert _plain_select(OfferTransition, ("id", "data"), "offer_id") is False
    assert _plain_select(OfferTransition, ("id", "to_status"), "offer_id")


def test_the_cursor_feeds_keep_their_query_count(admin_api):
    from tests.helpers import assert_constant_queries

    def offers(n):
        for _ in range(n):
            OfferFactory()

    # The page, which tells which offers have attachments (none): the ETag comes from the
    # rows read.
    assert (
        assert_constant_queries(offers, lambda: admin_api.get("/api/v1/offers/?mode=cursor")) == 1
    )

    def offers_with_files(n):
        for _ in range(n):
            OfferAttachment.objects.create(
                offer=OfferFactory(),
                file=ContentFile(b"%PDF-1.4", name="f.pdf"),
                original_name="f.pdf",
                size=8,
            )

    Offer.objects.all().delete()
    assert (
        assert_constant_queries(
            offers_with_files, lambda: admin_api.get("/api/v1/offers/?mode=cursor")
        )
        == 2  # the page, the attachments of its offers that have any
    )

    def entries(n):
        for _ in range(n):
            register(OfferFactory())

    assert (
        assert_constant_queries(entries, lambda: admin_api.get("/api/v1/register/?mode=cursor"))
        == 1  # the page
    )


def test_numbered_pages_and_single_rows_keep_their_query_count(admin_api):
    from tests.helpers import assert_constant_queries

    def rows(n):
        for _ in range(n):
            offer = OfferFactory()
            OfferAttachment.objects.create(
                offer=offer,
                file=ContentFile(b"%PDF-1.4", name="f.pdf"),
                original_name="f.pdf",
                size=8,
            )
            register(offer)
            TenderFactory()

    # The stamps (the count and the page's ids), the page's rows (and the offers' files).
    for url, expected in (
        ("/api/v1/offers/?page_size=100", 3),
        ("/api/v1/register/?page_size=100", 2),
        ("/api/v1/tenders/?page_size=100", 2),
        ("/api/v1/tenders/?mode=cursor", 1),
    ):
        assert assert_constant_queries(rows, lambda url=url: admin_api.get(url)) == expected, url
    # One row (and an offer's files); the ETag comes from what was read.
    offer, entry, tender = Offer.objects.last(), RegisterEntry.objects.last(), Tender.objects.last()
    for url, expected in (
        (f"/api/v1/offers/{offer.pk}/", 2),
        (f"/api/v1/register/{entry.pk}/", 1),
        (f"/api/v1/tenders/{tender.pk}/", 1),
    ):
        assert _get(admin_api, url)[1] == expected, url


def test_the_renderer_writes_what_drf_wrote():
    from rest_framework.renderers import JSONRenderer

    moment = datetime.datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=datetime.UTC)
    data = {
        "b": 1,
        "a": "Задвижка \u2028 line",
        "when": moment,
        "day": datetime.date(2026, 12, 3),
        "amount": "1500.50",
        "nested": [{"z": None, "y": True}],
        7: "int key",
    }
    fast, slow = FastJSONRenderer().render(data), JSONRenderer().render(data)
    assert fast == slow


def test_a_new_tender_or_contract_changes_the_ocds_etag(admin_api):
    from tests.factories import ContractFactory

    _tender()
    first, _ = _get(admin_api, "/api/v1/ocds/releases/")
    _tender()
    second, _ = _get(admin_api, "/api/v1/ocds/releases/", if_none_match=first["ETag"])
    assert second.status_code == 200
    assert len(second.json()["releases"]) == len(first.json()["releases"]) + 1
    ContractFactory()
    third, _ = _get(admin_api, "/api/v1/ocds/releases/", if_none_match=second["ETag"])
    assert third.status_code == 200
    assert third["ETag"] != second["ETag"]


def test_a_new_contract_changes_the_volume_etag(admin_api):
    from tests.factories import ContractFactory

    url, _roadmap = _volume_url()
    first, _ = _get(admin_api, url)
    ContractFactory()
    second, _ = _get(admin_api, url, if_none_match=first["ETag"])
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]


def test_a_latest_change_read_as_text_is_the_same_moment_as_the_rows_give():
    """SQLite (the demo) returns an aggregated date-time as its stored UTC text; the stamps
    query's figure must equal the one taken from the rows, or a GET's ETag never matches."""
    from roadmap_portal.api.conditional import _moment

    moment = datetime.datetime(2026, 12, 5, 4, 0, 1, 123456, tzinfo=datetime.UTC)
    assert _moment("2026-12-05 04:00:01.123456") == moment
    assert _moment("2026-12-05 04:00:01.123456").tzinfo is not None
    assert _moment(moment) is moment
    assert _moment(None) is None
    assert _moment("not a time") == "not a time"


def test_a_kept_statement_answers_the_next_conditional_get_of_the_same_shape(
    admin_api, monkeypatch
):
    offer = _offer_with_file()
    url = f"/api/v1/offers/{offer.pk}/"
    first, _ = _get(admin_api, url)
    statements.clear()
    again, queries = _get(admin_api, url, if_none_match=first["ETag"])
    assert (again.status_code, queries, len(statements.kept)) == (304, 1, 1)

    # The next one builds no queryset: the kept statement alone answers it.
    def unbuilt(view):
        raise AssertionError("the answer's rows were built again")

    monkeypatch.setattr(ConditionalListMixin, "_answer_rows", unbuilt)
    third, queries = _get(admin_api, url, if_none_match=first["ETag"])
    assert (third.status_code, queries, third["ETag"]) == (304, 1, first["ETag"])
    # A change is seen: the answer and its ETag are a plain GET's.
    Offer.objects.filter(pk=offer.pk).update(name="Renamed", updated=timezone.now())
    changed, _ = _get(admin_api, url, if_none_match=first["ETag"])
    monkeypatch.undo()
    plain, _ = _get(admin_api, url)
    assert changed.status_code == 200
    assert changed.json()["name"] == "Renamed"
    assert changed["ETag"] == plain["ETag"] != first["ETag"]
    assert len(statements.kept) == 1


def test_kept_statements_keep_to_their_callers_scope(api):
    mine, theirs = RegionFactory(), RegionFactory()
    offer = OfferFactory(supplier__region=mine, roadmap__region=mine, status="submitted")
    inside = user_with_role("region_staff", region=mine)
    outside = user_with_role("region_staff", region=theirs)
    url = f"/api/v1/offers/{offer.pk}/"
    statements.clear()
    api.force_authenticate(inside)
    first, _ = _get(api, url)
    assert _get(api, url, if_none_match=first["ETag"])[0].status_code == 304
    api.force_authenticate(outside)
    assert _get(api, url, if_none_match=first["ETag"])[0].status_code == 404
    assert _get(api, url, if_none_match='"any"')[0].status_code == 404
    kept = {key[4]: statement for key, statement in statements.kept.items()}
    assert set(kept) == {inside.pk, outside.pk}
    # The offer's own rows: one for the region it belongs to, none for the other region.
    assert kept[inside.pk].run()[0][0] == 1
    assert kept[outside.pk].run()[0][0] == 0


def test_a_statement_with_a_moment_among_its_parameters_is_not_kept():
    now = timezone.now()
    moment = stamps_statement([Stamp(Offer.objects.filter(updated__lte=now))])
    plain = stamps_statement([Stamp(Offer.objects.filter(pk=1, name="x", status__in=["a"]))])
    assert now in moment.params and not moment.reusable
    assert plain.reusable
    # Rows named on a database run there; others where the router reads at the time.
    assert plain.database is None
    assert stamps_statement([Stamp(Offer.objects.using("default"))]).database == "default"
    kept = Statements(size=2)
    kept.keep("moment", moment)
    kept.keep("plain", plain)
    assert kept.get("moment") is None
    assert kept.get("plain") is plain
    # At its size the oldest goes first.
    kept.keep("second", plain)
    kept.keep("third", plain)
    assert list(kept.kept) == ["second", "third"]
