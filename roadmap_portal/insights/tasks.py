"""Celery tasks of the reports: build one, request the yearly ones, sweep dead jobs.

``reports.report_request`` publishes ``build_report`` by name (``reports.BUILD_REPORT``).
"""

from __future__ import annotations

from celery import shared_task

from roadmap_portal.outbox.services import OutboxTask

from .reports import BUILD_REPORT, report_build, reports_sweep, yearly_reports_request


@shared_task(name=BUILD_REPORT, base=OutboxTask, outbox_atomic=False)
def build_report(report_id: int) -> str:
    """Build one requested report; a failure is recorded on the report, never raised."""
    return report_build(report_id=report_id)


@shared_task
def build_yearly_reports(year: int | None = None) -> list[int]:
    """Beat schedule: last year's report for every active roadmap, requested once."""
    return [report.pk for report in yearly_reports_request(year=year)]


@shared_task
def sweep_jobs() -> dict[str, list[int]]:
    """Beat schedule: queue again (or fail) report jobs whose worker died or whose message
    never reached a worker."""
    return {"reports": reports_sweep()}
