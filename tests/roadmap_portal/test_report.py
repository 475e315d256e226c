import io

import pypdf
import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient
from weasyprint import HTML

from roadmap_portal.choices import ReportStatus
from roadmap_portal.insights.dashboard import Subject
from roadmap_portal.insights.reports import (
    portal_url_fetcher,
    report_build,
    report_request,
    yearly_reports_request,
)
from roadmap_portal.insights.tasks import build_yearly_reports
from roadmap_portal.models import Notification, Report, Roadmap
from tests.demo_data import load_demo
from tests.factories import (
    CorporationFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    user_with_role,
)
from tests.helpers import assert_constant_queries, assert_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf_text(data):
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def world():
    region = RegionFactory()
    group = CorporationFactory()
    roadmap = RoadmapFactory(region=region, corporation=group, start_year=2018, end_year=2022)
    return {
        "region": region,
        "group": group,
        "roadmap": roadmap,
        "staff": user_with_role("region_staff", region=region),
        "other_staff": user_with_role("region_staff", region=RegionFactory()),
        "reviewer": user_with_role("reviewer", corporation=group),
        "other_reviewer": user_with_role("reviewer", corporation=CorporationFactory()),
        "supplier": user_with_role("supplier", supplier=SupplierFactory(region=region)),
    }


def test_tomsk_report_pdf_has_russian_figures_and_growth(django_capture_on_commit_callbacks):
    load_demo()
    staff = user_with_role("region_staff", region=Roadmap.objects.get(start_year=2014).region)
    tomsk_2014 = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    with django_capture_on_commit_callbacks(execute=True):
        report, created = report_request(
            user=staff, subject=Subject("roadmap", roadmap=tomsk_2014), year=2017, language="ru"
        )
    report.refresh_from_db()
    assert created and report.status == ReportStatus.DONE, report.message
    assert report.pdf.name.startswith("reports/") and report.pdf.name.endswith(".pdf")
    with report.pdf.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "1 347 000 000" in text
    assert "150 000 000" in text
    assert "8,98" in text
    assert "Томская область" in text
    assert "page 1 of" in text or "стр" in text
    assert Notification.objects.filter(recipient=staff, event="report_ready").count() == 1


def test_english_report_uses_english_number_format():
    load_demo()
    tomsk_2014 = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    report = Report.objects.create(
        scope="roadmap", roadmap=tomsk_2014, subject_key="roadmap:x", year=2017, language="en"
    )
    assert report_build(report_id=report.pk) == ReportStatus.DONE
    report.refresh_from_db()
    with report.pdf.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "1,347,000,000" in text and "8.98" in text


def test_region_report_of_kaluga_builds():
    load_demo()
    kaluga = Roadmap.objects.get(region__code="RU-KLU").region
    report = Report.objects.create(
        scope="region", region=kaluga, subject_key=f"region:{kaluga.pk}", year=2021, language="ru"
    )
    assert report_build(report_id=report.pk) == ReportStatus.DONE
    report.refresh_from_db()
    assert "540 000 000" in report.html


def test_a_failure_is_recorded_as_failed_with_a_message():
    report = Report.objects.create(
        scope="roadmap", subject_key="roadmap:0", year=2020, language="en"
    )
    assert report_build(report_id=report.pk) == ReportStatus.FAILED
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.message == "The report could not be built: The report names no roadmap."
    assert report.finished is not None and not report.pdf
    # A retried task does nothing to a failed report.
    assert report_build(report_id=report.pk) == ReportStatus.FAILED


def test_a_duplicate_request_while_running_returns_the_same_job(world, api_as):
    client = api_as(world["staff"])
    payload = {"roadmap": world["roadmap"].pk, "year": 2020}
    first = client.post("/api/v1/reports/", payload, format="json")
    assert first.status_code == 202, first.content
    assert first.json()["status"] == "pending"
    Report.objects.filter(pk=first.json()["id"]).update(status="running")
    second = client.post("/api/v1/reports/", payload, format="json")
    assert second.status_code == 202
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["status"] == "running"
    assert Report.objects.count() == 1
    # Once finished, asking again builds a new one.
    Report.objects.filter(pk=first.json()["id"]).update(status="done")
    third = client.post("/api/v1/reports/", payload, format="json")
    assert third.json()["id"] != first.json()["id"]


def test_the_database_allows_one_report_in_progress_per_subject(world):
    Report.objects.create(scope="roadmap", roadmap=world["roadmap"], subject_key="k", year=2020)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(scope="roadmap", roadmap=world["roadmap"], subject_key="k", year=2020)


