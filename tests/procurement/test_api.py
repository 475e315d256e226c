import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from procurement.models import Bid, Contract, Tender
from procurement.services import bid_create
from roadmap_portal.models import Demand
from tests.factories import ContractFactory, DemandFactory, TenderFactory
from tests.helpers import assert_constant_queries, assert_scope

from .conftest import TODAY, certified_supplier

pytestmark = pytest.mark.django_db


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def bid(world, people):
    return bid_create(
        user=people["supplier"], tender_id=world.tender.pk, offer_ids=[world.offer.pk], price=10
    )


@pytest.fixture
def contract(world):
    return ContractFactory(supplier=world.supplier, customer=world.subsidiary)


# --- tenders --------------------------------------------------------------------


def test_tender_detail_scope(world, people):
    assert_scope(
        url=f"/api/v1/tenders/{world.tender.pk}/",
        anonymous_client=APIClient(),
        out_of_scope=as_user(people["other_reviewer"]),
        allowed=as_user(people["reviewer"]),
    )
    for who in ("supplier", "staff"):
        assert as_user(people[who]).get(f"/api/v1/tenders/{world.tender.pk}/").status_code == 200
    assert (
        as_user(people["other_staff"]).get(f"/api/v1/tenders/{world.tender.pk}/").status_code == 404
    )


def test_tender_create_scope_and_validation(world, people):
    data = {
        "customer": world.subsidiary.pk,
        "number": "T-NEW-1",
        "title": "Valves",
        "categories": ["28.14", "28.13"],
        "published_on": TODAY().isoformat(),
        "deadline": (TODAY() + datetime.timedelta(days=20)).isoformat(),
        "estimated_value": "1000.00",
    }
    response = assert_scope(
        url="/api/v1/tenders/",
        method="post",
        data=data,
        anonymous_client=APIClient(),
        wrong_role=as_user(people["supplier"]),
        allowed=as_user(people["reviewer"]),
        allowed_status=201,
    )
    assert response.json()["status"] == "announced"
    assert Tender.objects.get(number="T-NEW-1").categories == ["28.14", "28.13"]
    foreign = as_user(people["other_reviewer"]).post(
        "/api/v1/tenders/", {**data, "number": "T-NEW-2"}, format="json"
    )
    assert foreign.status_code == 400 and "customer" in foreign.json()
    bad = as_user(people["reviewer"]).post(
        "/api/v1/tenders/", {**data, "number": "T-NEW-3", "categories": ["28.1x"]}, format="json"
    )
    assert bad.status_code == 400 and "categories" in bad.json()


def test_tender_transitions(world, people):
    url = f"/api/v1/tenders/{world.tender.pk}/transition/"
    assert_scope(
        url=url,
        method="post",
        data={"action": "close"},
        anonymous_client=APIClient(),
        wrong_role=as_user(people["supplier"]),
        out_of_scope=as_user(people["other_reviewer"]),
        allowed=as_user(people["reviewer"]),
    )
    world.tender.refresh_from_db()
    assert world.tender.status == "closed"
    again = as_user(people["reviewer"]).post(url, {"action": "close"}, format="json")
    assert again.status_code == 409
    assert again.json()["status"] == "closed"
    assert (
        as_user(people["reviewer"]).post(url, {"action": "cancel"}, format="json").status_code
        == 200
    )


def test_eligibility_endpoint(world, people):
    url = f"/api/v1/tenders/{world.tender.pk}/eligibility/?supplier={world.supplier.pk}"
    response = assert_scope(
        url=url,
        anonymous_client=APIClient(),
        out_of_scope=as_user(people["other_supplier"]),
        allowed=as_user(people["supplier"]),
    )
    body = response.json()
    assert body["eligible"] is True
    assert [c["rule"] for c in body["checks"]] == [
        "supplier_verified",
        "roadmap_active",
        "registered_offer",
        "certificate_valid",
        "tender_open",
    ]
    assert all(set(c) == {"rule", "passed", "detail"} for c in body["checks"])
    assert as_user(people["reviewer"]).get(url).status_code == 200
    # A supplier member asks only for their own supplier.
    other, *_ = certified_supplier(world.roadmap, world.body)
    mine = as_user(people["supplier"]).get(
        f"/api/v1/tenders/{world.tender.pk}/eligibility/?supplier={other.pk}"
    )
    assert mine.status_code == 404
    missing = as_user(people["supplier"]).get(f"/api/v1/tenders/{world.tender.pk}/eligibility/")
    assert missing.status_code == 400


