from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SupplierKind(models.TextChoices):
    MANUFACTURER = "manufacturer", _("Manufacturer")
    RESEARCH = "research", _("R&D institution")
    SERVICE = "service", _("Service provider")


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", pgettext_lazy("supplier verification", "Rejected")


class OfferStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("offer status", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("offer status", "Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    FORWARDED = "forwarded", _("Forwarded to the corporation")
    REQUIREMENTS_MET = "requirements_met", _("Requirements met")
    READINESS_CONFIRMED = "readiness_confirmed", _("Readiness confirmed")
    TESTED = "tested", _("Tested")
    CERTIFIED = "certified", _("Certified")
    REGISTERED = "registered", _("Registered")
    EXCLUDED = "excluded", pgettext_lazy("offer status", "Excluded")
    REJECTED = "rejected", pgettext_lazy("offer status", "Rejected")
