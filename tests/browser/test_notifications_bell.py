"""The bell shows the unread count; opening a notification leads to its object and marks it read."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from roadmap_portal.models import Notification
from tests.conftest import login
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bell_count_and_opening_a_notification(live_server, browser):
    load_demo()
    user = get_user_model().objects.get(username="mikran")
    unread = Notification.objects.filter(recipient=user, read=False)
    count = unread.count()
    assert count > 0
    newest = unread.order_by("-created", "-id").first()

    with browser() as context:
        page = context.new_page()
        login(page, live_server, "mikran", settings.DEMO_PASSWORD)
        assert page.locator("#unread-count").inner_text() == str(count)
        page.click("#bell")
        page.wait_for_load_state("networkidle")
        page.locator("#notification-list a", has_text=newest.message[:30]).first.click()
        page.wait_for_load_state("networkidle")
        landed = page.url
        shown = page.locator("#unread-count")
        shown_count = shown.inner_text() if shown.count() else "0"

    assert landed.endswith(newest.url)
    newest.refresh_from_db()
    assert newest.read
    assert int(shown_count) == count - 1
