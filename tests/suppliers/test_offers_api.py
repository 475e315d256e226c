"""The offers API: create and edit drafts, filters, and who sees what."""

import pytest

from suppliers.models import Offer
from tests.factories import DemandFactory
from tests.helpers import assert_scope

from .conftest import make_offer

pytestmark = pytest.mark.django_db


def offer_body(world, **overrides):
    body = {
        "roadmap": world.roadmap.pk,
        "name": "Asynchronous motor AIR 250",
        "description": "Replaces Siemens 1LE1",
        "okpd2": "27.11.22.000",
        "import_substitution": True,
        "replaces": "Siemens 1LE1",
        "gisp_number": "10123456",
        "capacity_per_year": "3000.00",
        "unit": "pcs",
        "unit_price": "210000.00",
    }
    body.update(overrides)
    return body


def test_supplier_creates_a_draft_for_its_own_organisation(api, api_as, world):
    demand = DemandFactory(customer=world.group)
    assert api.post("/api/v1/offers/", offer_body(world), format="json").status_code == 401
    assert (
        api_as(world.staff).post("/api/v1/offers/", offer_body(world), format="json").status_code
        == 403
    )
    response = api_as(world.member).post(
        "/api/v1/offers/", offer_body(world, demand=demand.pk), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["supplier"] == world.supplier.pk
    assert body["unit_price"] == "210000.00"
    assert body["demand"] == demand.pk
    offer = Offer.objects.get(pk=body["id"])
    assert offer.supplier == world.supplier and offer.import_substitution


def test_create_rejects_another_supplier_and_another_region(api_as, world):
    client = api_as(world.member)
    response = client.post(
        "/api/v1/offers/", offer_body(world, supplier=world.neighbour.pk), format="json"
    )
    assert response.status_code == 400 and "supplier" in response.json()
    response = client.post(
        "/api/v1/offers/", offer_body(world, roadmap=world.kaluga_roadmap.pk), format="json"
    )
    assert response.status_code == 400
    # Another region's roadmap is outside the supplier's scope: it answers as a missing one.
    assert response.json()["roadmap"] == [
        f'Invalid pk "{world.kaluga_roadmap.pk}" - object does not exist.'
    ]
    response = client.post("/api/v1/offers/", offer_body(world, okpd2="99.1"), format="json")
    assert response.status_code == 400 and "okpd2" in response.json()
    response = client.post("/api/v1/offers/", offer_body(world, unit_price="-1"), format="json")
    assert response.status_code == 400 and "unit_price" in response.json()
    assert not Offer.objects.exists()


def test_admin_creates_for_a_named_supplier(api_as, world):
    client = api_as(world.admin)
    assert client.post("/api/v1/offers/", offer_body(world), format="json").status_code == 400
    response = client.post(
        "/api/v1/offers/", offer_body(world, supplier=world.supplier.pk), format="json"
    )
    assert response.status_code == 201


def test_patch_only_drafts(api_as, world):
    draft = make_offer(world)
    client = api_as(world.member)
    response = client.patch(f"/api/v1/offers/{draft.pk}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    draft.refresh_from_db()
    assert draft.name == "Renamed"
    submitted = make_offer(world, status="submitted")
    response = client.patch(f"/api/v1/offers/{submitted.pk}/", {"name": "Late"}, format="json")
    assert response.status_code == 409
    submitted.refresh_from_db()
    assert submitted.name != "Late"
    # Another supplier's draft is out of scope; region staff may not write offers.
    other = make_offer(world, supplier=world.neighbour)
    assert (
        client.patch(f"/api/v1/offers/{other.pk}/", {"name": "x"}, format="json").status_code == 404
    )
    assert (
        api_as(world.staff)
        .patch(f"/api/v1/offers/{submitted.pk}/", {"name": "x"}, format="json")
        .status_code
        == 403
    )
    # The status cannot be written around the pipeline.
    response = client.patch(f"/api/v1/offers/{draft.pk}/", {"status": "registered"}, format="json")
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_offer_detail_scope(api, api_as, world):
    offer = make_offer(world, status="submitted")
    assert_scope(
        url=f"/api/v1/offers/{offer.pk}/",
        anonymous_client=api,
        out_of_scope=api_as(world.kaluga_staff),
        allowed=api_as(world.staff),
    )
    assert api_as(world.neighbour_member).get(f"/api/v1/offers/{offer.pk}/").status_code == 404
    assert api_as(world.reviewer).get(f"/api/v1/offers/{offer.pk}/").status_code == 404


def _ids(client, query=""):
    response = client.get(f"/api/v1/offers/{query}")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_supplier_never_sees_another_suppliers_drafts(api_as, world):
    mine = make_offer(world, name="Radar protection")
    theirs = make_offer(world, supplier=world.neighbour, name="Radar lamp")
    theirs_submitted = make_offer(world, supplier=world.neighbour, status="submitted")
    client = api_as(world.member)
    assert _ids(client) == {mine.pk}
    assert _ids(client, "?search=Radar") == {mine.pk}
    assert _ids(client, f"?supplier={world.neighbour.pk}") == set()
    for offer in (theirs, theirs_submitted):
        assert client.get(f"/api/v1/offers/{offer.pk}/").status_code == 404
        assert client.get(f"/api/v1/offers/{offer.pk}/history/").status_code == 404
        assert client.get(f"/api/v1/offers/{offer.pk}/attachments/").status_code == 404


def test_region_staff_see_their_region_without_drafts(api_as, world):
    make_offer(world)
    submitted = make_offer(world, status="submitted")
    forwarded = make_offer(world, supplier=world.neighbour, status="forwarded")
    make_offer(world, supplier=world.far, status="submitted")
    assert _ids(api_as(world.staff)) == {submitted.pk, forwarded.pk}
    assert _ids(api_as(world.reviewer)) == {forwarded.pk}


def test_filters(api_as, world):
    motor = make_offer(world, name="Motor", okpd2="27.11.22.000", status="submitted")
    lamp = make_offer(
        world,
        supplier=world.neighbour,
        name="LED lamp",
        okpd2="27.40.39.110",
        status="submitted",
        replaces="Philips",
    )
    tool = make_offer(world, name="Tool kit", okpd2="25.73.30.000", status="forwarded")
    client = api_as(world.staff)
    assert _ids(client, "?status=submitted") == {motor.pk, lamp.pk}
    assert _ids(client, "?okpd2=27") == {motor.pk, lamp.pk}
    assert _ids(client, "?okpd2=27.40") == {lamp.pk}
    assert _ids(client, "?search=philips") == {lamp.pk}
    assert _ids(client, "?search=kit") == {tool.pk}
    assert _ids(client, f"?supplier={world.neighbour.pk}") == {lamp.pk}
    assert _ids(client, f"?roadmap={world.roadmap.pk}") == {motor.pk, lamp.pk, tool.pk}
    assert client.get("/api/v1/offers/?status=nonsense").status_code == 400


def test_history_lists_transitions_in_order(api_as, world):
    offer = make_offer(world)
    client = api_as(world.member)
    client.post(f"/api/v1/offers/{offer.pk}/transition/", {"action": "submit"}, format="json")
    client.post(f"/api/v1/offers/{offer.pk}/transition/", {"action": "withdraw"}, format="json")
    response = client.get(f"/api/v1/offers/{offer.pk}/history/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["action"], r["from_status"], r["to_status"]) for r in rows] == [
        ("submit", "draft", "submitted"),
        ("withdraw", "submitted", "withdrawn"),
    ]
    assert rows[0]["actor"] == world.member.username
