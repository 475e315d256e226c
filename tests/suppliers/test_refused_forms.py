"""A step the state refuses after the page was opened (another user moved the offer
meanwhile): from a form the user typed into, the same form again with the typed text, the
refusal above it and 409, nothing saved; from a button, a redirect with the message."""

import html
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from suppliers.models import Offer, OfferTransition
from suppliers.services import offer_transition
from tests.factories import user_with_role

from .conftest import make_offer
from .test_web import form_data

pytestmark = pytest.mark.django_db


def alert(page: str, element_id: str) -> str:
    """The text of the danger alert ``element_id``."""
    match = re.search(
        rf'<div class="alert alert-danger[^"]*" role="alert" id="{element_id}">(.*?)</div>\s*(?:<label|<form|<div class="row)',
        page,
        re.S,
    )
    assert match, f"no alert {element_id}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def test_a_return_with_a_comment_refused_shows_the_offer_page_again_with_the_comment(client, world):
    offer = make_offer(world, status="submitted")
    # A colleague forwards the offer while this staff member writes the comment.
    colleague = user_with_role("region_staff", region=world.tomsk)
    offer_transition(offer_id=offer.pk, user=colleague, action="forward")
    rows = OfferTransition.objects.count()

    client.force_login(world.staff)
    response = client.post(
        reverse("suppliers:offer-transition", args=[offer.pk]),
        {"action": "return", "comment": "Attach the <b>GISP</b> certificate"},
    )

    assert response.status_code == 409
    page = response.content.decode()
    textarea = re.search(r'<textarea[^>]*id="comment-return"[^>]*>(.*?)</textarea>', page, re.S)
    assert textarea and html.unescape(textarea.group(1)) == "Attach the <b>GISP</b> certificate"
    assert (
        alert(page, "step-errors")
        == "“Return for changes” is not allowed while the offer is Forwarded to the corporation."
    )
    assert OfferTransition.objects.count() == rows
    offer.refresh_from_db()
    assert offer.status == "forwarded"


def test_an_edit_of_a_draft_submitted_meanwhile_shows_the_form_again_with_the_input(client, world):
    offer = make_offer(world, status="draft", name="LED floodlight")
    # A colleague submits the draft while this member edits it.
    offer_transition(
        offer_id=offer.pk, user=user_with_role("supplier", supplier=world.supplier), action="submit"
    )

    client.force_login(world.member)
    response = client.post(
        reverse("suppliers:offer-update", args=[offer.pk]),
        form_data(world, name="LED floodlight, 200 W"),
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert re.search(r'<input type="text" name="name" value="LED floodlight, 200 W"', page)
    assert alert(page, "form-errors") == "Only a draft can be edited; this offer is Submitted."
    offer.refresh_from_db()
    assert (offer.name, offer.status) == ("LED floodlight", "submitted")


def test_a_one_click_forward_refused_still_redirects_with_its_message(client, world):
    offer = make_offer(world, status="submitted")
    offer_transition(
        offer_id=offer.pk,
        user=user_with_role("region_staff", region=world.tomsk),
        action="forward",
    )
    rows = OfferTransition.objects.count()

    client.force_login(world.staff)
    url = reverse("suppliers:offer-detail", args=[offer.pk])
    response = client.post(
        reverse("suppliers:offer-transition", args=[offer.pk]), {"action": "forward"}
    )

    assert (response.status_code, response["Location"]) == (302, url)
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        "“Forward to the corporation” is not allowed while the offer is Forwarded to the corporation."
    ]
    assert OfferTransition.objects.count() == rows
    assert Offer.objects.get(pk=offer.pk).status == "forwarded"
