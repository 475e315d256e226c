"""Every answer carries the Content-Security-Policy (no inline script, no inline style) and
the Permissions-Policy, whatever the page: portal, admin, API, errors, the lockout page."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.demo_data import load_demo
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; base-uri 'none'; connect-src 'self'; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; "
    "script-src 'self'; style-src 'self'"
)


def _directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def _paths_without_arguments(resolver: URLResolver, prefix: str = "") -> list[str]:
    paths = []
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if "<" in route or "(?P" in route or route.startswith("^"):
            continue
        if isinstance(pattern, URLResolver):
            paths += _paths_without_arguments(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            paths.append("/" + prefix + route)
    return sorted(set(paths))


def test_every_page_without_arguments_has_both_headers():
    load_demo()
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    paths = _paths_without_arguments(get_resolver())
    assert len(paths) >= 30
    checked = 0
    for path in paths:
        if path.startswith("/accounts/logout"):
            continue
        response = client.get(path)
        if path == "/api/docs/":
            continue  # its own policy: the next test
        assert _directives(response["Content-Security-Policy"]) == _directives(POLICY), path
        assert "camera=()" in response["Permissions-Policy"], path
        checked += 1
    assert checked >= 30


def test_signed_out_pages_errors_and_api_answers_have_them(client):
    for path in ["/accounts/login/", "/suppliers/register/", "/no-such-page/", "/api/v1/"]:
        response = client.get(path)
        assert _directives(response["Content-Security-Policy"]) == _directives(POLICY), path
        assert response["Permissions-Policy"].startswith("accelerometer=(), autoplay=()"), path


def test_the_policy_admits_no_inline_script_and_no_plugins(client):
    directives = _directives(client.get("/accounts/login/")["Content-Security-Policy"])
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    permissions = client.get("/accounts/login/")["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


def test_api_docs_allow_swagger_ui_styles_but_no_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    directives = _directives(response["Content-Security-Policy"])
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert b"<script src=" in response.content
    assert b"<script>" not in response.content


def test_the_policy_written_once_follows_the_settings_and_matches_django_csp(client, settings):
    from csp.utils import build_policy

    assert client.get("/api/v1/")["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "EXCLUDE_URL_PREFIXES": ["/api/"],
        "DIRECTIVES": {"script-src": ["'self'"], "report-uri": "/csp-report/"},
    }
    page, api = client.get("/accounts/login/"), client.get("/api/v1/")
    assert (
        page["Content-Security-Policy"] == api["Content-Security-Policy"] == ("default-src 'none'")
    )
    report_only = page["Content-Security-Policy-Report-Only"]
    assert report_only == build_policy(report_only=True)
    assert report_only.endswith("; report-uri /csp-report/")
    assert "Content-Security-Policy-Report-Only" not in api


def test_templates_hold_no_inline_script_handler_or_style():
    import re
    from pathlib import Path

    from django.conf import settings

    pages = [
        p
        for p in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
        if p.parts[-2] != "emails" and p.name != "report_document.html"
    ]
    assert len(pages) > 30
    offenders = []
    for page in pages:
        text = page.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{page}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{page}: inline event handler")
        if re.search(r"\sstyle\s*=|<style", text) or "javascript:" in text:
            offenders.append(f"{page}: inline style or javascript: URL")
    assert offenders == []
