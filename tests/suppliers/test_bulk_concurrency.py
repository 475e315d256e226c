"""Two people (or two clicks) submit the same drafts at once: each draft moves once."""

import pytest
from rest_framework.test import APIClient

from suppliers.models import Offer, OfferTransition

from .conftest import build_world, make_offer
from .test_concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_bulk_submits_move_each_draft_once():
    world = build_world()
    ids = [make_offer(world).pk for _ in range(5)]

    def submit():
        client = APIClient()
        client.force_authenticate(world.member)
        response = client.post(
            "/api/v1/offers/bulk-transition/", {"action": "submit", "ids": ids}, format="json"
        )
        return response.json()

    first, second = run_in_threads(2, submit)
    done = [
        row["id"] for body in (first, second) for row in body["results"] if row["outcome"] == "done"
    ]
    assert sorted(done) == sorted(ids)  # each draft done by exactly one of the two requests
    assert (first["done"] + second["done"], first["not_done"] + second["not_done"]) == (5, 5)
    assert OfferTransition.objects.filter(offer_id__in=ids).count() == 5
    assert set(Offer.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"submitted"}
