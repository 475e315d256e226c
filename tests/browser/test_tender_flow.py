"""A supplier sees an open tender, reads why it is eligible, bids; a reviewer awards it."""

import pytest
from django.conf import settings

from procurement.models import Contract, Tender
from tests.conftest import login
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supplier_bids_and_reviewer_awards(live_server, browser):
    load_demo()
    tender = Tender.objects.get(number="ГТМ-2026-0415")

    with browser() as context:
        page = context.new_page()
        login(page, live_server, "kaluga.valve", settings.DEMO_PASSWORD)
        page.goto(f"{live_server.url}/procurement/tenders/mine/")
        assert tender.title in page.locator("main").inner_text()
        page.goto(f"{live_server.url}/procurement/tenders/{tender.pk}/")
        checks = page.locator("main").inner_text()
        assert "Соответствует" in checks
        assert "ИГС.RU.1101.001" in checks  # the certificate the eligibility rests on
        bid_form = page.locator("#bid-form")
        bid_form.locator("input[type=checkbox]").first.check()
        bid_form.locator("input[name=price]").fill("331000000")
        bid_form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#own-bid").count() == 1
        page.screenshot(path="test-results/bid.png", full_page=True)
        page.close()

        context.clear_cookies()
        reviewer = context.new_page()
        login(reviewer, live_server, "gazprom.reviewer", settings.DEMO_PASSWORD)
        reviewer.goto(f"{live_server.url}/procurement/tenders/{tender.pk}/")
        assert "Калужская арматура" in reviewer.locator("#eligibility").inner_text()
        reviewer.locator("#award-form button[name=bid]").first.click()
        reviewer.wait_for_load_state("networkidle")
        reviewer.close()

    tender.refresh_from_db()
    assert tender.status == "awarded"
    contract = Contract.objects.get(tender=tender)
    assert contract.amount == 331_000_000 and "Калужская арматура" in contract.supplier.name
