"""Review queue and register: scope, filters, counts, exports, numbering, query counts."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from certification.models import RegisterEntry
from suppliers.models import Offer
from suppliers.services import offer_transition
from tests.certification.conftest import make_offer
from tests.factories import OfferFactory, RoadmapFactory, SupplierFactory
from tests.helpers import assert_constant_queries, assert_scope, count_queries

pytestmark = pytest.mark.django_db


def test_queue_lists_the_group_with_counts_filters_and_sorting(world, client):
    forwarded = make_offer(world, name="Ball valve DN300")
    met = make_offer(world, status="requirements_met", okpd2="27.11.10.000", name="Motor")
    tested = make_offer(world, status="tested", name="Gate valve")
    foreign = make_offer(world, roadmap=world.irao_roadmap, name="IRAO lamp")
    Offer.objects.filter(pk=met.pk).update(import_substitution=True, replaces="Siemens 1LA")
    client.force_login(world.gaz_reviewer)
    url = reverse("certification:queue")
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert forwarded.name in html and tested.name in html
    assert foreign.name not in html
    stages = {s[0]: s[2] for s in page.context["stages"]}
    assert stages["forwarded"] == 1 and stages["requirements_met"] == 1 and stages["tested"] == 1

    def names(response):
        return [o.name for o in response.context["page"]]

    assert names(client.get(url, {"status": "forwarded"})) == [forwarded.name]
    filtered = client.get(url, {"status": "forwarded"})
    assert {s[0]: s[2] for s in filtered.context["stages"]}["tested"] == 1
    assert names(client.get(url, {"okpd2": "27"})) == [met.name]
    assert names(client.get(url, {"import_substitution": "true"})) == [met.name]
    assert names(client.get(url, {"search": "siemens"})) == [met.name]
    assert names(client.get(url, {"region": "RU-XX"})) == []
    assert set(names(client.get(url, {"supplier": world.supplier.pk}))) == {
        forwarded.name,
        met.name,
        tested.name,
    }
    assert names(client.get(url, {"ordering": "name"})) == sorted(
        [forwarded.name, met.name, tested.name]
    )
    assert names(client.get(url, {"ordering": "waiting"}))[0] == forwarded.name
    assert client.get(url, {"page_size": 50}).context["page_size"] == 50
    assert client.get(url, {"page_size": 7}).context["page_size"] == 25
    assert "waits for IGC" in html


def test_queue_supplier_filter_is_a_number_not_a_list_of_every_supplier(world, client):
    offer = make_offer(world, name="Ball valve DN300")
    other = make_offer(world, supplier=world.other_supplier, name="Pump PN16")
    for _ in range(3):
        SupplierFactory(region=world.region, name="Idle supplier")
    client.force_login(world.gaz_reviewer)
    url = reverse("certification:queue")
    html = client.get(url).content.decode()
    assert 'name="supplier" type="number"' in html
    assert "Idle supplier" not in html
    assert f'data-supplier="{world.other_supplier.pk}"' in html
    filtered = client.get(url, {"supplier": world.supplier.pk, "status": "forwarded"})
    assert [o.pk for o in filtered.context["page"]] == [offer.pk]
    assert filtered.context["selected_supplier"] == world.supplier
    assert other.name not in filtered.content.decode()
    assert f'value="{world.supplier.pk}"' in filtered.content.decode()
    assert filtered.context["query_no_supplier"] == "status=forwarded"
    foreign = SupplierFactory(name="Far away")
    response = client.get(url, {"supplier": foreign.pk})
    assert response.context["selected_supplier"] is None
    assert list(response.context["page"]) == []


def test_queue_and_stage_pages_are_scoped(world, client, api_as):
    gaz_offer = make_offer(world)
    irao_offer = make_offer(world, roadmap=world.irao_roadmap)
    client.force_login(world.gaz_reviewer)
    assert client.get(reverse("certification:review", args=[irao_offer.pk])).status_code == 404
    for name in ("review-requirements", "review-readiness", "review-tests-decision"):
        response = client.post(reverse(f"certification:{name}", args=[irao_offer.pk]), {})
        assert response.status_code == 404, name
    response = client.post(
        reverse("certification:review-register", args=[irao_offer.pk, "register"])
    )
    assert response.status_code == 404
    reviewer = api_as(world.gaz_reviewer)
    assert reviewer.get(f"/api/v1/review-queue/{irao_offer.pk}/").status_code == 404
    response = reviewer.post(
        f"/api/v1/offers/{irao_offer.pk}/transition/", {"action": "accept"}, format="json"
    )
    assert response.status_code == 404
    queue = reviewer.get("/api/v1/review-queue/").json()
    assert [o["id"] for o in queue["results"]] == [gaz_offer.pk]
    counts = {c["status"]: c["count"] for c in reviewer.get("/api/v1/review-queue/counts/").json()}
    assert counts["forwarded"] == 1
    assert reviewer.get(f"/api/v1/requirement-checks/?offer={irao_offer.pk}").json()["count"] == 0
    client.force_login(world.member)
    assert client.get(reverse("certification:queue")).status_code == 403
    assert client.get(reverse("certification:review", args=[gaz_offer.pk])).status_code == 403
    assert_scope(
        url=f"/api/v1/review-queue/{gaz_offer.pk}/",
        anonymous_client=api_as(None),
        wrong_role=api_as(world.member),
        out_of_scope=api_as(world.irao_reviewer),
        allowed=reviewer,
    )


def _queue_rows(world):
    def make(n):
        for _ in range(n):
            supplier = SupplierFactory(region=world.region)
            OfferFactory(supplier=supplier, roadmap=world.gaz_roadmap, status="forwarded")

    return make


def warm(call):
    """The first call caches the user's scope on the user object: measure after it."""
    call()
    return call


