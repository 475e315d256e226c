from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "roadmap_portal.demo"
    label = "demo"
    verbose_name = _("Demo and scale data")