def test_reports_api_scope(world, api, api_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = assert_scope(
            url="/api/v1/reports/",
            method="post",
            data={"roadmap": world["roadmap"].pk, "year": 2020, "language": "en"},
            anonymous_client=api,
            wrong_role=api_as(world["supplier"]),
            allowed=api_as(world["staff"]),
            allowed_status=202,
        )
    report_id = response.json()["id"]
    detail = f"/api/v1/reports/{report_id}/"
    body = assert_scope(
        url=detail,
        anonymous_client=api,
        wrong_role=api_as(world["supplier"]),
        out_of_scope=api_as(world["other_staff"]),
        allowed=api_as(world["reviewer"]),
    ).json()
    assert body["status"] == "done", body
    assert body["pdf"].endswith(f"/api/v1/reports/{report_id}/pdf/")
    pdf = assert_scope(
        url=f"/api/v1/reports/{report_id}/pdf/",
        anonymous_client=api,
        wrong_role=api_as(world["supplier"]),
        out_of_scope=api_as(world["other_reviewer"]),
        allowed=api_as(world["staff"]),
    )
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    # Out-of-scope subjects cannot be requested.
    refused = api_as(world["other_staff"]).post(
        "/api/v1/reports/", {"roadmap": world["roadmap"].pk, "year": 2020}, format="json"
    )
    assert refused.status_code == 400 and "roadmap" in refused.json()
    refused = api_as(world["staff"]).post(
        "/api/v1/reports/", {"corporation": world["group"].pk, "year": 2020}, format="json"
    )
    assert refused.status_code == 400


def test_report_request_needs_exactly_one_subject_and_a_sane_year(world, api_as):
    client = api_as(world["staff"])
    both = client.post(
        "/api/v1/reports/",
        {"roadmap": world["roadmap"].pk, "region": world["region"].code, "year": 2020},
        format="json",
    )
    assert both.status_code == 400
    future = client.post(
        "/api/v1/reports/", {"region": world["region"].code, "year": 2999}, format="json"
    )
    assert future.status_code == 400 and "year" in future.json()


def test_other_region_gets_404_for_the_report_pages(world, client):
    report = Report.objects.create(
        scope="roadmap",
        roadmap=world["roadmap"],
        subject_key=f"roadmap:{world['roadmap'].pk}",
        year=2020,
    )
    report_build(report_id=report.pk)
    client.force_login(world["other_staff"])
    for url in (f"/reports/{report.pk}/", f"/reports/{report.pk}/pdf/"):
        assert client.get(url).status_code == 404
    client.force_login(world["staff"])
    assert client.get(f"/reports/{report.pk}/").status_code == 200
    response = client.get(f"/reports/{report.pk}/pdf/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_report_page_form_and_refresh_while_pending(world, client):
    client.force_login(world["staff"])
    page = client.get("/reports/")
    assert page.status_code == 200 and b'id="report-request"' in page.content
    response = client.post(
        "/reports/",
        {"subject": f"roadmap:{world['roadmap'].pk}", "year": 2020, "language": "ru"},
    )
    assert response.status_code == 302
    report = Report.objects.get()
    detail = client.get(response["Location"])
    assert b'http-equiv="refresh"' in detail.content
    assert report.status == "pending"
    listing = client.get("/reports/")
    assert b'http-equiv="refresh"' in listing.content
    client.force_login(world["supplier"])
    assert client.get("/reports/").status_code == 403


def test_report_list_queries_do_not_grow(world, client):
    client.force_login(world["staff"])

    def make(n):
        for i in range(n):
            Report.objects.create(
                scope="roadmap",
                roadmap=world["roadmap"],
                subject_key=f"roadmap:{world['roadmap'].pk}",
                year=2000 + (Report.objects.count() % 20),
                language="ru",
                status="done" if i % 2 else "failed",
                requested_by=world["staff"],
            )

    assert_constant_queries(make, lambda: client.get("/reports/"))
    api = APIClient()
    api.force_authenticate(world["staff"])
    api.get("/api/v1/reports/")  # the forced user caches its scope on the first request
    assert_constant_queries(make, lambda: api.get("/api/v1/reports/?page_size=100"))


def test_url_fetcher_refuses_files_and_network_but_serves_static_and_data():
    for url in (
        "file:///etc/passwd",
        "http://example.org/logo.png",
        "https://report.portal.invalid/static/../../etc/passwd",
        "https://report.portal.invalid/media/reports/x.pdf",
    ):
        with pytest.raises(ValueError, match="may not load"):
            portal_url_fetcher()(url)
    static = portal_url_fetcher()("https://report.portal.invalid/static/css/portal.css")
    assert b"--portal-blue" in static.read()
    assert static.content_type == "text/css"
    assert portal_url_fetcher()("data:text/plain;base64,aGVsbG8=").read() == b"hello"


def test_a_report_with_a_local_file_image_renders_without_it():
    html = (
        '<html><body><p>Report</p><img src="file:///etc/passwd">'
        '<img src="http://example.org/x.png"></body></html>'
    )
    data = HTML(
        string=html, base_url="https://report.portal.invalid/", url_fetcher=portal_url_fetcher()
    ).write_pdf()
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert list(reader.pages[0].images) == []
    assert "root:" not in pdf_text(data)


def test_yearly_reports_are_requested_once(world, django_capture_on_commit_callbacks):
    draft = RoadmapFactory(status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        first = build_yearly_reports.delay(2021).get()
    assert len(first) == 1
    report = Report.objects.get()
    assert (report.roadmap_id, report.year, report.status) == (world["roadmap"].pk, 2021, "done")
    assert not Report.objects.filter(roadmap=draft).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert build_yearly_reports.delay(2021).get() == []
    assert yearly_reports_request(year=2021) == []
    assert Report.objects.count() == 1
