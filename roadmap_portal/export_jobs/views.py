"""A list's export as a page answers it (inline, or queued as a job), and the job's pages."""

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from roadmap_portal.exports import (
    EXPORT_CONTENT_TYPES,
    EXPORT_FORMATS,
    ExportList,
    export_csv_lines,
    export_list_get,
    export_xlsx,
)
from roadmap_portal.storage import stored_file_response

from .models import ExportStatus
from .selectors import export_jobs_of
from .services import IN_PROGRESS, export_job_request, export_job_revive

EXPORT_PARAM = "export"


def wants_export(request) -> bool:
    return EXPORT_PARAM in request.GET


def inline_response(export_list: ExportList, rows, file_format: str, *, stream: bool = True):
    """The file itself: CSV streamed line by line (or whole, ``stream=False``), XLSX written
    in memory (at most ``EXPORT_INLINE_MAX_ROWS`` rows either way)."""
    filename = export_list.filename(file_format)
    if file_format == "csv" and stream:
        response = StreamingHttpResponse(
            export_csv_lines(export_list, rows), content_type=EXPORT_CONTENT_TYPES["csv"]
        )
    elif file_format == "csv":
        response = HttpResponse(
            "".join(export_csv_lines(export_list, rows)).encode("utf-8"),
            content_type=EXPORT_CONTENT_TYPES["csv"],
        )
    else:
        buffer = io.BytesIO()
        export_xlsx(export_list, rows, buffer)
        response = HttpResponse(buffer.getvalue(), content_type=EXPORT_CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(request, export_list: ExportList, rows):
    """``?export=csv|xlsx`` on a list page: the list's rows (already filtered, ordered and
    scoped by the list itself) as a file, or, above ``EXPORT_INLINE_MAX_ROWS`` rows, a job
    and a redirect to its page."""
    file_format = request.GET.get(EXPORT_PARAM, "")
    if file_format not in EXPORT_FORMATS:
        return HttpResponseBadRequest(
            _("export: choose one of %(codes)s.") % {"codes": ", ".join(EXPORT_FORMATS)},
            content_type="text/plain; charset=utf-8",
        )
    total = rows.count()
    if total <= settings.EXPORT_INLINE_MAX_ROWS:
        return inline_response(export_list, rows, file_format)
    job = export_job_request(
        user=request.user,
        export_list=export_list,
        params=request.GET,
        file_format=file_format,
        rows_total=total,
    )
    messages.info(
        request,
        _("%(count)s rows are many: the file is being written, this page shows its progress.")
        % {"count": total},
    )
    return redirect("export-job-detail", job.pk)


def list_title(name: str) -> str:
    try:
        return str(export_list_get(name).title)
    except LookupError:
        return name


@login_required
def export_job_list(request):
    jobs = list(export_jobs_of(request.user)[:50])
    for job in jobs:
        job.title = list_title(job.list_name)
    return render(
        request,
        "export_jobs/job_list.html",
        {
            "jobs": jobs,
            "refresh": any(job.status in IN_PROGRESS for job in jobs),
            "keep_hours": settings.EXPORT_KEEP_HOURS,
        },
    )


@login_required
def export_job_detail(request, pk):
    # A job whose worker died is queued again before it is shown.
    job = export_job_revive(get_object_or_404(export_jobs_of(request.user), pk=pk))
    return render(
        request,
        "export_jobs/job_detail.html",
        {"job": job, "title": list_title(job.list_name), "refresh": job.status in IN_PROGRESS},
    )


@login_required
def export_job_status(request, pk):
    """The job's progress for its page's script (owner only; a dead job is revived)."""
    job = export_job_revive(get_object_or_404(export_jobs_of(request.user), pk=pk))
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
            "rows_text": _("%(done)s of %(total)s rows written")
            % {"done": job.rows_done, "total": job.rows_total or "…"},
        }
    )


@login_required
def export_job_download(request, pk):
    """The job's file, for its owner only: anyone else gets 404, as for a missing job."""
    job = get_object_or_404(export_jobs_of(request.user), pk=pk)
    return job_file_response(job)


def job_file_response(job):
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    return stored_file_response(
        job.file,
        filename=f"{job.list_name.replace('.', '-')}-{job.created:%Y-%m-%d}-{job.pk}.{job.file_format}",
        content_type=EXPORT_CONTENT_TYPES[job.file_format],
    )
