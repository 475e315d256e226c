"""List pages and endpoints issue the same number of queries for 1 and for 50 rows."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from suppliers.models import Offer, OfferAttachment
from tests.factories import SupplierFactory
from tests.helpers import assert_constant_queries

from .conftest import PDF_BYTES, make_offer

pytestmark = pytest.mark.django_db


def make_offers(world, **fields):
    def make(n):
        for _ in range(n):
            offer = make_offer(world, **fields)
            attachment = OfferAttachment(offer=offer, original_name="a.pdf", size=len(PDF_BYTES))
            attachment.file.save("a.pdf", ContentFile(PDF_BYTES), save=True)

    return make


def test_offer_api_list(api_as, world):
    client = api_as(world.member)
    client.get("/api/v1/offers/")  # the forced user caches its scope on the first request
    queries = assert_constant_queries(
        make_offers(world), lambda: client.get("/api/v1/offers/?page_size=100")
    )
    # the ETag's stamps, which count the rows and read the page's ids too (docs/api.md),
    # the page's rows, their attachments
    assert queries == 3, queries


def test_offer_html_list(client, world):
    client.force_login(world.member)
    url = reverse("suppliers:offer-list")

    def call():
        response = client.get(url)
        assert response.status_code == 200
        return response

    queries = assert_constant_queries(make_offers(world), call)
    assert queries <= 12, queries  # the page plus the base template's session, profile, bell


def test_screening_page(client, world):
    client.force_login(world.staff)
    url = reverse("suppliers:screening")
    queries = assert_constant_queries(
        make_offers(world, status="submitted"), lambda: client.get(url)
    )
    assert queries <= 12, queries


def make_suppliers(world):
    def make(n):
        for _ in range(n):
            supplier = SupplierFactory(region=world.tomsk)
            make_offer(world, supplier=supplier, status="submitted")

    return make


def test_supplier_api_list(api_as, world):
    client = api_as(world.staff)
    client.get("/api/v1/suppliers/")  # the forced user caches its scope on the first request
    queries = assert_constant_queries(
        make_suppliers(world), lambda: client.get("/api/v1/suppliers/?page_size=100")
    )
    assert queries == 3, queries  # count, the page's ids, its rows


def test_supplier_html_list(client, world):
    client.force_login(world.staff)
    url = reverse("suppliers:supplier-list")

    def call():
        response = client.get(url)
        assert response.status_code == 200
        return response

    queries = assert_constant_queries(make_suppliers(world), call)
    assert queries <= 10, queries


def test_offer_history_api(api_as, world):
    from suppliers.services import offer_transition

    offer = make_offer(world)
    client = api_as(world.member)
    url = f"/api/v1/offers/{offer.pk}/history/?page_size=100"
    client.get(url)

    def transitions(n):
        for _ in range(n):
            offer_transition(offer_id=offer.pk, user=world.member, action="submit")
            offer_transition(offer_id=offer.pk, user=world.member, action="withdraw")
            Offer.objects.filter(pk=offer.pk).update(status="draft")

    assert_constant_queries(transitions, lambda: client.get(url))
