"""The pages outside the crawl of tests/browser/test_every_page.py (which checks every
signed-in page of every role, and the admin site, under the policy) keep the
Content-Security-Policy too: the signed-out pages, the API documentation's script, and the
portal's own script at work (the account menu opens)."""

import pytest
from django.conf import settings

from tests.browser.test_every_page import RECORD_CSP_VIOLATIONS
from tests.conftest import login
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNED_OUT = ["/accounts/login/", "/accounts/password_reset/", "/suppliers/register/"]


def test_signed_out_pages_the_api_docs_and_the_menu_record_no_csp_violation(live_server, browser):
    load_demo()
    seen: list[str] = []

    def visit(page, path):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        seen.extend(f"{path}: {v}" for v in page.evaluate("window.__cspViolations"))

    with browser(viewport={"width": 1440, "height": 900}) as context:
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        page = context.new_page()
        for path in SIGNED_OUT:
            visit(page, path)
        # Swagger UI runs its script from a file and draws the operations.
        visit(page, "/api/docs/")
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        # Bootstrap's script runs under the policy: the account menu opens.
        login(page, live_server, "tomsk.staff", settings.DEMO_PASSWORD)
        visit(page, "/")
        page.click("#account-menu")
        assert page.locator("#account-menu + .dropdown-menu").is_visible()
        seen.extend(f"after the menu: {v}" for v in page.evaluate("window.__cspViolations"))
    assert seen == []
