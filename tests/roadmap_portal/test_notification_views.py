"""The bell's pages and the notifications API: own notifications only, constant queries."""

import itertools

import pytest
from django.urls import reverse

from roadmap_portal.models import Notification, NotificationPreference
from tests.factories import user_with_role
from tests.helpers import assert_constant_queries, assert_scope

pytestmark = pytest.mark.django_db

_keys = itertools.count()


def make_notifications(user, count, **fields):
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            event=fields.get("event", "offer_status"),
            key=f"test:{next(_keys)}",
            message=fields.get("message", "“Lamp” is now Submitted."),
            url=fields.get("url", "/roadmaps/"),
            object_type="offer",
            object_id=7,
            read=fields.get("read", False),
        )
        for _ in range(count)
    )


@pytest.fixture
def mikran():
    return user_with_role("administrator", username="mikran")


@pytest.fixture
def stranger():
    return user_with_role("administrator", username="stranger")


# --- HTML -------------------------------------------------------------------


def test_list_shows_only_own_notifications_with_unread_count(client, mikran, stranger):
    make_notifications(mikran, 2, message="Mine")
    make_notifications(mikran, 1, message="Mine, read", read=True)
    make_notifications(stranger, 1, message="Someone else's")
    client.force_login(mikran)
    response = client.get(reverse("notification-list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("data-notification=") == 3
    assert "Someone else&#x27;s" not in body and "Someone else's" not in body
    assert response.context["unread_notifications"] == 2
    unread = client.get(reverse("notification-list"), {"read": "false"})
    assert unread.content.decode().count("data-notification=") == 2


def test_empty_list_says_so(client, mikran):
    client.force_login(mikran)
    response = client.get(reverse("notification-list"))
    assert 'id="no-notifications"' in response.content.decode()


def test_list_needs_login(client):
    response = client.get(reverse("notification-list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_query_count_is_constant(client, mikran):
    client.force_login(mikran)
    assert_constant_queries(
        lambda n: make_notifications(mikran, n),
        lambda: client.get(reverse("notification-list")),
    )


def test_open_marks_read_and_goes_to_the_object(client, mikran, stranger):
    make_notifications(mikran, 1, url="/roadmaps/")
    make_notifications(stranger, 1)
    mine = Notification.objects.get(recipient=mikran)
    theirs = Notification.objects.get(recipient=stranger)
    client.force_login(mikran)
    response = client.get(reverse("notification-open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/roadmaps/"
    mine.refresh_from_db()
    assert mine.read is True
    assert client.get(reverse("notification-open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read is False


def test_open_never_redirects_off_site(client, mikran):
    make_notifications(mikran, 1, url="https://evil.example/")
    notification = Notification.objects.get(recipient=mikran)
    client.force_login(mikran)
    response = client.get(reverse("notification-open", args=[notification.pk]))
    assert response["Location"] == reverse("notification-list")


def test_mark_one_and_all_read(client, mikran, stranger):
    make_notifications(mikran, 3)
    make_notifications(stranger, 1)
    first = Notification.objects.filter(recipient=mikran).first()
    client.force_login(mikran)
    assert client.get(reverse("notification-read", args=[first.pk])).status_code == 405
    response = client.post(reverse("notification-read", args=[first.pk]))
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=mikran, read=False).count() == 2
    other = Notification.objects.get(recipient=stranger)
    assert client.post(reverse("notification-read", args=[other.pk])).status_code == 404
    client.post(reverse("notification-read-all"))
    assert Notification.objects.filter(recipient=mikran, read=False).count() == 0
    assert Notification.objects.filter(recipient=stranger, read=False).count() == 1


def test_preferences_page_saves_and_rejects_bad_modes(client, mikran):
    client.force_login(mikran)
    page = client.get(reverse("notification-preferences"))
    assert page.status_code == 200
    assert 'name="email-offer_status"' in page.content.decode()
    form = {f"email-{row['event']}": row["mode"] for row in page.context["rows"]}
    form["email-tender_opened"] = "digest"
    form["email-queue_work"] = "off"
    response = client.post(reverse("notification-preferences"), form)
    assert response.status_code == 302
    saved = dict(NotificationPreference.objects.filter(user=mikran).values_list("event", "email"))
    assert saved["tender_opened"] == "digest" and saved["queue_work"] == "off"

    form["email-bid_awarded"] = "hourly"
    form["email-queue_work"] = "digest"
    bad = client.post(reverse("notification-preferences"), form)
    assert bad.status_code == 400
    assert "invalid-feedback" in bad.content.decode()
    unchanged = dict(
        NotificationPreference.objects.filter(user=mikran).values_list("event", "email")
    )
    assert unchanged == saved  # nothing of a bad form is saved


# --- API --------------------------------------------------------------------

LIST = "/api/v1/notifications/"


def test_api_lists_own_notifications_with_object(api, api_as, mikran, stranger):
    make_notifications(mikran, 2)
    make_notifications(mikran, 1, read=True)
    make_notifications(stranger, 4)
    response = assert_scope(url=LIST, anonymous_client=api, allowed=api_as(mikran))
    data = response.json()
    assert data["count"] == 3
    item = data["results"][0]
    assert set(item) == {"id", "event", "message", "object", "read", "created"}
    assert item["object"] == {"type": "offer", "id": 7, "url": "/roadmaps/"}
    assert api_as(mikran).get(LIST, {"read": "false"}).json()["count"] == 2
    assert api_as(mikran).get(LIST, {"read": "true"}).json()["count"] == 1


def test_api_detail_and_read_of_another_users_notification_is_404(api, api_as, mikran, stranger):
    make_notifications(stranger, 1)
    theirs = Notification.objects.get(recipient=stranger)
    assert_scope(
        url=f"{LIST}{theirs.pk}/",
        anonymous_client=api,
        out_of_scope=api_as(mikran),
        allowed=api_as(stranger),
    )
    assert_scope(
        url=f"{LIST}{theirs.pk}/read/",
        method="post",
        data={},
        anonymous_client=api,
        out_of_scope=api_as(mikran),
        allowed=api_as(stranger),
    )
    theirs.refresh_from_db()
    assert theirs.read is True


def test_api_marks_one_then_all_read(api, api_as, mikran, stranger):
    make_notifications(mikran, 3)
    make_notifications(stranger, 2)
    client = api_as(mikran)
    one = Notification.objects.filter(recipient=mikran).first()
    response = client.post(f"{LIST}{one.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert api.post(f"{LIST}read/").status_code == 401
    response = client.post(f"{LIST}read/")
    assert response.status_code == 200 and response.json() == {"updated": 2}
    assert Notification.objects.filter(recipient=stranger, read=False).count() == 2


def test_api_list_query_count_is_constant(api_as, mikran):
    client = api_as(mikran)
    assert_constant_queries(lambda n: make_notifications(mikran, n), lambda: client.get(LIST))
