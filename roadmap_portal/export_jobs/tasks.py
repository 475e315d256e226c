"""Export jobs' Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task

from roadmap_portal.outbox import OutboxTask


@shared_task(base=OutboxTask, outbox_atomic=False)
def export_list(job_id):
    """Write one export job's file (queue ``exports``); a failure is recorded on the job."""
    from .services import export_job_build

    return export_job_build(job_id=job_id)


@shared_task
def sweep_export_jobs():
    """Beat schedule: queue again jobs whose worker died, delete expired jobs and files."""
    from .services import export_jobs_sweep

    return export_jobs_sweep()
