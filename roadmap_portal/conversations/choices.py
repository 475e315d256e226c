from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Audience(models.TextChoices):
    """Who reads a message: everyone who may see the offer, or one side's staff only (an
    internal note). The supplier's members read only ``everyone``."""

    EVERYONE = "everyone", pgettext_lazy("message audience", "Everyone on the offer")
    REGION = "region", _("Region staff only")
    CORPORATION = "corporation", _("Corporate reviewers only")
    CERTIFICATION = "certification", _("Certification officers only")


# The side whose staff keep an internal note, by the author's role.
NOTE_AUDIENCE_OF_ROLE = {
    "region_staff": Audience.REGION,
    "reviewer": Audience.CORPORATION,
    "officer": Audience.CERTIFICATION,
}
