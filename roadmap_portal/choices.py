from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    REGION_STAFF = "region_staff", _("Region staff")
    REVIEWER = "reviewer", _("Corporate reviewer")
    OFFICER = "officer", _("Certification officer")
    SUPPLIER = "supplier", _("Supplier member")
    PARTNER = "partner", _("Partner")


class RoadmapStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("roadmap status", "Draft")
    ACTIVE = "active", pgettext_lazy("roadmap status", "Active")
    COMPLETED = "completed", _("Completed")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", pgettext_lazy("report status", "Failed")


# What a partner key may be allowed to write: the API resources (router names) that accept
# writes. A key writes nothing else, whatever its user's role.
API_WRITE_RESOURCES = (
    "bids",
    "certificates",
    "contracts",
    "demands",
    "export-jobs",
    "notifications",
    "offers",
    "reports",
    "requirements",
    "roadmaps",
    "suppliers",
    "tenders",
    "tests",
    "webhooks",
)
