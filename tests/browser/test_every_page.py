"""Every page a demo person can reach fits the screen and passes axe-core.

For each demo role the crawler starts at the home page and follows the portal's own links,
one page per URL route (the first link to each route; lists' filters and page numbers are
the same template). Each page is measured at five widths, from a phone to a wide desktop:
the document must not be wider than the window. axe-core (from the npm registry,
``node_modules/axe-core``) then checks the page against WCAG 2.2 A and AA: no critical or
serious violation.
"""

import json
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (390, 768, 1280, 1366, 1440)
ROLES = (
    "admin",
    "tomsk.staff",
    "interrao.reviewer",
    "gazprom.reviewer",
    "intergazcert.officer",
    "mikran",
    "kaluga.maker",
    "partner",
)
# Not pages of the portal's own look: Django's admin, the API and its documentation.
SKIPPED_PREFIXES = ("/admin/", "/api/", "/static/", "/media/", "/accounts/logout/", "/i18n/")
# Links that download a file rather than show a page.
DOWNLOADS = ("/pdf/", "/download/", "/export/", "/template/", ".pdf", ".csv", ".xlsx")
MAX_PAGES = 60

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
    resultTypes: ['violations'],
  });
  return result.violations
    .filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""
OVERFLOW = "() => document.documentElement.scrollWidth"


def _route(path):
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _session_cookie(live_server, username):
    """Sign in through Django's test client (outside the browser's event loop)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    host = urlsplit(live_server.url).hostname
    return {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "domain": host,
        "path": "/",
    }


def crawl(page, base):
    """Visit one page per route reachable by links from the home page; yields each URL
    once the page has loaded."""
    seen_routes = set()
    queue = [f"{base}/"]
    while queue and len(seen_routes) < MAX_PAGES:
        url = queue.pop(0)
        route = _route(urlsplit(url).path)
        if route is None or route in seen_routes:
            continue
        seen_routes.add(route)
        response = page.goto(url)
        assert response.status == 200, (url, response.status)
        yield url
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            absolute = urljoin(url, href).split("#", 1)[0]
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != base:
                continue
            if parts.path.startswith(SKIPPED_PREFIXES) or any(d in absolute for d in DOWNLOADS):
                continue
            if _route(parts.path) not in seen_routes:
                queue.append(f"{base}{parts.path}")


def _record(username, pages, overflows, violations):
    """test-results/pages-ROLE.json: the widest page per window width and the violations."""
    widest = {
        width: max((w for _, ww, w in overflows if ww == width), default=width) for width in WIDTHS
    }
    summary = {
        "pages": len(pages),
        "widest": widest,
        "violations": [{"url": urlsplit(u).path, **v} for u, v in violations],
    }
    Path("test-results").mkdir(exist_ok=True)
    Path(f"test-results/pages-{username}.json").write_text(json.dumps(summary, indent=1))


@pytest.mark.parametrize("username", ROLES)
def test_every_page_fits_every_width_and_passes_axe(live_server, browser, username):
    call_command("load_demo", verbosity=0)
    cookie = _session_cookie(live_server, username)
    overflows, violations, pages = [], [], []
    # axe is injected as a script of the test: the portal's own policy forbids it, rightly.
    with browser(bypass_csp=True) as context:
        context.add_cookies([cookie])
        page = context.new_page()
        for url in crawl(page, live_server.url):
            pages.append(url)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                scroll_width = page.evaluate(OVERFLOW)
                if scroll_width > width:
                    overflows.append((url, width, scroll_width))
            page.set_viewport_size({"width": 1440, "height": 900})
            page.add_script_tag(path=str(AXE))
            for violation in page.evaluate(AXE_RUN):
                violations.append((url, violation))
    _record(username, pages, overflows, violations)
    assert len(pages) >= 4, pages
    assert overflows == [], overflows
    assert violations == [], violations
