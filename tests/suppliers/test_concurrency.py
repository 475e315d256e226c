"""Concurrent transitions on one offer: exactly one wins, exactly one history row is written.

Real threads, each with its own database connection, against PostgreSQL row locks.
"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from roadmap_portal.exceptions import TransitionNotAllowed
from suppliers.models import Offer, OfferTransition
from suppliers.services import offer_transition

from .conftest import build_world, make_offer

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(count, work):
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work()
        except Exception as exc:  # collected and asserted below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_concurrent_forwards_through_the_api():
    world = build_world()
    offer = make_offer(world, status="submitted")

    def forward():
        client = APIClient()
        client.force_authenticate(world.staff)
        return client.post(
            f"/api/v1/offers/{offer.pk}/transition/", {"action": "forward"}, format="json"
        ).status_code

    results = run_in_threads(2, forward)
    assert sorted(results) == [200, 409], results
    assert OfferTransition.objects.filter(offer=offer, action="forward").count() == 1
    assert Offer.objects.get(pk=offer.pk).status == "forwarded"


def test_two_concurrent_forwards_through_the_service():
    world = build_world()
    offer = make_offer(world, status="submitted")

    def forward():
        return offer_transition(offer_id=offer.pk, user=world.staff, action="forward")

    results = run_in_threads(2, forward)
    wins = [r for r in results if isinstance(r, tuple)]
    conflicts = [r for r in results if isinstance(r, TransitionNotAllowed)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    assert OfferTransition.objects.filter(offer=offer).count() == 1


def test_twenty_parallel_accepts_by_reviewers():
    world = build_world()
    offer = make_offer(world, status="forwarded")

    def accept():
        return offer_transition(offer_id=offer.pk, user=world.reviewer, action="accept", data={})

    results = run_in_threads(20, accept)
    wins = [r for r in results if isinstance(r, tuple)]
    conflicts = [r for r in results if isinstance(r, TransitionNotAllowed)]
    assert len(wins) == 1, results
    assert len(conflicts) == 19, [r for r in results if not isinstance(r, tuple)]
    assert OfferTransition.objects.filter(offer=offer).count() == 1
    assert Offer.objects.get(pk=offer.pk).status == "requirements_met"
