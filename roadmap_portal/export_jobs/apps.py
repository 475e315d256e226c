from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportJobsConfig(AppConfig):
    name = "roadmap_portal.export_jobs"
    label = "export_jobs"
    verbose_name = _("Export jobs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import tasks  # noqa: F401 - registered before a job is published by name
