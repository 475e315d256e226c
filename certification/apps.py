from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Certification and register")

    def ready(self) -> None:
        # The review's guards, records and inputs join the offer pipeline (suppliers.pipeline).
        from . import pipeline  # noqa: F401
