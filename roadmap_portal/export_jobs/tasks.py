"""Export jobs' Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task

from roadmap_portal.outbox.services import OutboxTask

from .services import EXPORT_LIST, export_job_build, export_jobs_sweep


@shared_task(name=EXPORT_LIST, base=OutboxTask, outbox_atomic=False)
def export_list(job_id):
    """Write one export job's file (queue ``exports``); a failure is recorded on the job."""
    return export_job_build(job_id=job_id)


@shared_task
def sweep_export_jobs():
    """Beat schedule: queue again jobs whose worker died, delete expired jobs and files."""
    return export_jobs_sweep()
