"""A reviewer filters the review queue, exports it and finds exactly the filtered rows in the
downloaded file (issue 18: "export the review queue with a filter and read the file back")."""

import csv
import datetime
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from roadmap_portal.exports import neutralise
from suppliers.models import Offer
from tests.factories import (
    CorporationFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    user_with_role,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _queue_world():
    group = CorporationFactory(short_name="Kestrel Group")
    region = RegionFactory(code="RU-KSX", name="Kestrel Oblast")
    roadmap = RoadmapFactory(region=region, corporation=group, title="Kestrel roadmap")
    supplier = SupplierFactory(region=region, name="Kestrel Works")
    for status, name in (
        ("tested", "Turbine blade"),
        ("tested", "Gas analyser"),
        ("tested", "=cmd|' /C calc'!A0"),
        ("forwarded", "Ball valve"),
        ("requirements_met", "Heat exchanger"),
    ):
        OfferFactory(supplier=supplier, roadmap=roadmap, status=status, name=name)
    other_group = CorporationFactory(short_name="Other Group")
    OfferFactory(
        supplier=SupplierFactory(region=region),
        roadmap=RoadmapFactory(region=region, corporation=other_group),
        status="tested",
        name="Not for this reviewer",
    )
    reviewer = user_with_role("reviewer", username="kestrel.reviewer", corporation=group)
    client = Client()
    client.force_login(reviewer)
    return client.cookies["sessionid"].value


def test_a_reviewer_exports_the_filtered_queue_and_reads_it_back(live_server, browser):
    session = _queue_world()
    host = urlsplit(live_server.url).hostname
    files = {}
    with browser(viewport={"width": 390, "height": 844}) as context:
        context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
        page = context.new_page()
        page.goto(f"{live_server.url}/certification/queue/")
        page.select_option("#f-status", "tested")
        page.select_option("#f-ordering", "name")
        page.click("#queue-filters button[type=submit]")
        page.wait_for_load_state("load")
        shown = page.locator("#queue-table tbody tr").count()
        menu = page.locator(".export-menu")
        assert menu.get_attribute("aria-label")
        # The control fits a phone: nothing wider than the window.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for file_format in ("csv", "xlsx"):
            with page.expect_download() as download:
                menu.locator(f"a[data-export={file_format}]").click()
            files[file_format] = Path(download.value.path()).read_bytes()
            files[f"{file_format}-name"] = download.value.suggested_filename

    # The filtered list as the database orders it, each name as a spreadsheet must show it.
    expected = [
        neutralise(name)
        for name in Offer.objects.filter(roadmap__corporation__short_name="Kestrel Group")
        .filter(status="tested")
        .order_by("name", "id")
        .values_list("name", flat=True)
    ]
    assert len(expected) == 3 and "'=cmd|' /C calc'!A0" in expected
    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == expected
    assert files["csv-name"].startswith("review-queue-") and files["csv-name"].endswith(".csv")
    sheet = load_workbook(io.BytesIO(files["xlsx"])).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == expected
    assert shown == len(expected)


def _jobs_world():
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from roadmap_portal.export_jobs.models import ExportJob

    owner = user_with_role("reviewer", username="kestrel.jobs", corporation=CorporationFactory())
    name = default_storage.save("exports/browser-test.csv", ContentFile(b"\xef\xbb\xbfNumber\r\n"))
    done = ExportJob.objects.create(
        user=owner,
        list_name="review-queue",
        query="status=tested",
        file_format="csv",
        status="done",
        rows_total=1,
        rows_done=1,
        file=name,
    )
    running = ExportJob.objects.create(
        user=owner,
        list_name="offers",
        query="status=forwarded&search=" + "x" * 300,
        file_format="xlsx",
        status="running",
        rows_total=1100,
        rows_done=500,
        # Held by a live worker: the page must not revive it.
        lease_until=timezone.now() + datetime.timedelta(hours=1),
    )
    failed = ExportJob.objects.create(
        user=owner,
        list_name="tenders",
        file_format="csv",
        status="failed",
        error="The export could not be written: the list is no longer open to you",
    )
    client = Client()
    client.force_login(owner)
    return client.cookies["sessionid"].value, done.pk, running.pk, failed.pk, name


def test_the_export_job_pages_fit_a_phone_and_pass_axe(live_server, browser):
    from tests.browser.test_every_page import AXE, AXE_RUN, OVERFLOW, RECORD_CSP_VIOLATIONS

    session, done, running, failed, stored = _jobs_world()
    host = urlsplit(live_server.url).hostname
    overflows, violations, blocked = [], [], []
    with browser() as context:
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        context.add_init_script(path=str(AXE))
        context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
        page = context.new_page()
        for path in (
            "/exports/",
            f"/exports/{done}/",
            f"/exports/{failed}/",
            f"/exports/{running}/",
        ):
            assert page.goto(f"{live_server.url}{path}").status == 200
            for width in (390, 1440):
                page.set_viewport_size({"width": width, "height": 900})
                if page.evaluate(OVERFLOW) > width:
                    overflows.append((path, width))
            blocked.extend(page.evaluate("window.__cspViolations"))
            violations.extend((path, v) for v in page.evaluate(AXE_RUN))
        # The running job's page follows it by its script (status every 2 s), not by reloading.
        assert page.locator("#export-progress").get_attribute("value") == "45"
        with page.expect_response(
            lambda r: r.url.endswith(f"/exports/{running}/status/")
        ) as polled:
            pass
        assert polled.value.json()["status"] == "running"
        assert page.locator("#export-rows").inner_text() == "500 of 1100 rows written"
        page.goto(f"{live_server.url}/exports/{done}/")
        with page.expect_download() as download:
            page.click("#export-download")
        content = Path(download.value.path()).read_bytes()
    from django.core.files.storage import default_storage

    default_storage.delete(stored)
    assert content == b"\xef\xbb\xbfNumber\r\n"
    assert overflows == [] and violations == [] and blocked == [], (overflows, violations, blocked)
