import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from procurement.models import Bid, Contract
from procurement.services import bid_create, tender_award
from roadmap_portal.exceptions import TransitionNotAllowed
from tests.factories import user_with_role

from .conftest import TODAY, certified_supplier, make_world

URL = "/api/v1/bids/"


def client_for(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def member(world):
    return user_with_role("supplier", supplier=world.supplier)


def payload(world, **extra):
    return {
        "tender": world.tender.pk,
        "offers": [world.offer.pk],
        "price": "4800000.00",
        **extra,
    }


@pytest.mark.django_db
def test_eligible_bid_is_accepted_with_a_snapshot(world, member):
    response = client_for(member).post(URL, payload(world), format="json")
    assert response.status_code == 201, response.content
    bid = Bid.objects.get(pk=response.json()["id"])
    assert bid.supplier == world.supplier
    assert bid.price == Decimal("4800000.00")
    assert list(bid.offers.all()) == [world.offer]
    assert bid.eligibility["eligible"] is True
    assert [c["rule"] for c in bid.eligibility["checks"]][0] == "supplier_verified"
    assert bid.submitted_by == member


@pytest.mark.django_db
def test_ineligible_bid_is_refused_with_the_failed_checks(world, member):
    world.certificate.valid_until = world.tender.deadline - datetime.timedelta(days=1)
    world.certificate.save()
    response = client_for(member).post(URL, payload(world), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["eligible"] is False
    assert [c["rule"] for c in body["checks"]] == ["certificate_valid"]
    assert body["checks"][0]["passed"] is False
    assert world.certificate.number in body["checks"][0]["detail"]
    assert not Bid.objects.exists()


@pytest.mark.django_db
def test_duplicate_bid_is_refused_clearly(world, member):
    client = client_for(member)
    assert client.post(URL, payload(world), format="json").status_code == 201
    response = client.post(URL, payload(world, price="4700000.00"), format="json")
    assert response.status_code == 400
    assert "already bid" in str(response.json()["tender"])
    assert Bid.objects.count() == 1


@pytest.mark.django_db
def test_bid_after_the_deadline_is_refused(world, member):
    world.tender.deadline = TODAY() - datetime.timedelta(days=1)
    world.tender.save()
    response = client_for(member).post(URL, payload(world), format="json")
    assert response.status_code == 400
    assert [c["rule"] for c in response.json()["checks"]] == ["tender_open"]


@pytest.mark.django_db
def test_bid_with_an_offer_that_does_not_qualify_is_refused(world, member):
    from tests.factories import OfferFactory

    other = OfferFactory(supplier=world.supplier, roadmap=world.roadmap, okpd2="26.51.52.130")
    response = client_for(member).post(
        URL, payload(world, offers=[world.offer.pk, other.pk]), format="json"
    )
    assert response.status_code == 400
    assert str(other.pk) in str(response.json()["offers"])


@pytest.mark.django_db
def test_bid_needs_a_positive_price(world, member):
    response = client_for(member).post(URL, payload(world, price="0"), format="json")
    assert response.status_code == 400
    assert "price" in response.json()


@pytest.mark.django_db
def test_supplier_cannot_bid_on_a_tender_out_of_scope(world, member):
    """Another scope's tender answers what a missing one does: 400 on ``tender``."""
    foreign = make_world()
    response = client_for(member).post(
        URL, {"tender": foreign.tender.pk, "offers": [world.offer.pk], "price": "1"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "tender": [f'Invalid pk "{foreign.tender.pk}" - object does not exist.']
    }
    assert not Bid.objects.exists()


@pytest.mark.django_db
def test_award_makes_a_contract_and_settles_the_bids(world, member):
    reviewer = user_with_role("reviewer", corporation=world.group)
    second, offer2, *_ = certified_supplier(world.roadmap, world.body)
    winner = bid_create(user=member, tender_id=world.tender.pk, offer_ids=[world.offer.pk], price=5)
    loser = bid_create(
        user=user_with_role("supplier", supplier=second),
        tender_id=world.tender.pk,
        offer_ids=[offer2.pk],
        price=4,
    )
    response = client_for(reviewer).post(
        f"/api/v1/tenders/{world.tender.pk}/award/", {"bid": winner.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    contract = Contract.objects.get()
    assert (contract.supplier, contract.customer, contract.tender, contract.bid) == (
        world.supplier,
        world.subsidiary,
        world.tender,
        winner,
    )
    assert contract.amount == Decimal("5.00")
    winner.refresh_from_db()
    loser.refresh_from_db()
    world.tender.refresh_from_db()
    assert (winner.status, loser.status, world.tender.status) == ("awarded", "lost", "awarded")
    # Awarding again is a conflict.
    with pytest.raises(TransitionNotAllowed):
        tender_award(user=reviewer, tender_id=world.tender.pk, bid_id=loser.pk)
    again = client_for(reviewer).post(
        f"/api/v1/tenders/{world.tender.pk}/award/", {"bid": loser.pk}, format="json"
    )
    assert again.status_code == 409


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_bids_one_wins():
    world = make_world()
    member = user_with_role("supplier", supplier=world.supplier)
    barrier = threading.Barrier(2)
    outcomes = []

    def bid(price):
        translation.activate("en")
        try:
            barrier.wait(timeout=10)
            bid_create(
                user=member, tender_id=world.tender.pk, offer_ids=[world.offer.pk], price=price
            )
            outcomes.append("won")
        except ValidationError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=bid, args=(p,)) for p in (100, 200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes, key=lambda o: o != "won")[0] == "won"
    assert outcomes.count("won") == 1, outcomes
    assert "already bid" in [o for o in outcomes if o != "won"][0]
    assert Bid.objects.filter(tender=world.tender).count() == 1


@pytest.mark.django_db
def test_another_scopes_tender_answers_exactly_what_a_missing_one_does(world, member):
    foreign = make_world()
    missing = foreign.tender.pk + 10_000
    answers = {}
    for tender in (foreign.tender.pk, missing):
        response = client_for(member).post(
            URL, {"tender": tender, "offers": [world.offer.pk], "price": "1"}, format="json"
        )
        answers[tender] = (
            response.status_code,
            response.json()["tender"][0].replace(str(tender), "ID"),
        )
    assert answers[foreign.tender.pk] == answers[missing]
    assert answers[missing] == (400, 'Invalid pk "ID" - object does not exist.')
    assert not Bid.objects.exists()
