from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Outcome(models.TextChoices):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Decision(models.TextChoices):
    ACCEPT = "accept", _("Accept")
    REJECT = "reject", _("Reject")


class TestKind(models.TextChoices):
    FACTORY = "factory", _("Factory test")
    BENCH = "bench", _("Bench test")
    PILOT = "pilot", _("Pilot operation")


class TestResult(models.TextChoices):
    PASSED = "passed", pgettext_lazy("test result", "Passed")
    FAILED = "failed", pgettext_lazy("test result", "Failed")


class CertificateEventKind(models.TextChoices):
    ISSUED = "issued", _("Issued")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    REINSTATED = "reinstated", _("Reinstated")
    EXPIRED = "expired", _("Expired")
    RENEWED = "renewed", _("Renewed")
    SCAN_ATTACHED = "scan_attached", _("Scan attached")


class RegisterEventKind(models.TextChoices):
    INCLUDED = "included", _("Included")
    EXCLUDED = "excluded", _("Excluded")
    CERTIFICATE_REPLACED = "certificate_replaced", _("Certificate replaced")
