from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from roadmap_portal.demo.data import load_demo

# The people a newcomer signs in as first, one per role (the README's table).
HEADLINE_USERS = (
    "admin",
    "tomsk.staff",
    "kaluga.staff",
    "interrao.reviewer",
    "gazprom.reviewer",
    "intergazcert.officer",
    "mikran",
    "kaluga.maker",
    "partner",
)


def _scope_name(profile) -> str:
    for related in ("region", "corporation", "certification_body", "supplier"):
        obj = getattr(profile, related, None)
        if obj is not None:
            return str(obj)
    return ""


class Command(BaseCommand):
    help = "Load the demo data (idempotent), then print where to sign in and as whom."

    def handle(self, *args, **options):
        load_demo()
        users = {
            user.username: user
            for user in get_user_model()
            .objects.filter(username__in=HEADLINE_USERS)
            .select_related(
                "profile__region",
                "profile__corporation",
                "profile__certification_body",
                "profile__supplier",
            )
        }
        password = settings.DEMO_PASSWORD
        lines = [
            self.style.SUCCESS("Demo loaded."),
            f"Open {settings.PORTAL_BASE_URL.rstrip('/')}/ and sign in with the password "
            f"{password!r} as:",
        ]
        for username in HEADLINE_USERS:
            user = users.get(username)
            profile = getattr(user, "profile", None)
            role = profile.get_role_display() if profile else ""
            scope = _scope_name(profile) if profile else ""
            lines.append(f"  {username:<22} {role:<34} {scope}")
        lines.append(
            f"E-mails are written to {settings.EMAIL_FILE_PATH} and listed in the delivery log "
            "(/admin/)."
            if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")
            else "E-mails go through " + settings.EMAIL_BACKEND + "."
        )
        self.stdout.write("\n".join(lines))
