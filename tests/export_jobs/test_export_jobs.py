"""Exports above EXPORT_INLINE_MAX_ROWS become jobs: queued through the outbox, built under a
lease with progress, stored in the default storage, downloadable by their owner only, kept
for EXPORT_KEEP_HOURS."""

import csv
import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from roadmap_portal.export_jobs.models import ExportJob
from roadmap_portal.export_jobs.services import (
    export_job_build,
    export_job_revive,
    export_jobs_sweep,
)
from roadmap_portal.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_csv(content):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def small_inline(settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    return settings


def test_a_large_page_export_becomes_a_job_with_the_same_rows(
    world, client, small_inline, django_capture_on_commit_callbacks
):
    client.force_login(world.reviewer_A)
    url = reverse("certification:queue")
    query = {"status": ["tested", "requirements_met"], "ordering": "name", "page": "2"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url, {**query, "export": "csv"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("export-job-detail", args=[job.pk])
    # The job keeps the list's filters, not the page or the switch.
    assert job.query == "status=tested&status=requirements_met&ordering=name"
    assert job.list_name == "review-queue" and job.user == world.reviewer_A
    assert OutboxMessage.objects.filter(task__endswith="export_list", queue="exports").count() == 1
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total) == ("done", 3, 3)
    assert job.file.name.startswith("exports/") and default_storage.exists(job.file.name)

    page = client.get(reverse("export-job-detail", args=[job.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "export_job.js" not in html  # done: nothing more to follow
    assert 'value="100"' in html and reverse("export-job-download", args=[job.pk]) in html
    downloaded = client.get(reverse("export-job-download", args=[job.pk]))
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "text/csv; charset=utf-8"
    small_inline.EXPORT_INLINE_MAX_ROWS = 1000
    inline = read_csv(body(client.get(url, {**query, "export": "csv"})))
    assert read_csv(body(downloaded)) == inline
    assert [row[1] for row in inline[1:]] == ["Cable A", "Lamp A", "Motor A"]


def test_only_the_owner_sees_and_downloads_a_job(world, client, small_inline):
    client.force_login(world.reviewer_A)
    client.get(reverse("suppliers:offer-list"), {"export": "xlsx"})
    job = ExportJob.objects.get()
    export_job_build(job_id=job.pk)  # the worker's part, here in the test's transaction
    job.refresh_from_db()
    assert job.status == "done"
    sheet = load_workbook(
        io.BytesIO(body(client.get(reverse("export-job-download", args=[job.pk]))))
    )
    assert sheet.active.max_row == 1 + job.rows_total
    for other in (world.reviewer_B, world.staff_A):
        client.force_login(other)
        assert client.get(reverse("export-job-detail", args=[job.pk])).status_code == 404
        assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 404
        assert client.get(reverse("export-job-status", args=[job.pk])).status_code == 404
        assert job.pk not in [j.pk for j in client.get(reverse("export-job-list")).context["jobs"]]
    client.logout()
    assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 302


def test_the_account_menu_leads_to_my_exports(world, client):
    client.force_login(world.member_A)
    html = client.get(reverse("home"), follow=True).content.decode()
    assert f'href="{reverse("export-job-list")}" id="exports-menu-link"' in html
    page = client.get(reverse("export-job-list"))
    assert page.status_code == 200 and page.context["jobs"] == []


def test_a_queued_job_page_follows_its_progress(world, client, small_inline):
    client.force_login(world.staff_A)
    client.get(reverse("suppliers:offer-list"), {"export": "csv"})
    job = ExportJob.objects.get()  # no commit in this test: the job is still queued
    page = client.get(reverse("export-job-detail", args=[job.pk])).content.decode()
    status_url = reverse("export-job-status", args=[job.pk])
    assert f'data-export-status-url="{status_url}"' in page and "js/export_job.js" in page
    assert f"0 of {job.rows_total} rows written" in page
    assert client.get(status_url).json() == {
        "status": "pending",
        "status_label": "Queued",
        "rows_done": 0,
        "rows_total": job.rows_total,
        "percent": 0,
        "rows_text": f"0 of {job.rows_total} rows written",
    }
    assert reverse("export-job-download", args=[job.pk]) not in page
    assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 404


def test_building_is_idempotent(world, small_inline, client):
    client.force_login(world.staff_A)
    client.get(reverse("suppliers:offer-list"), {"export": "csv"})
    job = ExportJob.objects.get()
    assert export_job_build(job_id=job.pk) == "done"
    job.refresh_from_db()
    stored = job.file.name
    # A redelivered task finds the job done and writes nothing.
    assert export_job_build(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert job.file.name == stored and job.attempts == 1
    assert export_job_build(job_id=0) == "missing"


def test_a_job_left_by_a_dead_worker_is_queued_again_then_given_up(world, client, small_inline):
    client.force_login(world.staff_A)
    client.get(reverse("suppliers:offer-list"), {"export": "csv"})
    job = ExportJob.objects.get()
    past = timezone.now() - datetime.timedelta(seconds=1)
    ExportJob.objects.filter(pk=job.pk).update(status="running", lease_until=past, attempts=1)
    revived = export_job_revive(ExportJob.objects.get(pk=job.pk))
    assert revived.status == "pending" and revived.lease_until > timezone.now()
    assert OutboxMessage.objects.filter(task__endswith="export_list").count() == 2
    ExportJob.objects.filter(pk=job.pk).update(status="running", lease_until=past, attempts=3)
    assert export_jobs_sweep() == {"revived": 1, "purged": 0}
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "The export was cut off 3 times and is given up."


def test_the_sweep_deletes_old_jobs_and_their_files(world, client, small_inline):
    client.force_login(world.staff_A)
    client.get(reverse("suppliers:offer-list"), {"export": "csv"})
    client.get(reverse("suppliers:offer-list"), {"export": "xlsx"})
    old, fresh = ExportJob.objects.order_by("id")
    for job in (old, fresh):
        export_job_build(job_id=job.pk)
        job.refresh_from_db()
    ExportJob.objects.filter(pk=old.pk).update(
        created=timezone.now() - datetime.timedelta(hours=small_inline.EXPORT_KEEP_HOURS + 1)
    )
    assert export_jobs_sweep() == {"revived": 0, "purged": 1}
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(fresh.file.name)
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [fresh.pk]
    default_storage.delete(fresh.file.name)


def test_a_list_that_turned_away_its_owner_fails_the_job_with_the_reason(
    world, client, small_inline
):
    client.force_login(world.reviewer_A)
    client.get(reverse("certification:queue"), {"export": "csv"})
    job = ExportJob.objects.get()
    profile = world.reviewer_A.profile
    profile.role = "region_staff"
    profile.corporation = None
    profile.region = world.region_A
    profile.save()
    assert export_job_build(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == "The export could not be written: the list is no longer open to you"
    assert not job.file
