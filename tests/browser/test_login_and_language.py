"""A person signs in with a demo account, sees their home page, and switches language."""

import pytest
from django.conf import settings

from tests.conftest import login
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_region_staff_signs_in_sees_their_work_and_switches_language(live_server, browser):
    load_demo()
    with browser() as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        assert "/accounts/login/" in page.url
        assert page.locator("main h1").inner_text() == "Вход"

        page.fill("#id_username", "tomsk.staff")
        page.fill("#id_password", "wrong password")
        page.click("main form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "неверн" in page.locator(".alert-danger").inner_text().lower()

        login(page, live_server, "tomsk.staff", settings.DEMO_PASSWORD)
        assert page.url.rstrip("/") == live_server.url
        assert "Томская область" in page.locator("#role-line").inner_text()
        agenda = page.locator("#agenda").inner_text()
        assert "Поставщики, ожидающие проверки" in agenda
        page.screenshot(path="test-results/home-ru.png", full_page=True)

        page.click("#language-form button[data-lang=en]")
        page.wait_for_load_state("networkidle")
        assert "Suppliers waiting for verification" in page.locator("#agenda").inner_text()
        assert page.locator("html").get_attribute("lang") == "en"

        page.click("#language-form button[data-lang=ru]")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "ru"


def test_each_demo_role_lands_on_its_own_home(live_server, browser):
    load_demo()
    expectations = {
        "gazprom.reviewer": "Газпром",
        "intergazcert.officer": "ИНТЕРГАЗСЕРТ",
        "mikran": "Микран",
        "kaluga.staff": "Калужская область",
    }
    with browser() as context:
        for username, scope_text in expectations.items():
            page = context.new_page()
            login(page, live_server, username, settings.DEMO_PASSWORD)
            assert scope_text in page.locator("#role-line").inner_text(), username
            assert page.locator("#agenda .card").count() >= 1
            page.context.clear_cookies()
            page.close()
