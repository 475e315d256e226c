"""Suppliers, their product offers, attachments and the offer history."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from roadmap_portal import okpd2

from .choices import OfferStatus, SupplierKind, VerificationStatus
from .validators import validate_inn, validate_ogrn


class Supplier(models.Model):
    name = models.CharField(_("legal name"), max_length=300)
    inn = models.CharField(
        _("INN"),
        max_length=10,
        unique=True,
        validators=[validate_inn],
        error_messages={"unique": _("An organisation with this INN is already registered.")},
    )
    ogrn = models.CharField(_("OGRN"), max_length=13, validators=[validate_ogrn])
    region = models.ForeignKey(
        "roadmap_portal.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="suppliers",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=SupplierKind.choices, default=SupplierKind.MANUFACTURER
    )
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    website = models.URLField(_("website"), blank=True)
    verification_status = models.CharField(
        _("verification status"),
        max_length=20,
        choices=VerificationStatus.choices,
        default=VerificationStatus.PENDING,
    )
    verification_comment = models.TextField(_("verification comment"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        indexes = [
            models.Index(fields=["region", "verification_status"]),
            # Search (roadmap_portal/search/selectors.py; PostgreSQL only, see postgres_indexes.py):
            # Russian full text, trigrams for typos, prefixes of OGRN (the unique INN has its own
            # varchar_pattern_ops index from Django).
            GinIndex(SearchVector("name", config="russian"), name="supplier_search_document"),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="supplier_name_trgm"),
            models.Index(
                fields=["ogrn"], opclasses=["varchar_pattern_ops"], name="supplier_ogrn_prefix"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_verified(self):
        return self.verification_status == VerificationStatus.VERIFIED


class Offer(models.Model):
    """A line of a supplier's product list, travelling through the onboarding pipeline."""

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="offers"
    )
    roadmap = models.ForeignKey(
        "roadmap_portal.Roadmap",
        verbose_name=_("roadmap"),
        on_delete=models.PROTECT,
        related_name="offers",
    )
    demand = models.ForeignKey(
        "roadmap_portal.Demand",
        verbose_name=_("answers demand"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offers",
    )
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    okpd2 = models.CharField(_("OKPD2 code"), max_length=12, validators=[okpd2.validate])
    import_substitution = models.BooleanField(_("import substitution"), default=False)
    replaces = models.CharField(_("replaces imported analog"), max_length=300, blank=True)
    gisp_number = models.CharField(_("GISP register number"), max_length=50, blank=True)
    capacity_per_year = models.DecimalField(
        _("production capacity per year"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    unit_price = models.DecimalField(
        _("indicative unit price, RUB"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    status = models.CharField(
        _("status"), max_length=30, choices=OfferStatus.choices, default=OfferStatus.DRAFT
    )
    status_changed = models.DateTimeField(_("in this status since"), auto_now_add=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("product offer")
        verbose_name_plural = _("product offers")
        indexes = [
            models.Index(fields=["status", "roadmap"]),
            models.Index(fields=["supplier", "status"]),
            models.Index(fields=["okpd2"]),
            models.Index(fields=["updated", "id"]),
            # Covering: a dashboard's funnel and import-substitution counts read the offers
            # of its roadmaps from the index alone.
            models.Index(
                fields=["roadmap", "status"],
                include=["id", "import_substitution"],
                name="offer_roadmap_status_cover",
            ),
            # Search (roadmap_portal/search/selectors.py; PostgreSQL only): Russian full text of the
            # product and the analog it replaces, trigrams of the name for typos.
            GinIndex(
                SearchVector("name", "description", "replaces", config="russian"),
                name="offer_search_document",
            ),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="offer_name_trgm"),
            # The same document of the offers in the register or excluded from it (the
            # products of the register's entries): the register's search reads these
            # rather than every offer that holds the words.
            GinIndex(
                SearchVector("name", "description", "replaces", config="russian"),
                condition=models.Q(status__in=[OfferStatus.REGISTERED, OfferStatus.EXCLUDED]),
                name="offer_public_search_document",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_editable(self):
        return self.status == OfferStatus.DRAFT


def attachment_path(instance, filename):
    return f"offers/{instance.offer_id}/{uuid.uuid4().hex}.pdf"


class OfferAttachment(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size, bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class OfferTransition(models.Model):
    """One step of an offer through the pipeline: append-only (PostgreSQL refuses an UPDATE
    or DELETE of a row); an offer or a user with history cannot be deleted."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=30, choices=OfferStatus.choices)
    to_status = models.CharField(_("to"), max_length=30, choices=OfferStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("record"), default=dict, blank=True)
    created = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("offer transition")
        verbose_name_plural = _("offer history")
        indexes = [
            # Covering: the funnel reads each offer's furthest stage from the index alone,
            # and a report its last stage before a moment (``created``, then ``id`` for the
            # steps of one transaction) by reading one entry backwards.
            models.Index(
                fields=["offer", "created", "id"],
                include=["to_status"],
                name="offer_history_offer_created_id",
            )
        ]

    def __str__(self):
        return f"{self.offer_id}: {self.from_status} → {self.to_status}"
