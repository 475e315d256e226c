"""The supplier's and region staff's pages through the test client."""

import pytest
from django.urls import reverse

from suppliers.models import Offer, OfferTransition
from tests.factories import RoadmapFactory

from .conftest import make_offer

pytestmark = pytest.mark.django_db


def form_data(world, **overrides):
    data = {
        "roadmap": world.roadmap.pk,
        "demand": "",
        "name": "LED floodlight",
        "description": "Outdoor lighting",
        "okpd2": "27.40.39.120",
        "import_substitution": "on",
        "replaces": "Philips",
        "gisp_number": "",
        "capacity_per_year": "10000",
        "unit": "pcs",
        "unit_price": "18900.00",
    }
    data.update(overrides)
    return data


def test_offer_create_edit_and_submit(client, world):
    client.force_login(world.member)
    page = client.get(reverse("suppliers:offer-create"))
    assert page.status_code == 200
    roadmap_choices = {str(pk) for pk, _label in page.context["form"].fields["roadmap"].choices}
    assert str(world.roadmap.pk) in roadmap_choices
    assert str(world.kaluga_roadmap.pk) not in roadmap_choices

    response = client.post(reverse("suppliers:offer-create"), form_data(world))
    offer = Offer.objects.get(name="LED floodlight")
    assert response.status_code == 302
    assert response.url == reverse("suppliers:offer-detail", args=[offer.pk])
    assert offer.supplier == world.supplier and offer.status == "draft"
    assert offer.import_substitution and offer.replaces == "Philips"

    detail = client.get(reverse("suppliers:offer-detail", args=[offer.pk])).content.decode()
    assert 'name="action" value="submit"' in detail
    assert 'id="offer-edit-link"' in detail
    assert 'id="attachment-form"' in detail

    url = reverse("suppliers:offer-update", args=[offer.pk])
    client.post(url, form_data(world, name="LED floodlight 200 W", unit_price="19500"))
    offer.refresh_from_db()
    assert offer.name == "LED floodlight 200 W" and str(offer.unit_price) == "19500.00"

    response = client.post(
        reverse("suppliers:offer-transition", args=[offer.pk]), {"action": "submit"}, follow=True
    )
    offer.refresh_from_db()
    assert offer.status == "submitted"
    html = response.content.decode()
    assert 'data-status="submitted"' in html
    assert 'name="action" value="withdraw"' in html
    assert 'id="offer-edit-link"' not in html
    # Editing after submission is refused with a message, not an error page.
    response = client.get(url, follow=True)
    assert "Only a draft can be edited" in response.content.decode()


def test_offer_form_errors_stay_on_the_form(client, world):
    client.force_login(world.member)
    response = client.post(
        reverse("suppliers:offer-create"), form_data(world, okpd2="27-40", name="")
    )
    assert response.status_code == 400  # the form again, with its errors
    errors = response.context["form"].errors
    assert "okpd2" in errors and "name" in errors
    completed = RoadmapFactory(region=world.tomsk, status="completed", corporation=world.group)
    response = client.post(
        reverse("suppliers:offer-create"), form_data(world, roadmap=completed.pk)
    )
    assert "roadmap" in response.context["form"].errors
    response = client.post(
        reverse("suppliers:offer-create"), form_data(world, roadmap=world.kaluga_roadmap.pk)
    )
    assert "roadmap" in response.context["form"].errors
    assert not Offer.objects.exists()


def test_offer_list_filters_and_search(client, world):
    make_offer(world, name="Radar shield", okpd2="26.51.20.120")
    make_offer(world, name="Motor", okpd2="27.11.22.000", status="submitted")
    make_offer(world, supplier=world.neighbour, name="Radar lamp")
    client.force_login(world.member)
    url = reverse("suppliers:offer-list")

    def names(query):
        return {o.name for o in client.get(url + query).context["page"]}

    assert names("") == {"Radar shield", "Motor"}
    assert names("?search=radar") == {"Radar shield"}
    assert names("?status=submitted") == {"Motor"}
    assert names("?okpd2=26.51") == {"Radar shield"}
    assert names("?import_substitution=true") == set()
    page = client.get(url).content.decode()
    assert 'class="badge status-draft"' in page


def test_other_roles_do_not_reach_supplier_pages(client, world):
    draft = make_offer(world)
    client.force_login(world.neighbour_member)
    assert client.get(reverse("suppliers:offer-detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("suppliers:offer-update", args=[draft.pk])).status_code == 404
    response = client.post(
        reverse("suppliers:offer-transition", args=[draft.pk]), {"action": "submit"}
    )
    assert response.status_code == 404
    client.force_login(world.staff)
    assert client.get(reverse("suppliers:offer-detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("suppliers:offer-create")).status_code == 403
    client.force_login(world.member)
    assert client.get(reverse("suppliers:screening")).status_code == 403


def test_screening_forward_and_return(client, world):
    forward_me = make_offer(world, name="Forward me", status="submitted")
    return_me = make_offer(world, name="Return me", status="submitted")
    pending = make_offer(
        world, supplier=world.neighbour, name="Pending supplier", status="submitted"
    )
    world.neighbour.verification_status = "pending"
    world.neighbour.save()
    make_offer(world, supplier=world.far, name="Kaluga", status="submitted")
    make_offer(world, name="Draft")

    client.force_login(world.staff)
    url = reverse("suppliers:screening")
    page = client.get(url)
    assert {o.name for o in page.context["page"]} == {"Forward me", "Return me", "Pending supplier"}
    html = page.content.decode()
    assert 'data-verification="pending"' in html
    assert 'name="action" value="forward"' in html and 'name="action" value="return"' in html

    transition_url = reverse("suppliers:offer-transition", args=[forward_me.pk])
    response = client.post(transition_url, {"action": "forward", "next": url}, follow=True)
    assert response.redirect_chain[-1][0] == url
    forward_me.refresh_from_db()
    assert forward_me.status == "forwarded"

    # Return without a comment: a message, nothing changes.
    back_url = reverse("suppliers:offer-transition", args=[return_me.pk])
    response = client.post(back_url, {"action": "return", "comment": "", "next": url}, follow=True)
    assert response.status_code == 200
    assert "comment is required" in response.content.decode()
    return_me.refresh_from_db()
    assert return_me.status == "submitted"
    client.post(back_url, {"action": "return", "comment": "Add the GISP number", "next": url})
    return_me.refresh_from_db()
    assert return_me.status == "draft"
    assert OfferTransition.objects.get(offer=return_me).comment == "Add the GISP number"

    # Forwarding for an unverified supplier shows the guard's message (409 text), never a 500.
    response = client.post(
        reverse("suppliers:offer-transition", args=[pending.pk]),
        {"action": "forward", "next": url},
        follow=True,
    )
    assert response.status_code == 200
    assert "not verified" in response.content.decode()
    # A wrong state from the web is a message too.
    response = client.post(transition_url, {"action": "forward"}, follow=True)
    assert response.status_code == 200
    assert "not allowed" in response.content.decode()


def test_offer_page_shows_history_and_returned_comment_to_the_supplier(client, world):
    offer = make_offer(world, status="submitted")
    client.force_login(world.staff)
    client.post(
        reverse("suppliers:offer-transition", args=[offer.pk]),
        {"action": "return", "comment": "Attach the datasheet"},
    )
    client.force_login(world.member)
    html = client.get(reverse("suppliers:offer-detail", args=[offer.pk])).content.decode()
    assert "Attach the datasheet" in html
    assert 'id="history-' in html
