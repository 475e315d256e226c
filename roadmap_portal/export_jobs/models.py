"""An export of a working list built by a worker (see ``roadmap_portal.export_jobs``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExportStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("export status", "Queued")
    RUNNING = "running", pgettext_lazy("export status", "Being written")
    DONE = "done", pgettext_lazy("export status", "Ready")
    FAILED = "failed", pgettext_lazy("export status", "Failed")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportJob(models.Model):
    """One export: the list and its query string, its progress and its file.

    ``lease_until`` bounds how long a job may look held: a queued job must be picked up by
    then, a running one renews it with each progress report. Past it, the sweep queues the
    job again (``export_jobs_sweep``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    # The partner key the export was asked with: it narrows the scope as it did the request.
    api_key = models.ForeignKey(
        "roadmap_portal.ApiKey", null=True, blank=True, on_delete=models.CASCADE, editable=False
    )
    list_name = models.CharField(_("list"), max_length=60)
    query = models.TextField(_("filters"), blank=True)
    file_format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    language = models.CharField(_("language"), max_length=5, default="ru")
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", blank=True, max_length=200)
    error = models.TextField(_("error"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, editable=False)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        indexes = [models.Index(fields=["user", "-created"], name="export_job_user_created")]

    def __str__(self) -> str:
        return f"{self.list_name}.{self.file_format} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
