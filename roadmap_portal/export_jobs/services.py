"""Export jobs: asked for by a person, built by a worker under a lease, kept for a while."""

from __future__ import annotations

import datetime
import logging
import tempfile
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from roadmap_portal.exports import (
    EXPORT_FORMATS,
    ExportList,
    export_csv_lines,
    export_list_get,
    export_xlsx,
)
from roadmap_portal.outbox.services import EXPORTS, publish

from .models import ExportJob, ExportStatus

# The task that builds a job (``tasks.export_list``), published by name: the tasks module
# imports this one.
EXPORT_LIST = "roadmap_portal.export_jobs.tasks.export_list"

logger = logging.getLogger(__name__)

IN_PROGRESS = (ExportStatus.PENDING, ExportStatus.RUNNING)
# Query-string names that are not the list's filters: the page, its size, the export itself.
NOT_FILTERS = ("page", "page_size", "export", "cursor", "mode")


class LeaseLost(Exception):
    """Another worker took the job over: this build stops and stores nothing."""


def list_query(params: QueryDict) -> str:
    """The list's query string without paging and the export switch (what the job keeps)."""
    query = params.copy()
    for name in NOT_FILTERS:
        query.pop(name, None)
    return query.urlencode()


def export_job_request(
    *, user, export_list: ExportList, params: QueryDict, file_format: str, rows_total=None
) -> ExportJob:
    """Queue the export of ``export_list`` under ``params`` for ``user``.

    The job and the outbox row that hands it to the ``exports`` queue are written in one
    transaction: a job is never left without its task. The rows are built by the worker
    for the owner's scope (and partner key) at that time."""
    if file_format not in EXPORT_FORMATS:
        raise ValidationError(
            {"export": _("Choose one of: %(codes)s.") % {"codes": ", ".join(EXPORT_FORMATS)}}
        )
    with transaction.atomic():
        job = ExportJob.objects.create(
            user=user,
            api_key=getattr(user, "_api_key", None),
            list_name=export_list.name,
            query=list_query(params),
            file_format=file_format,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            rows_total=rows_total,
            lease_until=timezone.now() + _queue_patience(),
        )
        _publish(job.pk, job.lease_until)
    return job


def _queue_patience() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.EXPORT_QUEUE_SECONDS)


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.EXPORT_LEASE_SECONDS)


def _publish(job_id: int, lease_until: datetime.datetime) -> None:
    """Hand the job to the outbox: one key per hand-off, so a job queued again after its
    lease ran out is a new message."""
    publish(
        EXPORT_LIST,
        key=f"export_list:{job_id}:{lease_until.timestamp():.6f}",
        kwargs={"job_id": job_id},
        queue=EXPORTS,
    )


def export_job_revive(job: ExportJob) -> ExportJob:
    """``job`` as a live job: pending or running past its lease, it is queued again (its
    worker died, or its message was lost); after ``EXPORT_MAX_ATTEMPTS`` cut-off builds it
    fails with the reason. Concurrent callers revive it once (a conditional update)."""
    now = timezone.now()
    if job.status not in IN_PROGRESS or (job.lease_until and job.lease_until >= now):
        return job
    seen = ExportJob.objects.filter(pk=job.pk, status=job.status, lease_until=job.lease_until)
    if job.status == ExportStatus.RUNNING and job.attempts >= settings.EXPORT_MAX_ATTEMPTS:
        with translation.override(job.language):
            error = _("The export was cut off %(count)s times and is given up.") % {
                "count": job.attempts
            }
        seen.update(status=ExportStatus.FAILED, finished=now, error=error)
    else:
        lease_until = now + _queue_patience()
        with transaction.atomic():
            if seen.update(status=ExportStatus.PENDING, lease_until=lease_until, lease_token=None):
                logger.warning("Export job %s queued again (%s, lease ended)", job.pk, job.status)
                _publish(job.pk, lease_until)
    job.refresh_from_db()
    return job


