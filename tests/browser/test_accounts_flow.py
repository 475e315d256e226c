"""Accounts in a browser: a forgotten password reset by e-mail, an invitation accepted, and a
language choice kept for the next sign-in in another browser."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache

from roadmap_portal.accounts.models import Invitation
from roadmap_portal.models import Corporation
from tests.conftest import login
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Kedr-Tomsk-2026!"
WIDE = {"viewport": {"width": 1440, "height": 900}}  # the account menu in view, not collapsed


def _only_link(pattern: str) -> str:
    found = [link for message in mail.outbox for link in re.findall(pattern, message.body)]
    assert len(found) == 1, [message.body for message in mail.outbox]
    return found[0]


def test_a_supplier_resets_a_forgotten_password(live_server, browser):
    load_demo()
    cache.clear()  # the hourly count of reset mails per address
    mail.outbox.clear()
    with browser() as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.click("#forgot-password")
        page.wait_for_load_state("networkidle")
        assert page.locator("main h1").inner_text() == "Забыли пароль?"
        page.fill("#id_email", "mikran@example.org")
        page.click("#password-reset-submit")
        page.wait_for_load_state("networkidle")
        assert page.url == f"{live_server.url}/accounts/password_reset/done/"
        assert page.locator("main h1").inner_text() == "Проверьте почту"

    link = _only_link(r"https?://\S+/accounts/reset/\S+/")
    path = link.split("://", 1)[1].split("/", 1)[1]

    with browser() as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/{path}")
        page.fill("#id_new_password1", NEW_PASSWORD)
        page.fill("#id_new_password2", NEW_PASSWORD)
        page.click("#password-reset-confirm-submit")
        page.wait_for_load_state("networkidle")
        assert page.url == f"{live_server.url}/accounts/reset/done/"
        page.click("#password-reset-login")
        page.wait_for_load_state("networkidle")
        login(page, live_server, "mikran", NEW_PASSWORD)
        assert page.url.rstrip("/") == live_server.url
        assert "Микран" in page.locator("#role-line").inner_text()
        page.screenshot(path="test-results/password-reset.png", full_page=True)

        # The link worked once.
        page.goto(f"{live_server.url}/{path}")
        assert page.locator("#password-reset-invalid").count() == 1


def test_an_administrator_invites_a_reviewer_who_accepts(live_server, browser):
    load_demo()
    gazprom = Corporation.objects.get(short_name="Газпром")
    mail.outbox.clear()
    with browser(**WIDE) as context:
        page = context.new_page()
        login(page, live_server, "admin", settings.DEMO_PASSWORD)
        page.click("#account-menu")
        page.click("#profile-menu-link")
        page.wait_for_load_state("networkidle")
        page.click("#invitations-link")
        page.wait_for_load_state("networkidle")
        page.click("#invite-link")
        page.wait_for_load_state("networkidle")
        page.fill("#id_email", "new.reviewer@example.org")
        page.select_option("#id_role", "reviewer")
        assert page.locator("#id_region").is_visible() is False
        page.select_option("#id_corporation", str(gazprom.pk))
        page.click("#invitation-submit")
        page.wait_for_load_state("networkidle")
        assert page.url == f"{live_server.url}/accounts/invitations/"
        row = page.locator("#invitations tbody tr").first
        assert row.get_attribute("data-status") == "pending"
        assert "new.reviewer@example.org" in row.inner_text()
        page.screenshot(path="test-results/invitations.png", full_page=True)

    link = _only_link(r"https?://\S+/accounts/invitation/\S+/")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]

    with browser() as context:
        page = context.new_page()
        page.goto(f"{live_server.url}{path}")
        assert page.locator("main h1").inner_text() == "Принять приглашение"
        page.fill("#id_first_name", "Вера")
        page.fill("#id_last_name", "Новикова")
        page.fill("#id_password1", NEW_PASSWORD)
        page.fill("#id_password2", NEW_PASSWORD)
        page.click("#invitation-accept-submit")
        page.wait_for_load_state("networkidle")
        assert page.url.rstrip("/") == live_server.url
        assert "Газпром" in page.locator("#role-line").inner_text()
        assert page.locator(".account-name").inner_text() == "Вера Новикова"
        page.context.clear_cookies()

        page.goto(f"{live_server.url}{path}")
        assert page.locator("#invitation-invalid-message").get_attribute("data-status") == (
            "accepted"
        )

    reviewer = get_user_model().objects.get(username="new.reviewer@example.org")
    assert (reviewer.profile.role, reviewer.profile.corporation_id) == ("reviewer", gazprom.pk)
    assert Invitation.objects.get(email="new.reviewer@example.org").user_id == reviewer.pk


def test_the_language_chosen_is_kept_after_a_new_login(live_server, browser):
    load_demo()
    with browser(**WIDE) as context:
        page = context.new_page()
        login(page, live_server, "mikran", settings.DEMO_PASSWORD)
        assert page.locator("html").get_attribute("lang") == "ru"
        page.click("#language-form button[data-lang=en]")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "en"
        page.click("#account-menu")
        page.click("form[action='/accounts/logout/'] button")
        page.wait_for_load_state("networkidle")

    # A new browser: no cookie from before.
    with browser(**WIDE) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        assert page.locator("html").get_attribute("lang") == "ru"
        login(page, live_server, "mikran", settings.DEMO_PASSWORD)
        assert page.locator("html").get_attribute("lang") == "en"
        page.click("#account-menu")
        page.click("#profile-menu-link")
        page.wait_for_load_state("networkidle")
        assert page.locator("#id_language").input_value() == "en"
        assert page.locator("main h1").inner_text().strip() == "Profile"
