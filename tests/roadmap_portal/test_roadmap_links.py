"""What a roadmap may link to: visibility from its fields, the rest from the service.

Region staff once linked their roadmap to another region's as ``previous`` (and then read and
rewrote that region's series), or moved a roadmap with offers in review to another group.
"""

import pytest
from rest_framework.test import APIClient

from roadmap_portal.models import Roadmap
from suppliers.models import Offer
from tests.factories import (
    CorporationFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    admin_user,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def two_regions():
    own, other = RegionFactory(), RegionFactory()
    group = CorporationFactory()
    return {
        "own": RoadmapFactory(region=own, corporation=group),
        "own_old": RoadmapFactory(region=own, corporation=group),
        "other": RoadmapFactory(region=other, corporation=group),
        "staff": user_with_role("region_staff", region=own),
    }


def patch(user, roadmap, **body):
    return client_of(user).patch(f"/api/v1/roadmaps/{roadmap.pk}/", body, format="json")


def test_staff_cannot_follow_another_regions_roadmap(two_regions):
    """Another region's roadmap answers exactly as a missing one, and nothing is linked."""
    own, other = two_regions["own"], two_regions["other"]
    hidden = patch(two_regions["staff"], own, previous=other.pk)
    missing = patch(two_regions["staff"], own, previous=other.pk + 10_000)
    assert hidden.status_code == 400
    assert hidden.json() == {"previous": [f'Invalid pk "{other.pk}" - object does not exist.']}
    assert missing.json() == {
        "previous": [f'Invalid pk "{other.pk + 10_000}" - object does not exist.']
    }
    own.refresh_from_db()
    assert own.previous_id is None


def test_staff_link_their_own_regions_roadmap(two_regions):
    own, old = two_regions["own"], two_regions["own_old"]
    response = patch(two_regions["staff"], own, previous=old.pk)
    assert response.status_code == 200
    assert response.json()["previous"] == old.pk


def test_even_an_administrator_links_only_within_a_region(two_regions):
    """The administrator sees both roadmaps: the same-region rule is the service's."""
    own, other = two_regions["own"], two_regions["other"]
    response = patch(admin_user(), own, previous=other.pk)
    assert response.status_code == 400
    assert response.json() == {"previous": ["A roadmap follows a roadmap of its own region."]}
    assert Roadmap.objects.get(pk=own.pk).previous_id is None


def test_no_roadmap_follows_itself_its_successor_or_an_already_followed_one(two_regions):
    own, old = two_regions["own"], two_regions["own_old"]
    staff = two_regions["staff"]
    assert patch(staff, own, previous=own.pk).json() == {
        "previous": ["A roadmap cannot follow itself."]
    }
    assert patch(staff, own, previous=old.pk).status_code == 200
    assert patch(staff, old, previous=own.pk).json() == {
        "previous": ["A roadmap cannot follow one of its own successors."]
    }
    third = RoadmapFactory(region=own.region, corporation=own.corporation, title="Third")
    assert patch(staff, third, previous=old.pk).json() == {
        "previous": [f"Another roadmap already follows “{old.title}”."]
    }
    assert Roadmap.objects.get(pk=third.pk).previous_id is None


def test_corporation_stays_once_offers_were_made(two_regions):
    """Offers of a roadmap are in its group's review: moving the roadmap would move them."""
    own, staff = two_regions["own"], two_regions["staff"]
    offer = OfferFactory(roadmap=own, supplier__region=own.region, status="forwarded")
    another_group = CorporationFactory()
    response = patch(staff, own, corporation=another_group.pk)
    assert response.status_code == 400
    assert response.json() == {
        "corporation": ["Offers were made under this roadmap: its corporation cannot change."]
    }
    assert Roadmap.objects.get(pk=own.pk).corporation_id == offer.roadmap.corporation_id
    assert Offer.objects.get(pk=offer.pk).roadmap.corporation_id != another_group.pk


def test_corporation_of_a_roadmap_without_offers_may_change(two_regions):
    own, staff = two_regions["own"], two_regions["staff"]
    another_group = CorporationFactory()
    response = patch(staff, own, corporation=another_group.pk)
    assert response.status_code == 200
    assert response.json()["corporation"] == another_group.pk
