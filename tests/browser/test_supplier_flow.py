"""A supplier uploads a product list, fixes an error, confirms and submits; region staff forward."""

import openpyxl
import pytest
from django.conf import settings

from roadmap_portal.models import Roadmap
from suppliers.models import Offer
from tests.conftest import login
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = [
    "name",
    "description",
    "okpd2",
    "import_substitution",
    "replaces",
    "gisp_number",
    "capacity_per_year",
    "unit",
    "unit_price",
]


def product_list(path, okpd2_of_second):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(
        [
            "Антенна радиолокационная АР-5",
            "Антенна",
            "26.30.50.110",
            "да",
            "Thales",
            "",
            120,
            "шт.",
            250000,
        ]
    )
    sheet.append(["Модуль СВЧ М-12", "Модуль", okpd2_of_second, "нет", "", "", 500, "шт.", 48000.5])
    book.save(path)
    return path


def test_supplier_uploads_fixes_confirms_submits_and_staff_forward(live_server, browser, tmp_path):
    load_demo()
    roadmap = Roadmap.objects.get(region__code="RU-TOM", start_year=2018)
    bad = product_list(tmp_path / "products-bad.xlsx", "00.12.34.567")
    good = product_list(tmp_path / "products.xlsx", "26.11.22.110")

    with browser() as context:
        page = context.new_page()
        login(page, live_server, "mikran", settings.DEMO_PASSWORD)
        page.goto(f"{live_server.url}/suppliers/offers/import/")
        page.select_option("select[name=roadmap]", str(roadmap.pk))
        page.set_input_files("input[name=file]", str(bad))
        page.click("#import-upload")
        page.wait_for_load_state("networkidle")
        body = page.locator("main").inner_text()
        assert "Класса ОКПД2 00 не существует" in body  # the bad row is shown with its reason
        assert page.locator("#confirm-import").count() == 0
        page.screenshot(path="test-results/import-errors.png", full_page=True)

        page.goto(f"{live_server.url}/suppliers/offers/import/")
        page.select_option("select[name=roadmap]", str(roadmap.pk))
        page.set_input_files("input[name=file]", str(good))
        page.click("#import-upload")
        page.wait_for_load_state("networkidle")
        assert page.locator("#preview").inner_text().count("Модуль СВЧ М-12") == 1
        page.click("#confirm-import")
        page.wait_for_load_state("networkidle")
        assert "/suppliers/offers/" in page.url
        page.click("a:text-is('Модуль СВЧ М-12')")
        page.wait_for_load_state("networkidle")
        page.click("button[name=action][value=submit]")
        page.wait_for_load_state("networkidle")
        page.close()

        context.clear_cookies()
        staff = context.new_page()
        login(staff, live_server, "tomsk.staff", settings.DEMO_PASSWORD)
        staff.goto(f"{live_server.url}/suppliers/screening/")
        staff.locator("tr", has_text="Модуль СВЧ М-12").locator("button[value=forward]").click()
        staff.wait_for_load_state("networkidle")
        staff.screenshot(path="test-results/screening.png", full_page=True)
        staff.close()

    offers = Offer.objects.filter(supplier__name__contains="Микран", roadmap=roadmap)
    assert offers.get(name="Модуль СВЧ М-12").status == "forwarded"
    assert offers.get(name="Антенна радиолокационная АР-5").status == "draft"
    assert offers.filter(name="Модуль СВЧ М-12").count() == 1
