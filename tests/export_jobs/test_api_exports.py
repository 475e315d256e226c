"""The API's lists export what they list: ``GET <list>/export/`` under the same filters and
``ordering``, and ``/export-jobs/`` for exports queued as jobs."""

import csv
import io

import pytest
from openpyxl import load_workbook

from roadmap_portal.export_jobs.models import ExportJob

pytestmark = pytest.mark.django_db

# (API list, who reads, filters, CSV column, JSON key of a listed row)
API_LISTS = {
    "review-queue": ("reviewer_A", {"status": "tested"}, 0, lambda r: str(r["id"])),
    "offers": ("staff_A", {"status": "forwarded", "ordering": "name"}, 0, lambda r: str(r["id"])),
    "suppliers": ("staff_A", {"verification_status": "verified"}, 0, lambda r: str(r["id"])),
    "certificates": ("officer_A", {"status": "valid"}, 1, lambda r: r["number"]),
    "register": (
        "member_A",
        {"active": "true", "ordering": "-number"},
        1,
        lambda r: str(r["number"]),
    ),
    "tenders": ("reviewer_A", {"status": "open"}, 0, lambda r: r["number"]),
    "contracts": ("reviewer_A", {"year": "2025"}, 0, lambda r: r["number"]),
    "demands": ("reviewer_A", {"search": "1 Heron"}, 0, lambda r: str(r["id"])),
    "notifications": ("reviewer_A", {"read": "false"}, 2, lambda r: r["message"]),
}


def csv_rows(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_each_api_list_exports_its_rows_in_its_order(world, api_as, name):
    who, filters, column, key = API_LISTS[name]
    api = api_as(getattr(world, who))
    listed = api.get(f"/api/v1/{name}/", {**filters, "page_size": 200})
    assert listed.status_code == 200, listed.content[:300]
    results = listed.json()["results"]
    assert results
    rows = csv_rows(api.get(f"/api/v1/{name}/export/", filters))
    assert [row[column] for row in rows[1:]] == [key(r) for r in results]
    xlsx = api.get(f"/api/v1/{name}/export/", {**filters, "export": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [str(r[column]) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        key(r) for r in results
    ]


def test_the_api_export_keeps_the_other_region_out(world, api_as):
    rows = csv_rows(api_as(world.staff_A).get("/api/v1/offers/export/"))
    assert len(rows) > 1
    assert not any(" B" in cell for row in rows for cell in row)


def test_a_client_may_ask_for_the_file_type_by_accept(world, api_as):
    api = api_as(world.staff_A)
    response = api.get("/api/v1/offers/export/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"


def test_bad_filters_and_formats_are_400_with_the_field(world, api_as):
    api = api_as(world.staff_A)
    response = api.get("/api/v1/offers/export/", {"export": "pdf"})
    assert response.status_code == 400
    assert response.json()["export"] == ["Choose one of: csv, xlsx."]
    response = api.get("/api/v1/offers/export/", {"status": "flying"})
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert ExportJob.objects.count() == 0


def test_the_review_queue_export_is_for_reviewers(world, api_as):
    assert api_as(world.staff_A).get("/api/v1/review-queue/export/").status_code == 403
    response = api_as(world.staff_A).post(
        "/api/v1/export-jobs/", {"list": "review-queue"}, format="json"
    )
    assert response.status_code == 403
    assert ExportJob.objects.count() == 0


def test_a_large_api_export_answers_202_with_the_job(world, api_as, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    api = api_as(world.staff_A)
    response = api.get("/api/v1/offers/export/", {"status": "forwarded", "export": "xlsx"})
    assert response.status_code == 202
    job = ExportJob.objects.get()
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/export-jobs/{job.pk}/")
    assert (body["list"], body["format"], body["query"], body["status"]) == (
        "api.offers",
        "xlsx",
        "status=forwarded",
        "pending",
    )
    assert (body["rows_total"], body["rows_done"], body["download"]) == (2, 0, None)


def test_export_jobs_are_created_listed_and_read_by_their_owner_only(
    world, api_as, django_capture_on_commit_callbacks
):
    api = api_as(world.reviewer_A)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/export-jobs/",
            {"list": "review-queue", "format": "csv", "query": "status=tested&ordering=-name"},
            format="json",
        )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    detail = api.get(f"/api/v1/export-jobs/{job_id}/").json()
    assert (detail["status"], detail["rows_done"], detail["rows_total"]) == ("done", 2, 2)
    rows = csv_rows(api.get(f"/api/v1/export-jobs/{job_id}/download/"))
    assert [row[1] for row in rows[1:]] == ["Motor A", "Lamp A"]
    assert [j["id"] for j in api.get("/api/v1/export-jobs/").json()["results"]] == [job_id]
    other = api_as(world.reviewer_B)
    assert other.get("/api/v1/export-jobs/").json()["results"] == []
    assert other.get(f"/api/v1/export-jobs/{job_id}/").status_code == 404


def test_an_export_job_for_an_unknown_list_or_bad_filter_is_refused(world, api_as):
    api = api_as(world.staff_A)
    response = api.post("/api/v1/export-jobs/", {"list": "secrets"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"list": ["No list is exported as “secrets”."]}
    response = api.post(
        "/api/v1/export-jobs/", {"list": "offers", "query": "status=flying"}, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["status"]
    response = api.post("/api/v1/export-jobs/", {"list": "offers", "format": "pdf"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["format"]
    assert ExportJob.objects.count() == 0


def test_anonymous_callers_get_401(db, api):
    assert api.get("/api/v1/export-jobs/").status_code == 401
    assert api.get("/api/v1/offers/export/").status_code == 401


def test_a_partner_keys_export_job_keeps_the_keys_narrower_scope(
    world, settings, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    from roadmap_portal.api.authentication import generate_key
    from roadmap_portal.models import ApiKey
    from tests.factories import user_with_role

    settings.API_RATE_KEY = ""
    partner = user_with_role("partner", username="partner.heron")
    key, prefix, hashed = generate_key()
    ApiKey.objects.create(
        name="region A",
        organisation="Partner",
        user=partner,
        prefix=prefix,
        hashed_key=hashed,
        region=world.region_A,
        write_resources=["export-jobs"],
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    inline = csv_rows(api.get("/api/v1/register/export/"))
    assert {row[4] for row in inline[1:]} == {"RU-AX"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/export-jobs/", {"list": "register"}, format="json")
    assert response.status_code == 202, response.content
    job = ExportJob.objects.get()
    assert job.api_key.prefix == prefix
    job.refresh_from_db()
    assert job.status == "done", job.error
    from_job = csv_rows(api.get(f"/api/v1/export-jobs/{job.pk}/download/"))
    assert from_job == inline
    # The same person without the key reads both regions' entries.
    unnarrowed = APIClient()
    unnarrowed.force_authenticate(partner)
    assert {row[4] for row in csv_rows(unnarrowed.get("/api/v1/register/export/"))[1:]} == {
        "RU-AX",
        "RU-BX",
    }
