"""A large export is written by a real Celery worker from the real Redis queue."""

import csv
import io

import pytest
from django.urls import reverse

from roadmap_portal.celery import app as celery_app
from roadmap_portal.export_jobs.models import ExportJob
from roadmap_portal.outbox.services import EXPORTS, queue_name
from suppliers.models import Offer
from tests.conftest import wait_for
from tests.factories import OfferFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROWS = 1_100  # more than two chunks of progress (EXPORT_CHUNK_ROWS = 500)


def test_a_large_export_runs_on_the_worker_with_progress_and_only_its_owner_downloads_it(
    world, client, api_as, settings, celery_worker_process
):
    settings.EXPORT_INLINE_MAX_ROWS = 1_000
    sample = world.offers_A["Motor A"]
    Offer.objects.bulk_create(
        [
            OfferFactory.build(
                supplier=sample.supplier,
                roadmap=sample.roadmap,
                status="forwarded",
                name=f"Bulk {n:04d}",
            )
            for n in range(ROWS)
        ]
    )
    celery_app.control.purge()
    celery_worker_process.queue = queue_name(EXPORTS)  # where the outbox hands the job
    celery_worker_process.start()

    client.force_login(world.staff_A)
    response = client.get(
        reverse("suppliers:offer-list"), {"status": "forwarded", "search": "Bulk", "export": "csv"}
    )
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.rows_total == ROWS

    def finished():
        job.refresh_from_db()
        return job.status in ("done", "failed")

    assert wait_for(finished, timeout=120), celery_worker_process.output()
    assert job.status == "done", job.error
    assert job.rows_done == job.rows_total == ROWS
    assert job.attempts == 1

    downloaded = client.get(reverse("export-job-download", args=[job.pk]))
    assert downloaded.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(downloaded.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + ROWS
    # The list's order: newest first.
    assert [row[1] for row in rows[1:3]] == [f"Bulk {ROWS - 1:04d}", f"Bulk {ROWS - 2:04d}"]
    # The job's status through the API, for the owner; nobody else reaches it.
    status = api_as(world.staff_A).get(f"/api/v1/export-jobs/{job.pk}/").json()
    assert (status["status"], status["rows_done"], status["percent"]) == ("done", ROWS, 100)
    assert status["download"].endswith(f"/api/v1/export-jobs/{job.pk}/download/")
    for other in (world.staff_B, world.reviewer_A):
        assert api_as(other).get(f"/api/v1/export-jobs/{job.pk}/").status_code == 404
        assert api_as(other).get(f"/api/v1/export-jobs/{job.pk}/download/").status_code == 404
        client.force_login(other)
        assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 404
