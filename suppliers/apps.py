from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppliersConfig(AppConfig):
    name = "suppliers"
    verbose_name = _("Suppliers")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the pipeline's start-up check)
