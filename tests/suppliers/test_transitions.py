"""Every supplier and region transition through the API: allowed, 409, 403, 404, 400."""

import pytest

from suppliers.models import OfferTransition

from .conftest import make_offer

pytestmark = pytest.mark.django_db


def transition(client, offer, action, comment="", data=None):
    return client.post(
        f"/api/v1/offers/{offer.pk}/transition/",
        {"action": action, "comment": comment, "data": data or {}},
        format="json",
    )


def test_anonymous_cannot_transition(api, world):
    offer = make_offer(world)
    assert transition(api, offer, "submit").status_code == 401


def test_submit(api_as, world):
    offer = make_offer(world)
    response = transition(api_as(world.member), offer, "submit")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["offer"]["status"] == "submitted"
    assert body["transition"]["action"] == "submit"
    assert body["transition"]["from_status"] == "draft"
    assert body["transition"]["to_status"] == "submitted"
    assert OfferTransition.objects.filter(offer=offer).count() == 1
    # Wrong state: submitting again.
    response = transition(api_as(world.member), offer, "submit")
    assert response.status_code == 409 and response.json()["status"] == "submitted"
    # Wrong role: region staff cannot submit (they see the submitted offer).
    assert transition(api_as(world.staff), offer, "submit").status_code == 403
    # Out of scope: another supplier's draft.
    other = make_offer(world, supplier=world.neighbour)
    assert transition(api_as(world.member), other, "submit").status_code == 404
    assert OfferTransition.objects.count() == 1


def test_withdraw(api_as, world):
    offer = make_offer(world, status="submitted")
    assert transition(api_as(world.staff), offer, "withdraw").status_code == 403
    assert transition(api_as(world.neighbour_member), offer, "withdraw").status_code == 404
    response = transition(api_as(world.member), offer, "withdraw")
    assert response.status_code == 200 and response.json()["offer"]["status"] == "withdrawn"
    assert transition(api_as(world.member), offer, "withdraw").status_code == 409


def test_return_needs_a_comment(api_as, world):
    offer = make_offer(world, status="submitted")
    staff = api_as(world.staff)
    response = transition(staff, offer, "return")
    assert response.status_code == 400 and "comment" in response.json()
    assert transition(api_as(world.member), offer, "return", "x").status_code == 403
    assert transition(api_as(world.kaluga_staff), offer, "return", "x").status_code == 404
    response = transition(staff, offer, "return", "Attach the datasheet")
    assert response.status_code == 200
    assert response.json()["offer"]["status"] == "draft"
    assert response.json()["transition"]["comment"] == "Attach the datasheet"
    # The returned draft is the supplier's again: staff no longer see it.
    assert transition(staff, offer, "return", "again").status_code == 404
    forwarded = make_offer(world, status="forwarded")
    assert transition(staff, forwarded, "return", "late").status_code == 409


def test_forward_needs_a_verified_supplier(api_as, world):
    world.supplier.verification_status = "pending"
    world.supplier.save()
    offer = make_offer(world, status="submitted")
    staff = api_as(world.staff)
    response = transition(staff, offer, "forward")
    assert response.status_code == 409
    assert "not verified" in response.json()["detail"]
    offer.refresh_from_db()
    assert offer.status == "submitted"
    world.supplier.verification_status = "verified"
    world.supplier.save()
    assert transition(api_as(world.member), offer, "forward").status_code == 403
    assert transition(api_as(world.kaluga_staff), offer, "forward").status_code == 404
    assert transition(api_as(world.reviewer), offer, "forward").status_code == 404
    response = transition(staff, offer, "forward")
    assert response.status_code == 200 and response.json()["offer"]["status"] == "forwarded"
    assert transition(staff, offer, "forward").status_code == 409
    # The reviewer of the roadmap's group now sees it; forward is not the reviewer's action.
    assert transition(api_as(world.reviewer), offer, "forward").status_code == 403


def test_unknown_action_is_400(api_as, world):
    offer = make_offer(world)
    response = transition(api_as(world.member), offer, "teleport")
    assert response.status_code == 400 and "action" in response.json()