def export_job_build(*, job_id: int) -> str:
    """Build one export job: claim it with a lease (pending, or running with an expired
    lease), rebuild the list's rows for its owner, write the file while reporting progress
    (each report renews the lease), store it in the default storage and mark the job done.

    Idempotent: a job done, failed or held by a live worker is left as it is, and only the
    lease's holder stores a file. A failure is recorded on the job, never raised. Returns
    the job's status."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = ExportJob.objects.filter(
        Q(status=ExportStatus.PENDING)
        | Q(
            status=ExportStatus.RUNNING,
            lease_until__lt=now,
            attempts__lt=settings.EXPORT_MAX_ATTEMPTS,
        ),
        pk=job_id,
    ).update(
        status=ExportStatus.RUNNING,
        started=now,
        error="",
        rows_done=0,
        lease_until=now + _lease(),
        lease_token=token,
        attempts=F("attempts") + 1,
    )
    job = ExportJob.objects.select_related("user", "api_key").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if not claimed:
        return job.status
    held = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING, lease_token=token)

    def progress(done: int) -> None:
        if not held.update(rows_done=done, lease_until=timezone.now() + _lease()):
            raise LeaseLost(job_id)

    name = None
    try:
        with translation.override(job.language):
            export_list = export_list_get(job.list_name)
            user = job.user
            if job.api_key_id is not None:
                user._api_key = job.api_key
            rows = export_list.rows(user, QueryDict(job.query))
            total = rows.count()
            held.update(rows_total=total)
            with tempfile.TemporaryFile() as handle:
                if job.file_format == "csv":
                    for line in export_csv_lines(export_list, rows, progress=progress):
                        handle.write(line.encode("utf-8"))
                else:
                    export_xlsx(export_list, rows, handle, progress=progress)
                handle.seek(0)
                name = default_storage.save(
                    f"exports/{uuid.uuid4().hex}.{job.file_format}", File(handle)
                )
        if not held.update(file=name, status=ExportStatus.DONE, finished=timezone.now()):
            raise LeaseLost(job_id)
    except LeaseLost:
        if name:
            default_storage.delete(name)
        job.refresh_from_db()
        return job.status
    except Exception as exc:  # every failure becomes the job's error, in its language
        logger.exception("Export job %s failed", job_id)
        if name:
            default_storage.delete(name)
        with translation.override(job.language):
            error = _("The export could not be written: %(error)s") % {"error": _reason(exc)}
        held.update(status=ExportStatus.FAILED, finished=timezone.now(), error=error)
        return ExportStatus.FAILED
    return ExportStatus.DONE


def _reason(exc: Exception) -> str:
    if isinstance(exc, LookupError):
        return _("the list no longer exists")
    if exc.__class__.__name__ in ("Http404", "PermissionDenied"):
        return _("the list is no longer open to you")
    return exc.__class__.__name__


def export_jobs_sweep(*, batch_size: int = 100) -> dict[str, int]:
    """The periodic clean-up (beat, every ``JOBS_SWEEP_SECONDS``): revive (or fail) jobs
    whose lease ran out, and delete jobs older than ``EXPORT_KEEP_HOURS`` with their files
    (in the storage too)."""
    now = timezone.now()
    dead = ExportJob.objects.filter(status__in=IN_PROGRESS).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    )
    revived = 0
    for job in dead.order_by("id")[:batch_size]:
        export_job_revive(job)
        revived += 1
    purged = export_jobs_purge(
        before=now - datetime.timedelta(hours=settings.EXPORT_KEEP_HOURS), batch_size=batch_size
    )
    return {"revived": revived, "purged": purged}


def export_jobs_purge(*, before: datetime.datetime, batch_size: int = 1000) -> int:
    """Delete finished jobs created before ``before``, their files first; a file already
    gone is no error. Returns the jobs deleted."""
    old = list(
        ExportJob.objects.filter(created__lt=before)
        .exclude(status__in=IN_PROGRESS)
        .order_by("id")[:batch_size]
    )
    for job in old:
        if job.file:
            default_storage.delete(job.file.name)
    ExportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)