# --- bids -----------------------------------------------------------------------


def test_bid_scope(world, people, bid):
    assert_scope(
        url=f"/api/v1/bids/{bid.pk}/",
        anonymous_client=APIClient(),
        out_of_scope=as_user(people["other_supplier"]),
        allowed=as_user(people["supplier"]),
    )
    assert as_user(people["reviewer"]).get(f"/api/v1/bids/{bid.pk}/").status_code == 200
    assert as_user(people["other_reviewer"]).get(f"/api/v1/bids/{bid.pk}/").status_code == 404
    response = as_user(people["reviewer"]).post(
        "/api/v1/bids/", {"tender": world.tender.pk, "offers": [world.offer.pk], "price": "1"}
    )
    assert response.status_code == 403


def test_suppliers_see_only_their_bids_and_reviewers_their_groups(world, people, bid):
    other_world_supplier, offer, *_ = certified_supplier(world.roadmap, world.body)
    from tests.factories import user_with_role

    rival = user_with_role("supplier", supplier=other_world_supplier)
    bid_create(user=rival, tender_id=world.tender.pk, offer_ids=[offer.pk], price=9)
    mine = as_user(people["supplier"]).get("/api/v1/bids/").json()
    assert [b["id"] for b in mine["results"]] == [bid.pk]
    assert as_user(people["reviewer"]).get("/api/v1/bids/").json()["count"] == 2
    assert as_user(people["other_reviewer"]).get("/api/v1/bids/").json()["count"] == 0


# --- contracts ------------------------------------------------------------------


def test_contract_scope_and_create(world, people, contract):
    assert_scope(
        url=f"/api/v1/contracts/{contract.pk}/",
        anonymous_client=APIClient(),
        out_of_scope=as_user(people["other_reviewer"]),
        allowed=as_user(people["reviewer"]),
    )
    assert (
        as_user(people["other_supplier"]).get(f"/api/v1/contracts/{contract.pk}/").status_code
        == 404
    )
    data = {
        "supplier": world.supplier.pk,
        "customer": world.subsidiary.pk,
        "amount": "125000.50",
        "signed_on": "2026-03-01",
    }
    response = assert_scope(
        url="/api/v1/contracts/",
        method="post",
        data=data,
        anonymous_client=APIClient(),
        wrong_role=as_user(people["supplier"]),
        allowed=as_user(people["reviewer"]),
        allowed_status=201,
    )
    created = Contract.objects.get(pk=response.json()["id"])
    assert created.amount == Decimal("125000.50") and created.tender is None
    foreign = as_user(people["reviewer"]).post(
        "/api/v1/contracts/", {**data, "customer": people["other_group"].pk}, format="json"
    )
    assert foreign.status_code == 400 and "customer" in foreign.json()
    with_tender = as_user(people["reviewer"]).post(
        "/api/v1/contracts/",
        {**data, "customer": world.group.pk, "tender": world.tender.pk},
        format="json",
    )
    assert with_tender.status_code == 400 and "tender" in with_tender.json()


# --- demands --------------------------------------------------------------------


