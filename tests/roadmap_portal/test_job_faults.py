"""A report's worker killed (kill -9) mid-build: the job's lease runs out, the next request or
the sweep queues it again, a new worker builds it, and no request is ever answered with a
dead job. Real PostgreSQL, Redis and Celery worker processes."""

import time

import pytest
from django.test import Client
from django.utils import timezone

from roadmap_portal.insights.reports import IN_PROGRESS, reports_sweep
from roadmap_portal.models import Report, Roadmap
from roadmap_portal.outbox.services import REPORTS, queue_name
from tests.conftest import Worker, wait_for
from tests.demo_data import load_demo
from tests.factories import user_with_role

# Kills a worker at moments measured in tenths of a second: the file runs in the serial
# part of make test, where no other test shares the process or the machine's two cores.
pytestmark = [
    pytest.mark.worker,
    pytest.mark.serial,
    pytest.mark.django_db(transaction=True),
]

LEASE = 3  # seconds: the worker renews it every second


@pytest.fixture
def report_queue(settings, monkeypatch):
    """Starts workers on this test process's report queue, with a short lease."""
    settings.REPORT_LEASE_SECONDS = LEASE
    settings.REPORT_MAX_ATTEMPTS = 3
    monkeypatch.setenv("REPORT_LEASE_SECONDS", str(LEASE))
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(queue_name(REPORTS)).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def _answer_is_live(api, roadmap, year) -> tuple[int, bool]:
    """Ask for the report; (id, whether the job answered is live at the time of the answer:
    built, or queued or running under a lease that has not run out)."""
    asked = timezone.now()
    response = api.post("/api/v1/reports/", {"roadmap": roadmap.pk, "year": year}, format="json")
    assert response.status_code == 202, response.content
    report = Report.objects.get(pk=response.json()["id"])
    if report.status not in IN_PROGRESS:
        return report.pk, report.status == "done"
    return report.pk, report.lease_until is not None and report.lease_until >= asked


def _read_is_live(api, html, report_id: int) -> tuple[int, bool]:
    """Read the job (API, then its page); whether what was shown was live at the time."""
    asked = timezone.now()
    response = api.get(f"/api/v1/reports/{report_id}/")
    assert response.status_code == 200
    shown = response.json()["status"]
    assert html.get(f"/reports/{report_id}/").status_code == 200
    report = Report.objects.get(pk=report_id)
    if shown not in IN_PROGRESS:
        return report_id, shown == "done"
    return report_id, report.lease_until is not None and report.lease_until >= asked


@pytest.mark.parametrize(
    ("moment", "revived_by"),
    [(0.0, "request"), (0.8, "sweep"), (1.6, "read")],
    ids=["at-claim-new-request", "mid-build-sweep", "later-mid-build-read"],
)
def test_report_worker_killed_mid_build_is_built_and_never_dead(
    report_queue, api_as, moment, revived_by
):
    load_demo()
    roadmap = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    staff = user_with_role("region_staff", region=roadmap.region)
    api = api_as(staff)
    html = Client()
    html.force_login(staff)
    worker = report_queue()

    first, live = _answer_is_live(api, roadmap, 2017)
    assert live is True
    running = wait_for(
        lambda: Report.objects.filter(pk=first, status="running").exists(),
        timeout=120,
        interval=0.02,
    )
    assert running is True, worker.output()
    time.sleep(moment)
    worker.kill()
    killed_at = time.monotonic()
    # Read after the kill: a build that ended between a read and the kill was not cut off.
    cut_off = Report.objects.get(pk=first).status == "running"

    answers: list[tuple[int, bool]] = []
    # Until the lease runs out the dead worker's job still counts as held; after it, the
    # next request (or the sweep) queues it again.
    deadline = time.monotonic() + LEASE + 1.5
    while time.monotonic() < deadline:
        if revived_by == "request":
            answers.append(_answer_is_live(api, roadmap, 2017))
        elif revived_by == "read":
            answers.append(_read_is_live(api, html, first))
        time.sleep(0.3)
    if revived_by == "sweep":
        swept = reports_sweep()
        assert (first in swept) is cut_off
    answers.append(_answer_is_live(api, roadmap, 2017))
    replacement = report_queue()

    def built():
        finished = Report.objects.filter(pk=first, status__in=["done", "failed"]).first()
        if finished is None:
            answers.append(_answer_is_live(api, roadmap, 2017))
        return finished

    report = wait_for(built, timeout=120, interval=0.3)
    delay = time.monotonic() - killed_at
    assert report is not None, replacement.output()
    # A request that comes once the report is built asks for a new one: only jobs made
    # before then would be duplicates.
    rows = Report.objects.filter(
        subject_key=report.subject_key,
        year=2017,
        language=report.language,
        created__lt=report.finished,
    )
    lost = 0 if report.status == "done" else 1
    duplicated = rows.count() - 1
    dead_answers = sum(1 for _, live in answers if not live)
    print(
        f"\nkill -9 worker {moment}s after claim ({'cut off' if cut_off else 'already built'},"
        f" revived by {revived_by}): tries=1, attempts={report.attempts}, lost={lost},"
        f" duplicated={duplicated}, requests={len(answers)}, dead answers={dead_answers},"
        f" longest delay={delay:.1f}s"
    )
    assert report.status == "done", report.message
    # Every answer given while the job was alive or revivable named that job. A job the
    # worker finished before it was killed is read as itself, while a new request for the
    # report after it was built asks for a new job (not a duplicate: made after it).
    expected = {first} if cut_off or revived_by == "read" else set()
    assert {pk for pk, _ in answers if rows.filter(pk=pk).exists()} == expected
    assert dead_answers == 0
    assert duplicated == 0
    assert report.attempts == (2 if cut_off else 1)


def test_cut_off_too_often_fails_with_the_reason_and_a_request_gets_a_new_job(
    report_queue, api_as, settings
):
    """A build cut off REPORT_MAX_ATTEMPTS times is failed with its reason; asking again
    makes a new job instead of returning the dead one."""
    load_demo()
    roadmap = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    api = api_as(user_with_role("region_staff", region=roadmap.region))
    first, _ = _answer_is_live(api, roadmap, 2016)
    Report.objects.filter(pk=first).update(
        status="running",
        attempts=settings.REPORT_MAX_ATTEMPTS,
        lease_until=timezone.now() - timezone.timedelta(seconds=1),
    )
    assert reports_sweep() == [first]
    failed = Report.objects.get(pk=first)
    assert failed.status == "failed"
    assert failed.message == "The report could not be built: the build was cut off (attempts: 3)."
    second, live = _answer_is_live(api, roadmap, 2016)
    assert second != first
    assert live is True
