"""Hostile input: a NUL character, a value past its documented length or JSON nested past
any sense is a 400 naming the field, through the API and the HTML forms alike, and
changes nothing (before the limits, a NUL in a transition's comment or record was a 500)."""

import json

import pytest
from django.urls import reverse

from suppliers.models import Offer, OfferTransition
from tests.certification.conftest import accept_data, make_offer

pytestmark = pytest.mark.django_db

TWO_MB = "x" * (2 * 1024 * 1024)


def transition_url(offer):
    return f"/api/v1/offers/{offer.pk}/transition/"


@pytest.fixture
def forwarded(world):
    return make_offer(world)


@pytest.fixture
def reviewer(api_as, world):
    client = api_as(world.gaz_reviewer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def unchanged(offer):
    offer_before = offer.status
    offer.refresh_from_db()
    return (
        offer.status == offer_before
        and not OfferTransition.objects.filter(offer=offer, action="accept").exists()
    )


def test_api_nul_in_the_nested_record_is_400_naming_the_field(reviewer, forwarded):
    data = accept_data(forwarded)
    data["requirements"][0]["remarks"] = "met\x00"
    response = reviewer.post(
        transition_url(forwarded), {"action": "accept", "data": data}, format="json"
    )
    assert response.status_code == 400, response.content[:300]
    [message] = response.json()["data"]
    assert "data.requirements[0].remarks contains a NUL character" in message
    assert unchanged(forwarded)


def test_api_nul_in_a_nested_key(reviewer, forwarded):
    data = {**accept_data(forwarded), "note\x00": "x"}
    response = reviewer.post(
        transition_url(forwarded), {"action": "accept", "data": data}, format="json"
    )
    assert response.status_code == 400
    assert "data.note\x00 contains a NUL character" in response.json()["data"][0]
    assert unchanged(forwarded)


def test_api_nul_in_the_comment(reviewer, forwarded):
    response = reviewer.post(
        transition_url(forwarded),
        {"action": "accept", "comment": "ok\x00", "data": accept_data(forwarded)},
        format="json",
    )
    assert response.status_code == 400
    assert "comment contains a NUL character" in response.json()["comment"][0]
    assert unchanged(forwarded)


def test_api_two_megabyte_comment_is_refused(reviewer, forwarded):
    response = reviewer.post(
        transition_url(forwarded),
        {"action": "accept", "comment": TWO_MB, "data": accept_data(forwarded)},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "comment": [f"comment is {len(TWO_MB)} characters long; the limit is 20000."]
    }
    assert unchanged(forwarded)


def test_api_comment_over_the_free_text_maximum(reviewer, forwarded):
    response = reviewer.post(
        transition_url(forwarded),
        {"action": "accept", "comment": "x" * 5_001, "data": accept_data(forwarded)},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"comment": ["Ensure this field has no more than 5000 characters."]}
    assert unchanged(forwarded)


def test_api_record_string_over_the_free_text_maximum(reviewer, forwarded):
    data = accept_data(forwarded)
    data["requirements"][0]["remarks"] = "x" * 5_001
    response = reviewer.post(
        transition_url(forwarded), {"action": "accept", "data": data}, format="json"
    )
    assert response.status_code == 400
    assert "the limit is 5000" in response.json()["data"][0]
    assert unchanged(forwarded)


def test_api_json_nested_a_hundred_thousand_levels(reviewer, forwarded):
    body = '{"action": "accept", "data": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    response = reviewer.post(transition_url(forwarded), body, content_type="application/json")
    assert response.status_code == 400
    assert unchanged(forwarded)


def test_api_free_text_model_fields_have_a_maximum(api_as, world):
    client = api_as(world.member)
    response = client.post(
        "/api/v1/offers/",
        {
            "roadmap": world.gaz_roadmap.pk,
            "name": "Valve",
            "okpd2": "28.14.11.000",
            "description": "x" * 5_001,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "description": ["Ensure this field has no more than 5000 characters."]
    }
    assert not Offer.objects.filter(name="Valve").exists()


def test_html_transition_nul_comment_is_400_naming_the_field(client, world, forwarded):
    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("suppliers:offer-transition", args=[forwarded.pk]),
        {
            "action": "accept",
            "comment": "ok\x00",
            "data": json.dumps(accept_data(forwarded)),
        },
    )
    assert response.status_code == 400
    assert "comment contains a NUL character" in response.content.decode()
    assert unchanged(forwarded)


def test_html_transition_two_megabyte_comment_is_refused(client, world, forwarded):
    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("suppliers:offer-transition", args=[forwarded.pk]),
        {"action": "accept", "comment": TWO_MB, "data": json.dumps(accept_data(forwarded))},
    )
    assert response.status_code == 400
    assert "comment is 2097152 characters long; the limit is 20000" in response.content.decode()
    assert unchanged(forwarded)


def test_html_transition_record_with_an_escaped_nul_is_refused(client, world, forwarded):
    data = accept_data(forwarded)
    data["requirements"][0]["remarks"] = "met\x00"
    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("suppliers:offer-transition", args=[forwarded.pk]),
        {"action": "accept", "data": json.dumps(data)},  # "\u0000" inside the JSON text
        follow=True,
    )
    assert response.status_code == 200
    assert "contains a NUL character" in response.content.decode()
    assert unchanged(forwarded)


def test_html_query_string_with_a_nul(client, world):
    client.force_login(world.staff)
    response = client.get(reverse("certification:register"), {"search": "a\x00b"})
    assert response.status_code == 400
    assert "search contains a NUL character" in response.content.decode()


def test_html_offer_form_free_text_maximum(client, world):
    client.force_login(world.member)
    response = client.post(
        reverse("suppliers:offer-create"),
        {
            "roadmap": world.gaz_roadmap.pk,
            "name": "Valve",
            "okpd2": "28.14.11.000",
            "description": "x" * 5_001,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["description"] == [
        "Ensure this value has at most 5000 characters (it has 5001)."
    ]
    assert not Offer.objects.filter(name="Valve").exists()
