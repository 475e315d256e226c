"""Every page a demo person can reach fits the screen, passes axe-core and keeps to the
Content-Security-Policy.

For each demo role the crawler starts at the home page and follows the portal's own links,
one page per URL route (the first link to each route; lists' filters and page numbers are
the same template). Each page is measured at one window width per Bootstrap layout it can
take, from a phone to a wide desktop (390 px below ``sm``, 768 ``md``, 1280 ``xl``, 1440
``xxl``; 1366 px, a common laptop, takes 1280's layout: the menu collapsed, the page in the
1140 px container):
the document must not be wider than the window. axe-core (from the npm registry,
``node_modules/axe-core``) then checks the page against WCAG 2.2 A and AA: no critical or
serious violation. Every page runs under the portal's real policy: a script, style or
handler the policy blocks is recorded and fails the test.

The administrator's crawl also walks Django's admin site: every model's list, one object's
form per app, and one page of each other kind (the index, an app's index, an add form, an
object's history, a delete confirmation), at the narrowest and the widest window.
"""

import json
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import Resolver404, resolve

from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Ascending: axe runs at the last one, the widest.
WIDTHS = (390, 768, 1280, 1440)
# Django's admin has one fluid layout (no menu that collapses): a phone and a wide desktop.
ADMIN_WIDTHS = (390, 1440)
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
# Not pages of the portal's own look (the admin site has a crawl of its own): the API and
# its documentation, files, signing out, the language switch.
SKIPPED_PREFIXES = ("/api/", "/static/", "/media/", "/accounts/logout/", "/i18n/")
ADMIN = "/admin/"
# Links that download a file rather than show a page.
DOWNLOADS = ("/pdf/", "/download/", "/export/", "/template/", ".pdf", ".csv", ".xlsx", ".ics")
MAX_PAGES = 100

# Recorded in the page before any of its own scripts: Playwright's init scripts (this one
# and axe-core) are not subject to the page's policy, the page's own code is.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`
  );
});
"""
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


def _admin_kind(route, path):
    """One page of each kind of the admin site, but every model's list (their columns
    differ) and one object's form per app: ``admin:suppliers_offer_changelist`` stays itself,
    ``/admin/suppliers/offer/7/change/`` becomes ``admin:suppliers:change``,
    ``admin:suppliers_offer_history`` becomes ``admin:history``."""
    kind = route.rsplit("_", 1)[-1]
    if kind == "changelist" or "_" not in route:
        return route
    if kind == "change":
        return f"admin:{path.split('/')[2]}:change"
    return f"admin:{kind}"


def _key(path, admin_site):
    """The route a page stands for, or None when the crawl leaves it alone."""
    if path.startswith(SKIPPED_PREFIXES) or path.startswith(ADMIN) != admin_site:
        return None
    route = _route(path)
    if route is None or not admin_site:
        return route
    return _admin_kind(route, path)


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


def crawl(page, base, start="/"):
    """Visit one page per route reachable by links from ``start`` (inside the admin site
    when it starts there, outside it otherwise); yields each URL once the page has
    loaded."""
    admin_site = start.startswith(ADMIN)
    seen = set()
    queue = [f"{base}{start}"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        key = _key(urlsplit(url).path, admin_site)
        if key is None or key in seen:
            continue
        seen.add(key)
        response = page.goto(url)  # returns once the page's load event has fired
        assert response.status == 200, (url, response.status)
        yield url
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            absolute = urljoin(url, href).split("#", 1)[0]
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != base:
                continue
            if any(d in absolute for d in DOWNLOADS):
                continue
            if _key(parts.path, admin_site) not in seen:
                queue.append(f"{base}{parts.path}")


def _record(name, pages, overflows, violations, blocked):
    """test-results/pages-NAME.json: the widest page per window width and the
    violations."""
    widest = {
        width: max((w for _, ww, w in overflows if ww == width), default=width) for width in WIDTHS
    }
    summary = {
        "pages": len(pages),
        "widest": widest,
        "violations": [{"url": urlsplit(u).path, **v} for u, v in violations],
        "csp": blocked,
    }
    Path("test-results").mkdir(exist_ok=True)
    Path(f"test-results/pages-{name}.json").write_text(json.dumps(summary, indent=1))


# About how many seconds each crawl takes on the busy machine (it grows with the pages).
SECONDS = {"admin": 40, "admin-site": 40, "interrao.reviewer": 30, "gazprom.reviewer": 20}
CRAWLS = [
    pytest.param(role, start, id=name, marks=pytest.mark.long(seconds=SECONDS.get(name, 18)))
    for name, role, start in [(role, role, "/") for role in ROLES]
    + [("admin-site", "admin", ADMIN)]
]


@pytest.mark.parametrize(("username", "start"), CRAWLS)
def test_every_page_fits_every_width_passes_axe_and_keeps_the_policy(
    live_server, browser, username, start
):
    load_demo()
    cookie = _session_cookie(live_server, username)
    overflows, violations, pages, blocked = [], [], [], []
    with browser() as context:
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        context.add_init_script(path=str(AXE))
        context.add_cookies([cookie])
        page = context.new_page()
        for url in crawl(page, live_server.url, start):
            pages.append(url)
            for width in ADMIN_WIDTHS if start == ADMIN else WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                scroll_width = page.evaluate(OVERFLOW)
                if scroll_width > width:
                    overflows.append((url, width, scroll_width))
            # Before axe runs: its checks set inline styles, which the policy rightly blocks.
            blocked.extend(f"{url}: {v}" for v in page.evaluate("window.__cspViolations"))
            # axe at the widest window, where the last width left it.
            for violation in page.evaluate(AXE_RUN):
                violations.append((url, violation))
    name = "admin-site" if start == ADMIN else username
    _record(name, pages, overflows, violations, blocked)
    assert len(pages) >= 4, pages
    assert overflows == [], overflows
    assert violations == [], violations
    assert blocked == [], blocked
