"""A read-only partner key writes nothing, its own notifications' read marks included; and
an id outside the caller's scope answers exactly what a missing one answers."""

import pytest
from django.contrib.auth import get_user_model

from roadmap_portal.models import Notification
from tests.factories import RegionFactory, user_with_role

from .test_partner_keys import client_with, new_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    user_with_role("partner", username="partner")
    user = get_user_model().objects.get(username="partner")
    Notification.objects.create(recipient=user, event="tender.opened", key="n1", message="A")
    Notification.objects.create(recipient=user, event="tender.opened", key="n2", message="B")
    return user


def test_a_read_only_key_cannot_mark_notifications_read(partner):
    client = client_with(new_key(region=RegionFactory()))
    one = Notification.objects.filter(recipient=partner).first()
    assert client.get("/api/v1/notifications/").status_code == 200
    assert client.post("/api/v1/notifications/read/").status_code == 403
    assert client.post(f"/api/v1/notifications/{one.pk}/read/").status_code == 403
    assert not Notification.objects.filter(read=True).exists()


def test_a_key_that_may_write_notifications_marks_them_read(partner):
    client = client_with(new_key(region=RegionFactory(), write=["notifications"]))
    response = client.post("/api/v1/notifications/read/")
    assert response.status_code == 200 and response.json() == {"updated": 2}


def test_a_signed_in_partner_marks_their_own_notifications_read(partner, api_as):
    assert api_as(partner).post("/api/v1/notifications/read/").json() == {"updated": 2}
