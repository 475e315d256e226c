"""A completed roadmap takes no new offers: not through the form, the API or the import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from roadmap_portal.choices import RoadmapStatus
from suppliers.models import Offer
from tests.factories import RoadmapFactory

from .conftest import make_offer
from .import_files import product_row, xlsx_bytes

pytestmark = pytest.mark.django_db

SAYS = "is completed: it takes no new offers"


@pytest.fixture
def closed(world):
    world.roadmap.status = RoadmapStatus.COMPLETED
    world.roadmap.save(update_fields=["status"])
    return world.roadmap


def offer_fields(roadmap):
    return {"roadmap": roadmap.pk, "name": "Motor AIR-80", "okpd2": "27.11.22.000"}


def test_api_create(api_as, world, closed):
    response = api_as(world.member).post("/api/v1/offers/", offer_fields(closed), format="json")
    assert response.status_code == 400
    [message] = response.json()["roadmap"]
    assert SAYS in message and closed.title in message
    assert not Offer.objects.exists()


def test_api_moving_a_draft_to_a_completed_roadmap(api_as, world, closed):
    open_roadmap = RoadmapFactory(region=world.tomsk, corporation=world.group)
    draft = make_offer(world)
    draft.roadmap = open_roadmap
    draft.save(update_fields=["roadmap"])
    response = api_as(world.member).patch(
        f"/api/v1/offers/{draft.pk}/", {"roadmap": closed.pk}, format="json"
    )
    assert response.status_code == 400
    assert SAYS in response.json()["roadmap"][0]
    draft.refresh_from_db()
    assert draft.roadmap_id == open_roadmap.pk


def test_html_form(client, world, closed):
    client.force_login(world.member)
    response = client.post(reverse("suppliers:offer-create"), offer_fields(closed))
    assert response.status_code == 400
    # The form offers only active roadmaps; one sent anyway is told why.
    assert response.context["form"].errors["roadmap"] == [
        "Choose an active roadmap of your region: a completed roadmap takes no new offers."
    ]
    assert not Offer.objects.exists()


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_api_import(api_as, world, closed, dry_run):
    response = api_as(world.member).post(
        "/api/v1/offers/import/",
        {
            "file": SimpleUploadedFile("products.xlsx", xlsx_bytes([product_row(1)])),
            "roadmap": closed.pk,
            "dry_run": dry_run,
        },
        format="multipart",
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "roadmap" and SAYS in error["message"]
    assert not Offer.objects.exists()


def test_html_import(client, world, closed):
    client.force_login(world.member)
    response = client.post(
        reverse("suppliers:import"),
        {
            "roadmap": closed.pk,
            "file": SimpleUploadedFile("products.xlsx", xlsx_bytes([product_row(1)])),
        },
    )
    assert SAYS in response.content.decode()
    assert not Offer.objects.exists()


def test_an_active_roadmap_still_takes_offers(api_as, world):
    response = api_as(world.member).post(
        "/api/v1/offers/", offer_fields(world.roadmap), format="json"
    )
    assert response.status_code == 201, response.content
