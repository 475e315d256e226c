"""Region staff ask a question on an offer, the supplier sees it in the bell and answers, and
the staff member sees the answer's notification: two people, two browser contexts."""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from roadmap_portal.conversations.models import Message
from roadmap_portal.models import Notification
from tests.factories import (
    CorporationFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    user_with_role,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_cookie(live_server, user):
    client = Client()
    client.force_login(user)
    return {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "domain": urlsplit(live_server.url).hostname,
        "path": "/",
    }


def test_a_question_and_its_answer_each_reach_the_other_side(live_server, browser):
    region = RegionFactory(code="RU-TOM", name="Томская область")
    roadmap = RoadmapFactory(region=region, corporation=CorporationFactory())
    supplier = SupplierFactory(region=region, name="Микран")
    offer = OfferFactory(
        supplier=supplier, roadmap=roadmap, status="submitted", name="Анализатор газа"
    )
    staff = user_with_role("region_staff", region=region, username="tomsk.staff", language="ru")
    member = user_with_role("supplier", supplier=supplier, username="mikran", language="ru")
    staff_cookie = _session_cookie(live_server, staff)
    member_cookie = _session_cookie(live_server, member)
    offer_url = f"{live_server.url}/suppliers/offers/{offer.pk}/"
    question = "Какой стандарт?\nИ год выпуска?"
    answer = "ГОСТ 13320-81, 2024 год."

    with browser() as staff_context:
        staff_context.add_cookies([staff_cookie])
        staff_page = staff_context.new_page()
        staff_page.goto(offer_url)
        staff_page.fill("#message-body", question)
        staff_page.click("#message-send")
        staff_page.wait_for_load_state("networkidle")
        asked = staff_page.locator("#timeline .entry-message").last.inner_text()

        member_context = staff_context.browser.new_context(locale="ru-RU")
        member_context.add_cookies([member_cookie])
        member_page = member_context.new_page()
        member_page.goto(f"{live_server.url}/")
        member_unread = member_page.locator("#unread-count").inner_text()
        member_page.click("#bell")
        member_page.locator("#notification-list a", has_text="Анализатор газа").first.click()
        member_page.wait_for_load_state("networkidle")
        landed = urlsplit(member_page.url).path
        member_page.fill("#message-body", answer)
        member_page.click("#message-send")
        member_page.wait_for_load_state("networkidle")
        thread = member_page.locator("#timeline").inner_text()
        member_context.close()

        staff_page.goto(f"{live_server.url}/")
        staff_unread = staff_page.locator("#unread-count").inner_text()
        staff_page.click("#bell")
        staff_page.wait_for_load_state("networkidle")
        staff_heard = staff_page.locator("#notification-list").inner_text()

    assert "Какой стандарт?\nИ год выпуска?" in asked
    assert member_unread == "1"
    assert landed == f"/suppliers/offers/{offer.pk}/"
    assert thread.index("Какой стандарт?") < thread.index(answer)
    assert staff_unread == "1"
    assert "ГОСТ 13320-81" in staff_heard
    assert [m.author.username for m in Message.objects.order_by("id")] == [
        "tomsk.staff",
        "mikran",
    ]
    assert Notification.objects.get(recipient=member).read is True
    assert Notification.objects.get(recipient=staff).read is False
    assert get_user_model().objects.count() == 2
