"""Demands, tenders, bids and contracts: what the corporation buys from the region."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from .choices import BidStatus, TenderStatus

money = {"max_digits": 18, "decimal_places": 2, "validators": [MinValueValidator(Decimal(0))]}


class Tender(models.Model):
    customer = models.ForeignKey(
        "roadmap_portal.Corporation",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="tenders",
    )
    number = models.CharField(_("number"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=400)
    description = models.TextField(_("description"), blank=True)
    categories = models.JSONField(_("OKPD2 categories"), default=list)
    published_on = models.DateField(_("published on"))
    deadline = models.DateField(_("submission deadline"))
    estimated_value = models.DecimalField(_("estimated value, RUB"), **money)
    status = models.CharField(
        _("status"), max_length=20, choices=TenderStatus.choices, default=TenderStatus.ANNOUNCED
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_on", "-id"]
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["updated", "id"]),
            # Search (roadmap_portal/search/selectors.py; PostgreSQL only).
            GinIndex(
                SearchVector("title", "description", config="russian"),
                name="tender_search_document",
            ),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="tender_title_trgm"),
            # (over UPPER: ``icontains`` compares upper-cased text on PostgreSQL).
            GinIndex(OpClass(Upper("number"), name="gin_trgm_ops"), name="tender_number_trgm"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class Bid(models.Model):
    tender = models.ForeignKey(
        Tender, verbose_name=_("tender"), on_delete=models.PROTECT, related_name="bids"
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="bids",
    )
    offers = models.ManyToManyField(
        "suppliers.Offer", verbose_name=_("offered products"), related_name="bids"
    )
    price = models.DecimalField(_("price, RUB"), null=True, blank=True, **money)
    eligibility = models.JSONField(_("eligibility at bidding"), default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=BidStatus.choices, default=BidStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "supplier"],
                name="one_bid_per_supplier",
                violation_error_message=_("This supplier has already bid on this tender."),
            )
        ]

    def __str__(self):
        return f"{self.supplier} → {self.tender.number}"


class Contract(models.Model):
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    customer = models.ForeignKey(
        "roadmap_portal.Corporation",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    tender = models.ForeignKey(
        Tender,
        verbose_name=_("tender"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    bid = models.OneToOneField(
        Bid, null=True, blank=True, on_delete=models.PROTECT, related_name="contract"
    )
    number = models.CharField(_("number"), max_length=100, blank=True)
    subject = models.CharField(_("subject"), max_length=400, blank=True)
    amount = models.DecimalField(_("amount, RUB"), **money)
    signed_on = models.DateField(_("signed on"))
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [
            models.Index(fields=["customer", "signed_on"]),
            # Covering: the volume of a region's suppliers is summed from this index alone,
            # without a heap read per contract.
            models.Index(
                fields=["supplier", "signed_on"],
                include=["customer", "amount"],
                name="contract_supplier_signed_cover",
            ),
            models.Index(fields=["updated", "id"]),
        ]

    def __str__(self):
        return f"{self.number or self.pk}: {self.amount}"
