from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "roadmap_portal.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from suppliers.models import Supplier
        from suppliers.signals import supplier_registered

        from .services import supplier_member_join

        supplier_registered.connect(
            supplier_member_join, sender=Supplier, dispatch_uid="accounts.supplier_member_join"
        )
