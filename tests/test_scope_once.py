"""A request builds its scope once (docs/authorization.md): scope_of keeps it on the request's
user, whatever number of selectors, services and templates ask; an API key's scope too."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

import roadmap_portal.scope as scope_module
from roadmap_portal.api.authentication import generate_key
from roadmap_portal.models import ApiKey
from tests.factories import user_with_role
from tests.suppliers.conftest import build_world, make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds(monkeypatch):
    """How many scopes were built (not the kept ones answered again)."""
    real = scope_module.Scope
    tally = {"n": 0}

    def counting(*args, **kwargs):
        tally["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(scope_module, "Scope", counting)
    return tally


def _builds_of(client, url, tally):
    client.get(url)  # the first answer warms what is cached across requests
    tally["n"] = 0
    status = client.get(url).status_code
    return status, tally["n"]


@pytest.mark.parametrize("who", ["member", "staff"])
def test_a_page_builds_the_scope_once(client, builds, who):
    world = build_world()
    offer = make_offer(world, status="submitted")
    client.force_login(getattr(world, who))
    detail = reverse("suppliers:offer-detail", args=[offer.pk])
    assert _builds_of(client, detail, builds) == (200, 1)
    assert _builds_of(client, reverse("dashboard"), builds)[1] == 1


def test_a_key_request_builds_the_scope_once(builds, settings):
    settings.API_RATE_KEY = ""
    world = build_world()
    make_offer(world, status="registered")
    partner = user_with_role("partner")
    key, prefix, hashed = generate_key()
    ApiKey.objects.create(
        name="scope once",
        organisation="Partner",
        user=partner,
        prefix=prefix,
        hashed_key=hashed,
        region=world.tomsk,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert _builds_of(client, "/api/v1/offers/", builds) == (200, 1)
