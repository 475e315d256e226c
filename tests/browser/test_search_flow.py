"""A demo staff member types in the navigation's search box, reads the grouped results and
opens one."""

import pytest

from tests.browser.test_every_page import AXE, AXE_RUN, OVERFLOW, _session_cookie
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_from_the_navigation_and_open_a_result(live_server, browser):
    load_demo()
    cookie = _session_cookie(live_server, "tomsk.staff")

    with browser(viewport={"width": 1440, "height": 900}) as context:
        context.add_init_script(path=str(AXE))
        context.add_cookies([cookie])
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        box = page.get_by_label("Поиск по порталу")
        box.fill("электродвигателей")
        box.press("Enter")
        page.wait_for_load_state("networkidle")
        url = page.url
        kinds = page.locator("#search-results section").evaluate_all(
            "els => els.map(e => e.dataset.kind)"
        )
        offers = page.locator("section[data-kind=offers] .search-hit a")
        titles = offers.all_inner_texts()
        marked = page.locator("section[data-kind=offers] mark").all_inner_texts()
        desktop_width = page.evaluate(OVERFLOW)
        page.screenshot(path="test-results/search-1440.png")
        violations = page.evaluate(AXE_RUN)
        page.set_viewport_size({"width": 390, "height": 800})
        phone_width = page.evaluate(OVERFLOW)
        page.screenshot(path="test-results/search.png", full_page=True)
        offers.first.click()
        page.wait_for_load_state("networkidle")
        opened = page.locator("h1").first.inner_text()

    assert "/search/?q=" in url
    assert kinds == ["offers", "register"]
    assert titles == ["Электродвигатели взрывозащищённые", "Электродвигатели асинхронные АИР 250"]
    assert marked == ["Электродвигатели", "Электродвигатели"]
    assert (desktop_width <= 1440, phone_width <= 390) == (True, True)
    assert violations == []
    assert "Электродвигатели взрывозащищённые" in opened
