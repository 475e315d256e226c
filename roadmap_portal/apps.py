from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadmapPortalConfig(AppConfig):
    name = "roadmap_portal"
    verbose_name = _("Roadmaps")

    def ready(self):
        from .input_limits import bound_model_text_fields

        bound_model_text_fields()