def test_demand_scope_and_create(world, people):
    demand = DemandFactory(customer=world.subsidiary, category="28.14")
    assert_scope(
        url=f"/api/v1/demands/{demand.pk}/",
        anonymous_client=APIClient(),
        out_of_scope=as_user(people["other_reviewer"]),
        allowed=as_user(people["reviewer"]),
    )
    data = {
        "customer": world.subsidiary.pk,
        "title": "Ball valves DN 300",
        "category": "28.14.13",
        "quantity": "120",
        "unit": "pcs",
        "replaces": "Cameron T31",
        "deadline": "2027-06-30",
    }
    assert_scope(
        url="/api/v1/demands/",
        method="post",
        data=data,
        anonymous_client=APIClient(),
        wrong_role=as_user(people["supplier"]),
        allowed=as_user(people["reviewer"]),
        allowed_status=201,
    )
    assert Demand.objects.filter(replaces="Cameron T31").exists()


def test_suppliers_see_demands_matching_their_offers(world, people):
    wider = DemandFactory(customer=world.subsidiary, category="28")
    narrower = DemandFactory(customer=world.subsidiary, category="28.14.13.131")
    unrelated = DemandFactory(customer=world.subsidiary, category="26.51")
    body = as_user(people["supplier"]).get("/api/v1/demands/?matching=1").json()
    ids = {d["id"] for d in body["results"]}
    assert {wider.pk, narrower.pk} <= ids
    assert unrelated.pk not in ids


def test_linking_a_draft_offer_to_a_demand(world, people):
    from procurement.services import demand_answer
    from tests.factories import OfferFactory

    demand = DemandFactory(customer=world.subsidiary, category="28.14")
    draft = OfferFactory(supplier=world.supplier, roadmap=world.roadmap, okpd2="28.14.11.000")
    demand_answer(user=people["supplier"], demand_id=demand.pk, offer_id=draft.pk)
    draft.refresh_from_db()
    assert draft.demand == demand
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        demand_answer(user=people["supplier"], demand_id=demand.pk, offer_id=world.offer.pk)


# --- query counts ------------------------------------------------------------------


def _list_is_constant(client, url, make):
    def call():
        response = client.get(url)
        assert response.status_code == 200
        return response

    call()  # the first request of a client also loads the user's profile
    assert_constant_queries(make, call)


def test_tender_list_queries(world, people):
    _list_is_constant(
        as_user(people["reviewer"]),
        "/api/v1/tenders/?page_size=100",
        lambda n: [TenderFactory(customer=world.subsidiary) for _ in range(n)],
    )


def test_contract_list_queries(world, people):
    _list_is_constant(
        as_user(people["reviewer"]),
        "/api/v1/contracts/?page_size=100",
        lambda n: [
            ContractFactory(supplier=world.supplier, customer=world.subsidiary, tender=world.tender)
            for _ in range(n)
        ],
    )


def test_bid_list_queries(world, people):
    def make(n):
        for _ in range(n):
            tender = TenderFactory(customer=world.subsidiary, categories=["28.14"])
            Bid.objects.create(tender=tender, supplier=world.supplier, price=1).offers.add(
                world.offer
            )

    _list_is_constant(as_user(people["reviewer"]), "/api/v1/bids/?page_size=100", make)


def test_demand_list_queries(world, people):
    _list_is_constant(
        as_user(people["supplier"]),
        "/api/v1/demands/?matching=1&page_size=100",
        lambda n: [DemandFactory(customer=world.subsidiary, category="28.14") for _ in range(n)],
    )


def test_tender_okpd2_filter_matches_broader_and_narrower_categories(world, people):
    broader = TenderFactory(customer=world.subsidiary, categories=["26.51", "28"])
    narrower = TenderFactory(customer=world.subsidiary, categories=["28.14.2"])
    TenderFactory(customer=world.subsidiary, categories=["26.51", "23"])
    client = as_user(people["reviewer"])

    def numbers(code):
        response = client.get("/api/v1/tenders/", {"okpd2": code, "page_size": 50})
        assert response.status_code == 200
        return {row["number"] for row in response.json()["results"]}

    assert numbers("28.14") == {world.tender.number, broader.number, narrower.number}
    assert numbers("28.14.13.131") == {world.tender.number, broader.number}
    assert numbers("28.14.2") == {broader.number, narrower.number, world.tender.number}
