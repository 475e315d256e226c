from django.conf import settings
from django.core.management.base import BaseCommand

from roadmap_portal.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo data of PRODUCT.md section 9 (idempotent)."

    def handle(self, *args, **options):
        load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo loaded. Sign in as admin, tomsk.staff, kaluga.staff, interrao.reviewer, "
                "gazprom.reviewer, intergazcert.officer, mikran, kaluga.maker or partner "
                f"with the password from DEMO_PASSWORD ({'default' if settings.DEMO_PASSWORD == 'roadmap-demo-2026' else 'custom'})."
            )
        )
