"""Region staff open the dashboard, see the chart, request the yearly report, download the PDF."""

import io

import pytest
from django.conf import settings
from pypdf import PdfReader

from roadmap_portal.models import Roadmap
from tests.conftest import login
from tests.demo_data import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_chart_report_and_pdf(live_server, browser):
    load_demo()
    roadmap = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)

    with browser() as context:
        page = context.new_page()
        login(page, live_server, "tomsk.staff", settings.DEMO_PASSWORD)
        page.goto(f"{live_server.url}/dashboard/")
        assert page.locator(".chart svg").count() >= 1
        page.screenshot(path="test-results/dashboard.png", full_page=True)

        page.goto(f"{live_server.url}/reports/")
        form = page.locator("#report-request")
        form.locator("select[name=subject]").select_option(
            value=form.locator(
                "select[name=subject] option", has_text=roadmap.title
            ).first.get_attribute("value")
        )
        form.locator("select[name=year]").select_option("2017")
        form.locator("select[name=language]").select_option("ru")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        page.wait_for_selector("#download-pdf", timeout=60_000)
        with page.expect_download() as download:
            page.click("#download-pdf")
        pdf = download.value.path().read_bytes()
        page.close()

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "1 347 000 000" in text and "150 000 000" in text
    assert "8,98" in text
