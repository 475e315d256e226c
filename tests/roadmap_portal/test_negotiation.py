"""The remembered negotiation (roadmap_portal.api.negotiation) chooses what DRF's own does,
the first time and every time after, and remembers no refusal."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from roadmap_portal.api import negotiation
from roadmap_portal.api.negotiation import RememberedNegotiation
from roadmap_portal.api.renderers import FastJSONRenderer, PDFRenderer
from tests.factories import admin_user

ACCEPTS = [
    None,
    "",
    "*/*",
    "application/json",
    "application/json; indent=4",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/pdf",
    "application/*",
    "text/csv",
    "application/json;q=0.5, text/html",
]
RENDERERS = [
    (FastJSONRenderer, BrowsableAPIRenderer),
    (FastJSONRenderer, PDFRenderer),
    (PDFRenderer, FastJSONRenderer, BrowsableAPIRenderer),
]


def request(accept, query=""):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return Request(APIRequestFactory().get(f"/api/v1/offers/{query}", **headers))


def choose(negotiator, accept, classes, query="", suffix=None):
    renderers = [cls() for cls in classes]
    try:
        renderer, media_type = negotiator.select_renderer(request(accept, query), renderers, suffix)
    except NotAcceptable:
        return "406"
    return renderers.index(renderer), media_type


@pytest.fixture(autouse=True)
def forget():
    negotiation._chosen.clear()
    yield
    negotiation._chosen.clear()


@pytest.mark.parametrize("classes", RENDERERS)
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize(("query", "suffix"), [("", None), ("?format=json", None), ("", "pdf")])
def test_the_same_choice_as_drf_first_and_again(classes, accept, query, suffix):
    try:
        expected = choose(DefaultContentNegotiation(), accept, classes, query, suffix)
    except Exception as error:  # an unknown format: DRF's own 404
        with pytest.raises(type(error)):
            choose(RememberedNegotiation(), accept, classes, query, suffix)
        return
    first = choose(RememberedNegotiation(), accept, classes, query, suffix)
    again = choose(RememberedNegotiation(), accept, classes, query, suffix)
    assert first == again == expected


def test_a_missing_accept_header_and_an_empty_one_are_told_apart():
    classes = (FastJSONRenderer, BrowsableAPIRenderer)
    assert choose(RememberedNegotiation(), None, classes) == (0, "application/json")
    assert choose(RememberedNegotiation(), "", classes) == "406"
    assert choose(RememberedNegotiation(), None, classes) == (0, "application/json")


def test_a_refusal_is_not_remembered_and_the_store_is_bounded():
    classes = (FastJSONRenderer, BrowsableAPIRenderer)
    assert choose(RememberedNegotiation(), "text/csv", classes) == "406"
    assert negotiation._chosen == {}
    for number in range(negotiation.MOST + 10):
        choose(RememberedNegotiation(), f"application/json; v={number}", classes)
    assert 0 < len(negotiation._chosen) <= negotiation.MOST


@pytest.mark.django_db
def test_the_api_negotiates_with_it(api_as):
    client = api_as(admin_user(username="negotiation-admin"))
    answer = client.get("/api/v1/regions/", HTTP_ACCEPT="text/html")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/html")
    assert [key[2] for key in negotiation._chosen] == ["text/html"]
    assert client.get("/api/v1/regions/", HTTP_ACCEPT="text/html")["Content-Type"].startswith(
        "text/html"
    )
    assert client.get("/api/v1/regions/", HTTP_ACCEPT="text/csv").status_code == 406
    answer = client.get("/api/v1/regions/", HTTP_ACCEPT="application/json")
    assert answer["Content-Type"] == "application/json"
    assert isinstance(answer.json()["results"], list)
    assert sorted(key[2] for key in negotiation._chosen) == ["application/json", "text/html"]
