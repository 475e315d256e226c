"""In Chromium: the import page keeps the chosen file when the roadmap was forgotten, and the
deadline page lists a person's deadlines on a phone without overflowing."""

from urllib.parse import urlsplit

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from roadmap_portal.insights.deadlines import deadlines_for
from suppliers.importing import import_roadmaps
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def session_cookie(live_server, username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "domain": urlsplit(live_server.url).hostname,
        "path": "/",
    }


def product_list(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Наименование", "Код ОКПД2", "Мощность в год", "Единица измерения"])
    sheet.append(["Модуль СВЧ М-14", "26.11.22.110", 500, "шт."])
    book.save(path)
    return path


def test_the_import_keeps_the_file_while_the_roadmap_is_chosen(live_server, browser, tmp_path):
    load_demo()
    user = get_user_model().objects.get(username="mikran")
    roadmap = import_roadmaps(user).exclude(status="completed").first()
    cookie = session_cookie(live_server, "mikran")
    upload = product_list(tmp_path / "kept-list.xlsx")

    with browser() as context:
        context.add_cookies([cookie])
        page = context.new_page()
        page.goto(f"{live_server.url}/suppliers/offers/import/")
        page.select_option("select[name=roadmap]", "")
        page.set_input_files("input[name=file]", str(upload))
        page.click("#import-upload")
        kept = page.locator("#import-kept").inner_text()
        roadmap_error = page.locator("#import-form .invalid-feedback").inner_text()
        page.select_option("select[name=roadmap]", str(roadmap.pk))
        page.click("#import-upload")  # no file chosen again
        page.wait_for_url("**/suppliers/offers/import/*-*-*-*-*/")
        preview = page.locator("main").inner_text()

    assert "kept-list.xlsx" in kept
    assert roadmap_error == "Выберите дорожную карту, по которой предлагается продукция."
    assert "kept-list.xlsx" in preview
    assert "Модуль СВЧ М-14" in preview


def test_the_deadline_page_fits_a_phone(live_server, browser):
    load_demo()
    staff = get_user_model().objects.get(username="kaluga.staff")
    expected = len(deadlines_for(staff).items)
    cookie = session_cookie(live_server, "kaluga.staff")

    with browser(viewport={"width": 390, "height": 800}) as context:
        context.add_cookies([cookie])
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        page.click("#home-deadlines")
        page.wait_for_url("**/deadlines/")
        shown = page.locator(".deadline-item").count()
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        heading = page.locator("h1").inner_text()

    assert expected > 0
    assert shown == expected
    assert overflow <= 390
    assert heading.strip() == "Сроки"
