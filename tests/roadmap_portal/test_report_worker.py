"""The yearly report is built by a real Celery worker from the real Redis queue."""

import io

import pytest
from pypdf import PdfReader

from roadmap_portal.celery import app as celery_app
from roadmap_portal.models import Report, Roadmap
from roadmap_portal.outbox.services import REPORTS, queue_name
from tests.conftest import wait_for
from tests.demo_data import load_demo
from tests.factories import user_with_role

# Report builds under a lease are timed against a real worker: the file runs in the serial
# part of make test, where no other test shares the process or the machine's two cores.
pytestmark = [
    pytest.mark.worker,
    pytest.mark.serial,
    pytest.mark.django_db(transaction=True),
]


def test_report_requested_through_the_api_is_built_by_the_worker(celery_worker_process, api_as):
    load_demo()
    roadmap = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    staff = user_with_role("region_staff", region=roadmap.region)
    celery_app.control.purge()
    celery_worker_process.queue = queue_name(REPORTS)  # where the API queues the build
    celery_worker_process.start()

    response = api_as(staff).post(
        "/api/v1/reports/", {"roadmap": roadmap.pk, "year": 2017, "language": "ru"}, format="json"
    )
    assert response.status_code == 202, response.content
    report_id = response.json()["id"]

    def finished():
        report = Report.objects.get(pk=report_id)
        return report if report.status in ("done", "failed") else None

    report = wait_for(finished, timeout=120)
    assert report is not None, celery_worker_process.output()
    assert report.status == "done", report.message
    detail = api_as(staff).get(f"/api/v1/reports/{report_id}/").json()
    assert detail["status"] == "done" and detail["pdf"]
    pdf = api_as(staff).get(f"/api/v1/reports/{report_id}/pdf/")
    assert pdf.status_code == 200
    text = " ".join(
        page.extract_text()
        for page in PdfReader(
            io.BytesIO(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)
        ).pages
    )
    assert "1 347 000 000" in text and "8,98" in text
    other = user_with_role("region_staff", region=Roadmap.objects.get(region__code="RU-KLU").region)
    assert api_as(other).get(f"/api/v1/reports/{report_id}/pdf/").status_code == 404
