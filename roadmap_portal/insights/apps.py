from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "roadmap_portal.insights"
    label = "insights"
    verbose_name = _("Volume, dashboards and reports")

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registered before a report is published by name