def test_queue_query_counts_are_constant(world, client, api_as):
    client.force_login(world.gaz_reviewer)
    html = assert_constant_queries(
        _queue_rows(world),
        warm(lambda: client.get(reverse("certification:queue"), {"page_size": 100})),
    )
    api = api_as(world.gaz_reviewer)
    assert_constant_queries(
        _queue_rows(world), warm(lambda: api.get("/api/v1/review-queue/?page_size=100"))
    )
    assert html <= 12


def _register_rows(world):
    def make(n):
        for _ in range(n):
            offer = make_offer(world, roadmap=world.irao_roadmap, status="registered")
            assert offer.status == "registered"

    return make


def test_register_query_counts_are_constant(world, client, api_as):
    client.force_login(world.member)
    assert_constant_queries(
        _register_rows(world),
        warm(lambda: client.get(reverse("certification:register"), {"page_size": 100})),
    )
    api = api_as(world.member)
    assert_constant_queries(
        _register_rows(world), warm(lambda: api.get("/api/v1/register/?page_size=100"))
    )


def test_entry_numbers_are_sequential_per_corporation_and_never_reused(world, api_as):
    first = make_offer(world, roadmap=world.irao_roadmap, status="registered")
    second = make_offer(world, roadmap=world.irao_roadmap, status="registered")
    gaz = make_offer(world, status="registered")
    assert RegisterEntry.objects.get(offer=first).number == 1
    assert RegisterEntry.objects.get(offer=second).number == 2
    assert RegisterEntry.objects.get(offer=gaz).number == 1
    offer_transition(
        offer_id=first.pk, user=world.irao_reviewer, action="exclude", comment="Quality claims"
    )
    third = make_offer(world, roadmap=world.irao_roadmap, status="registered")
    offer_transition(offer_id=first.pk, user=world.irao_reviewer, action="reinstate")
    numbers = dict(
        RegisterEntry.objects.filter(corporation=world.irao).values_list("number", "offer_id")
    )
    assert numbers == {1: first.pk, 2: second.pk, 3: third.pk, 4: first.pk}
    old = RegisterEntry.objects.get(number=1, corporation=world.irao)
    assert old.excluded_on is not None and old.exclusion_reason == "Quality claims"

    api = api_as(world.member)
    rows = api.get(f"/api/v1/register/?corporation={world.irao.pk}&active=true").json()
    assert sorted(r["number"] for r in rows["results"]) == [2, 3, 4]
    rows = api.get(f"/api/v1/register/?corporation={world.irao.pk}&active=false").json()
    assert [r["number"] for r in rows["results"]] == [1]
    assert api.get("/api/v1/register/?okpd2=28.14").json()["count"] == 5
    assert api.get("/api/v1/register/?okpd2=27").json()["count"] == 0
    assert api.get("/api/v1/register/").status_code == 200
    assert api_as(None).get("/api/v1/register/").status_code == 401


