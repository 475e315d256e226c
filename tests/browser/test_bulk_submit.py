"""A supplier selects ten drafts on the product list and submits them at once."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from suppliers.models import Offer
from tests.browser.test_every_page import AXE, AXE_RUN, OVERFLOW
from tests.factories import OfferFactory, RoadmapFactory, SupplierFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supplier_submits_ten_drafts_at_once(live_server, browser):
    supplier = SupplierFactory(name="Микран")
    roadmap = RoadmapFactory(region=supplier.region)
    drafts = [
        OfferFactory(supplier=supplier, roadmap=roadmap, name=f"Модуль СВЧ М-{n}")
        for n in range(10)
    ]
    member = user_with_role("supplier", supplier=supplier, language="ru")
    user_with_role("region_staff", region=supplier.region)
    client = Client()
    client.force_login(member)
    cookie = {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "domain": urlsplit(live_server.url).hostname,
        "path": "/",
    }

    with browser() as context:
        context.add_init_script(path=str(AXE))
        context.add_cookies([cookie])
        page = context.new_page()
        page.goto(f"{live_server.url}/suppliers/offers/")
        page.check("#offers-bulk-all")  # "select all", by its label for screen readers
        assert page.locator("input[data-bulk-row]:checked").count() == 10
        assert page.locator("[data-bulk-count]").inner_text() == "Выбрано: 10"
        page.click("#offers-bulk-submit")
        page.wait_for_load_state("networkidle")
        results = page.locator("#bulk-results")
        heading = results.locator("h2").inner_text()
        done = results.locator("[data-outcome=done]").count()
        all_rows = results.locator("[data-outcome]").count()
        statuses = page.locator("#offer-table .badge.status-submitted").count()
        page.set_viewport_size({"width": 390, "height": 800})
        phone_width = page.evaluate(OVERFLOW)
        violations = page.evaluate(AXE_RUN)
        page.screenshot(path="test-results/bulk-submit.png", full_page=True)

    assert heading == "Итог: выполнено — 10, не выполнено — 0"
    assert (done, all_rows, statuses) == (10, 10, 10)
    assert phone_width <= 390
    assert violations == []
    assert set(
        Offer.objects.filter(pk__in=[o.pk for o in drafts]).values_list("status", flat=True)
    ) == {"submitted"}
