"""The API's routes resolved by their first segment (FirstSegmentResolver) resolve every
path as Django's own resolver does over the same routes, in the same order."""

import re

import pytest
from django.http import HttpResponse
from django.urls import URLResolver, get_resolver, include, path, re_path, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern

from roadmap_portal.api.routers import FirstSegmentResolver, first_segment
from roadmap_portal.urls import api_v1

# A value for each named part of the API's routes.
SAMPLES = {
    "pk": "12",
    "format": "json",
    "code": "RU-TOM",
    "attachment_id": "3",
    "attachment_pk": "4",
    "offer_pk": "5",
    "endpoint_pk": "7",
    "id": "1f",
    "name": "bids.json",
}


def view(request, **kwargs):
    return HttpResponse()


def both(routes):
    pattern = RoutePattern("api/v1/", is_endpoint=False)
    return URLResolver(pattern, routes), FirstSegmentResolver(pattern, routes)


def answer(resolver, path):
    try:
        match = resolver.resolve(path)
    except Resolver404:
        return "404"
    return (match.func, match.args, match.kwargs, match.url_name, match.route)


def api_paths():
    """A path for every route of the API, from Django's reverse with sample values."""
    paths = []
    for route in api_v1:
        if isinstance(route.pattern, RoutePattern):
            names = re.findall(r"<(?:\w+:)?(\w+)>", str(route.pattern))
        else:
            names = list(route.pattern.regex.groupindex)
        paths.append(reverse(route.name, kwargs={name: SAMPLES[name] for name in names}))
    return paths


def test_every_api_route_resolves_as_django_resolves_it():
    plain, indexed = both(api_v1)
    paths = api_paths()
    assert len(paths) == len(api_v1) == 109
    wrong = [
        "/api/v1/offers/abc/",
        "/api/v1/offers",
        "/api/v1/nothing/",
        "/api/v1/offers.json/12/",
        "/api/v1/.json",
        "/api/v1/auth/tokens/xyz/",
        "/api/v2/offers/",
    ]
    for each in paths + wrong:
        assert answer(indexed, each[1:]) == answer(plain, each[1:]), each
    assert [answer(indexed, each[1:]) for each in wrong] == ["404"] * len(wrong)


def test_the_portal_resolves_api_paths_through_the_index():
    root = get_resolver()
    assert isinstance(root.url_patterns[0], FirstSegmentResolver)
    match = root.resolve("/api/v1/offers/12/")
    assert (match.url_name, match.kwargs, match.route) == (
        "offers-detail",
        {"pk": "12"},
        "api/v1/offers/(?P<pk>[0-9]+)/$",
    )
    # Only the routes of its first segment were tried.
    assert len(match.tried) <= 13


def test_a_route_without_a_first_segment_of_its_own_is_tried_for_every_path_in_its_place():
    routes = [
        path("offers/x/", view, name="first"),
        re_path(r"^(?P<slug>[a-z]+)/x/$", view, name="any"),
        path("offers/y/", view, name="after-any"),
        path("<str:slug>/y/", view, name="converter"),
        path("tenders/y/", view, name="tenders"),
    ]
    plain, indexed = both(routes)
    expected = {
        "api/v1/offers/x/": "first",
        "api/v1/tenders/x/": "any",
        "api/v1/offers/y/": "after-any",
        "api/v1/tenders/y/": "converter",
        "api/v1/bids/y/": "converter",
    }
    for each, name in expected.items():
        assert indexed.resolve(each).url_name == name
        assert answer(indexed, each) == answer(plain, each)


@pytest.mark.parametrize(
    ("route", "segment"),
    [
        (re_path(r"^offers/(?P<pk>[0-9]+)/$", view), "offers"),
        (re_path(r"^offers\.(?P<format>[a-z0-9]+)/?$", view), "offers"),
        (re_path(r"^offers$", view), "offers"),
        (re_path(r"^\.(?P<format>[a-z0-9]+)/?$", view), ""),
        (re_path(r"^offers?/$", view), None),
        (re_path(r"^(?i)offers/$", view), None),
        (re_path(r"offers/$", view), None),
        (re_path(r"^off.rs/$", view), None),
        (re_path(r"^offers", view), None),
        (path("offers/import/", view), "offers"),
        (path("search/", view), "search"),
        (path("", view), ""),
        (path("healthz", view), "healthz"),
        (path("robots.txt", view), None),
        (path("<int:pk>/", view), None),
        (path("ocds/extension/<str:name>", view), "ocds"),
        (path("accounts/", include([])), "accounts"),
        (path("accounts", include([])), None),
        (path("", include([])), None),
        (re_path(r"^accounts/", include([])), None),
    ],
)
def test_first_segment(route, segment):
    assert first_segment(route) == segment
