"""A reviewer takes an offer through requirements, readiness and tests; an officer issues the
certificate; the reviewer includes the product in the register."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from roadmap_portal.models import Roadmap
from suppliers.models import Offer, Supplier
from suppliers.services import offer_create, offer_transition
from tests.conftest import login
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def forwarded_kaluga_offer():
    load_demo()
    users = get_user_model().objects
    supplier = Supplier.objects.get(name__contains="Калужская арматура")
    member = users.get(profile__supplier=supplier)
    offer = offer_create(
        user=member,
        supplier_id=supplier.pk,
        roadmap=Roadmap.objects.get(region__code="RU-KLU"),
        name="Кран шаровой DN 500",
        okpd2="28.14.13.131",
        description="Кран для магистральных газопроводов",
        capacity_per_year=Decimal(60),
        unit="шт.",
        unit_price=Decimal("4100000"),
    )
    offer_transition(offer_id=offer.pk, user=member, action="submit")
    offer_transition(offer_id=offer.pk, user=users.get(username="kaluga.staff"), action="forward")
    return offer.pk, supplier.pk


def test_offer_travels_from_queue_to_register(live_server, browser):
    offer_id, supplier_id = forwarded_kaluga_offer()
    today = timezone.localdate()

    with browser() as context:
        page = context.new_page()
        login(page, live_server, "gazprom.reviewer", settings.DEMO_PASSWORD)
        page.goto(f"{live_server.url}/certification/queue/")
        page.click("text=Кран шаровой DN 500")
        page.wait_for_load_state("networkidle")
        assert f"/certification/review/{offer_id}/" in page.url

        stage = page.locator("#stage-requirements")
        selects = stage.locator("select[name^=outcome_]")
        # Nothing is chosen in advance: accepting without choosing names each requirement.
        assert selects.count() > 0
        assert {select.input_value() for select in selects.all()} == {""}
        stage.locator("input[name=decision][value=accept]").check()
        stage.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        stage = page.locator("#stage-requirements")
        selects = stage.locator("select[name^=outcome_]")
        assert stage.locator("tr.table-danger select.is-invalid").count() == selects.count()
        assert page.locator("#offer-status").get_attribute("class").endswith("status-forwarded")
        for select in selects.all():
            select.select_option("met")
        stage.locator("input[name=decision][value=accept]").check()
        stage.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")

        stage = page.locator("#stage-readiness")
        stage.locator("input[name=capacity_confirmed]").check()
        stage.locator("input[name=site_visit_on]").fill(
            (today - datetime.timedelta(days=3)).isoformat()
        )
        stage.locator("textarea[name=findings]").fill("Площадка готова к серийному выпуску.")
        stage.locator("input[name=decision][value=confirm_readiness]").check()
        stage.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")

        stage = page.locator("#stage-test-record")
        stage.locator("select[name=kind]").select_option("bench")
        stage.locator("input[name=started_on]").fill(
            (today - datetime.timedelta(days=2)).isoformat()
        )
        stage.locator("input[name=finished_on]").fill(today.isoformat())
        stage.locator("select[name=result]").select_option("passed")
        stage.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        stage = page.locator("#stage-tests-decision")
        stage.locator("input[name=decision][value=pass_tests]").check()
        stage.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#offer-status").get_attribute("class").endswith("status-tested")
        page.close()

        context.clear_cookies()
        officer = context.new_page()
        login(officer, live_server, "intergazcert.officer", settings.DEMO_PASSWORD)
        officer.goto(f"{live_server.url}/certification/certificates/new/?offers={offer_id}")
        officer.fill("input[name=number]", "ИГС.RU.1101.777")
        officer.locator("select[name=supplier]").select_option(str(supplier_id))
        officer.locator("select[name=offers]").select_option(str(offer_id))
        officer.fill("input[name=issued_on]", today.isoformat())
        officer.fill("input[name=valid_until]", (today + datetime.timedelta(days=1095)).isoformat())
        officer.locator("input[name=certify_now]").check()
        officer.locator("main form button[type=submit]").last.click()
        officer.wait_for_load_state("networkidle")
        officer.screenshot(path="test-results/certificate.png", full_page=True)
        officer.close()

        context.clear_cookies()
        page = context.new_page()
        login(page, live_server, "gazprom.reviewer", settings.DEMO_PASSWORD)
        page.goto(f"{live_server.url}/certification/review/{offer_id}/")
        page.click("#stage-register button[value=register]")
        page.wait_for_load_state("networkidle")
        page.screenshot(path="test-results/registered.png", full_page=True)
        page.close()

    offer = Offer.objects.get(pk=offer_id)
    assert offer.status == "registered"
    entry = offer.register_entries.get()
    assert entry.certificate.number == "ИГС.RU.1101.777"
    assert list(offer.history.values_list("action", flat=True)) == [
        "submit",
        "forward",
        "accept",
        "confirm_readiness",
        "pass_tests",
        "certify",
        "register",
    ]