def test_register_page_filters_and_exports(world, client):
    kept = make_offer(world, roadmap=world.irao_roadmap, status="registered", name="Lamp")
    gone = make_offer(world, roadmap=world.irao_roadmap, status="registered", name="Motor")
    offer_transition(offer_id=gone.pk, user=world.irao_reviewer, action="exclude", comment="Old")
    make_offer(world, status="registered", name="Valve")
    other_region = RoadmapFactory(corporation=world.irao)
    client.force_login(world.staff)
    url = reverse("certification:register")
    page = client.get(url)
    assert page.status_code == 200 and page.context["page"].paginator.count == 3
    only = client.get(url, {"corporation": world.irao.pk, "active": "true"})
    assert [e.offer.name for e in only.context["page"]] == [kept.name]
    assert client.get(url, {"search": "motor"}).context["page"].paginator.count == 1
    assert (
        client.get(url, {"region": other_region.region.code}).context["page"].paginator.count == 0
    )

    response = client.get(url, {"corporation": world.irao.pk, "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Corporation", "Entry number", "Product"]
    assert sorted(r[2] for r in rows[1:]) == ["Lamp", "Motor"]
    assert any(r[10] == "Old" for r in rows[1:])

    response = client.get(url, {"active": "true", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    products = sorted(row[2] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert products == ["Lamp", "Valve"]


def test_certificate_list_query_counts_are_constant(world, client, api_as):
    from tests.factories import CertificateFactory

    def certificates(n):
        for _ in range(n):
            offer = OfferFactory(supplier=world.supplier, roadmap=world.gaz_roadmap)
            CertificateFactory(body=world.body, supplier=world.supplier, offers=[offer])

    client.force_login(world.officer)
    assert_constant_queries(
        certificates,
        warm(lambda: client.get(reverse("certification:certificate-list"), {"page_size": 100})),
    )
    api = api_as(world.officer)
    assert_constant_queries(
        certificates, warm(lambda: api.get("/api/v1/certificates/?page_size=100"))
    )


def test_requirement_list_query_counts_are_constant(world, client, api_as):
    from tests.factories import RequirementFactory

    def requirements(n):
        for _ in range(n):
            RequirementFactory(corporation=world.gaz, categories=["28"])

    client.force_login(world.gaz_reviewer)
    assert_constant_queries(
        requirements,
        warm(lambda: client.get(reverse("certification:requirement-list"), {"page_size": 100})),
    )
    api = api_as(world.gaz_reviewer)
    assert_constant_queries(
        requirements, warm(lambda: api.get("/api/v1/requirements/?page_size=100"))
    )


def test_stage_records_and_officer_queue_query_counts_are_constant(world, client, api_as):
    """The requirement checks, readiness evaluations and tests of tested offers (API) and
    the officer's queue of them (HTML): the same count for 1 and for 50 offers."""
    from tests.certification.conftest import advance

    def tested(n):
        for _ in range(n):
            offer = OfferFactory(
                supplier=world.supplier, roadmap=world.gaz_roadmap, okpd2="28.14.11.000"
            )
            advance(world, offer, "tested")

    api = api_as(world.gaz_reviewer)
    client.force_login(world.officer)
    calls = {
        url: warm(lambda url=url: api.get(url))
        for url in (
            "/api/v1/requirement-checks/?page_size=100",
            "/api/v1/readiness-evaluations/?page_size=100",
            "/api/v1/tests/?page_size=100",
        )
    }
    calls["officer queue"] = warm(lambda: client.get(reverse("certification:officer-queue")))
    tested(1)
    one = {name: count_queries(call)[1] for name, call in calls.items()}
    tested(49)
    fifty = {name: count_queries(call)[1] for name, call in calls.items()}
    assert one == fifty
    assert len(api.get("/api/v1/tests/?page_size=100").json()["results"]) == 50
