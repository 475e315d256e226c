from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadmapPortalConfig(AppConfig):
    name = "roadmap_portal"
    verbose_name = _("Roadmaps")
