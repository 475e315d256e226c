from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TenderStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    OPEN = "open", pgettext_lazy("tender status", "Open")
    CLOSED = "closed", pgettext_lazy("tender status", "Closed")
    AWARDED = "awarded", pgettext_lazy("tender status", "Awarded")
    CANCELLED = "cancelled", _("Cancelled")


class BidStatus(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("bid status", "Submitted")
    AWARDED = "awarded", pgettext_lazy("bid status", "Awarded")
    LOST = "lost", _("Not awarded")
