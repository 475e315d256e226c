from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadmapPortalConfig(AppConfig):
    name = "roadmap_portal"
    verbose_name = _("Roadmaps")

    def ready(self):
        from . import tasks  # noqa: F401 - the notification layer's subscriptions
        from .input_limits import bound_model_text_fields

        bound_model_text_fields()
