"""Every page of every role runs under the Content-Security-Policy without a violation:
no inline script, no inline event handler, no inline style, nothing from elsewhere."""

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["tomsk.staff", "mikran", "gazprom.reviewer", "intergazcert.officer", "admin"]

# Recorded in the page before any of its own scripts: Playwright's init scripts are not
# subject to the page's policy.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


def _watch(page, seen):
    page.on(
        "console",
        lambda message: (
            seen.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )


def _visit(page, url, seen):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    seen.extend(f"{url}: {v}" for v in page.evaluate("window.__cspViolations || []"))


def test_main_pages_of_every_role_record_no_csp_violation(live_server, browser):
    call_command("load_demo", verbosity=0)
    seen: list[str] = []
    visited: list[str] = []
    with browser() as context:
        context.add_init_script(RECORD_VIOLATIONS)
        for username in ROLES:
            page = context.new_page()
            _watch(page, seen)
            login(page, live_server, username, settings.DEMO_PASSWORD)
            links = page.eval_on_selector_all(
                "#nav a.nav-link[href^='/'], #nav a.dropdown-item[href^='/'], footer a[href^='/']",
                "links => links.map(a => a.getAttribute('href'))",
            )
            admin = ["/admin/", "/admin/suppliers/offer/", "/admin/auth/user/add/"]
            extra = admin if username == "admin" else []
            for path in ["/", *dict.fromkeys(links), "/notifications/", *extra]:
                _visit(page, f"{live_server.url}{path}", seen)
                visited.append(f"{username} {path}")
            # Bootstrap's script runs: the account menu opens.
            _visit(page, f"{live_server.url}/", seen)
            page.set_viewport_size({"width": 1440, "height": 900})
            page.click("#account-menu")
            assert page.locator("#account-menu + .dropdown-menu").is_visible()
            context.clear_cookies()
            page.close()
        # The API docs (Swagger UI) run their script from a file and draw the operations.
        page = context.new_page()
        _watch(page, seen)
        _visit(page, f"{live_server.url}/api/docs/", seen)
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        # The login page and the registration form, signed out.
        _visit(page, f"{live_server.url}/accounts/login/", seen)
        _visit(page, f"{live_server.url}/suppliers/register/", seen)
    assert len(visited) >= 5 * 5
    assert seen == []
