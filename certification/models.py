"""Corporate review records, certificates and the permitted register.

The certification bodies are parties of the core (``roadmap_portal.models``), next to the
corporations. Which body certifies for which corporation has one home:
``Corporation.required_body``. It is what the pipeline decides by (a tested offer goes to
the officers only when its group requires a body; the certificate must be that body's; the
register's inclusion asks for it), a group requires at most one body, and "no
certification" is its empty value. A body's corporations are the groups that require it
(``body.requiring_corporations``), and officers are scoped through it everywhere (offers,
suppliers, roadmaps, certificates).
"""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from roadmap_portal import okpd2
from roadmap_portal import okpd2 as okpd2_rule

from . import rules
from .choices import (
    CertificateEventKind,
    CertificateStatus,
    Outcome,
    RegisterEventKind,
    TestKind,
    TestResult,
)


class Requirement(models.Model):
    """A corporation's requirement document, applying to OKPD2 categories (prefixes)."""

    corporation = models.ForeignKey(
        "roadmap_portal.Corporation",
        verbose_name=_("corporation"),
        on_delete=models.CASCADE,
        related_name="requirements",
    )
    code = models.CharField(_("code"), max_length=50)
    title = models.CharField(_("title"), max_length=400)
    categories = models.JSONField(
        _("OKPD2 categories"),
        default=list,
        blank=True,
        help_text=_("OKPD2 prefixes; empty means every category."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("corporate requirement")
        verbose_name_plural = _("corporate requirements")
        constraints = [
            models.UniqueConstraint(fields=["corporation", "code"], name="requirement_code_unique")
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def applies_to(self, okpd2):
        return not self.categories or okpd2_rule.falls_under(okpd2, self.categories)


class RequirementCheck(models.Model):
    """The outcome of one requirement in an offer's requirements check: append-only."""

    offer = models.ForeignKey(
        "suppliers.Offer", on_delete=models.PROTECT, related_name="requirement_checks"
    )
    transition = models.ForeignKey(
        "suppliers.OfferTransition",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requirement_checks",
    )
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    remarks = models.TextField(_("remarks"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("requirement check")
        verbose_name_plural = _("requirement checks")

    def __str__(self):
        return f"{self.requirement_id}: {self.outcome}"


class ReadinessEvaluation(models.Model):
    """An evaluation of readiness for mass production: append-only."""

    offer = models.ForeignKey(
        "suppliers.Offer", on_delete=models.PROTECT, related_name="readiness_evaluations"
    )
    transition = models.ForeignKey(
        "suppliers.OfferTransition", null=True, blank=True, on_delete=models.PROTECT
    )
    capacity_confirmed = models.BooleanField(_("production capacity confirmed"), default=False)
    site_visit_on = models.DateField(_("site visit date"), null=True, blank=True)
    findings = models.TextField(_("findings"))
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("readiness evaluation")
        verbose_name_plural = _("readiness evaluations")

    def __str__(self):
        return f"{self.offer_id}: {self.findings[:40]}"


def protocol_path(instance, filename):
    return f"protocols/{instance.offer_id}/{uuid.uuid4().hex}.pdf"


class ProductTest(models.Model):
    """A recorded test of an offer: append-only."""

    offer = models.ForeignKey("suppliers.Offer", on_delete=models.PROTECT, related_name="tests")
    transition = models.ForeignKey(
        "suppliers.OfferTransition", null=True, blank=True, on_delete=models.PROTECT
    )
    kind = models.CharField(_("test type"), max_length=20, choices=TestKind.choices)
    started_on = models.DateField(_("started on"))
    finished_on = models.DateField(_("finished on"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=20, choices=TestResult.choices)
    remarks = models.TextField(_("remarks"), blank=True)
    protocol = models.FileField(_("protocol (PDF)"), upload_to=protocol_path, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["started_on", "id"]
        verbose_name = _("product test")
        verbose_name_plural = _("product tests")

    def __str__(self):
        return f"{self.offer_id}: {self.kind} {self.result}"


def scan_path(instance, filename):
    return f"certificates/{uuid.uuid4().hex}.pdf"


class Certificate(models.Model):
    number = models.CharField(_("number"), max_length=100)
    body = models.ForeignKey(
        "roadmap_portal.CertificationBody",
        verbose_name=_("certification body"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    offers = models.ManyToManyField(
        "suppliers.Offer", verbose_name=_("covered offers"), related_name="certificates"
    )
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
    )
    status_reason = models.TextField(_("reason"), blank=True)
    scan = models.FileField(_("scan (PDF)"), upload_to=scan_path, blank=True)
    renews = models.OneToOneField(
        "self",
        verbose_name=_("renews"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewed_by",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("certificate of compliance")
        verbose_name_plural = _("certificates of compliance")
        constraints = [
            models.UniqueConstraint(
                fields=["body", "number"],
                name="certificate_number_unique_per_body",
                violation_error_message=_(
                    "This body already issued a certificate with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("issued_on")),
                name="certificate_valid_after_issue",
                violation_error_message=_("A certificate cannot expire before it is issued."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "valid_until"]),
            # Search by a part of the number (roadmap_portal/search/selectors.py; PostgreSQL only).
            # (over UPPER: ``icontains`` compares upper-cased text on PostgreSQL).
            GinIndex(OpClass(Upper("number"), name="gin_trgm_ops"), name="certificate_number_trgm"),
        ]

    def __str__(self):
        return f"{self.body} № {self.number}"

    def is_valid_on(self, day):
        return rules.in_force(self, on=day)


class RegisterEntry(models.Model):
    """An entry of a corporation's register of permitted products.

    The inclusion (corporation, number, product, supplier, code, date) never changes and the
    entry is never deleted; the entry is excluded once (reinstatement is a new entry) and,
    while it is in the register, may move to a renewing certificate. PostgreSQL refuses any
    other UPDATE and every DELETE; each change is a :class:`RegisterEntryEvent`."""

    corporation = models.ForeignKey(
        "roadmap_portal.Corporation",
        verbose_name=_("corporation"),
        on_delete=models.PROTECT,
        related_name="register_entries",
    )
    number = models.PositiveIntegerField(_("entry number"))
    offer = models.ForeignKey(
        "suppliers.Offer",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="register_entries",
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier", verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="+"
    )
    okpd2 = models.CharField(_("OKPD2 code"), max_length=12, validators=[okpd2.validate])
    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="register_entries",
    )
    included_on = models.DateField(_("included on"))
    excluded_on = models.DateField(_("excluded on"), null=True, blank=True)
    exclusion_reason = models.TextField(_("exclusion reason"), blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["corporation_id", "number"]
        verbose_name = _("register entry")
        verbose_name_plural = _("register of permitted products")
        constraints = [
            models.UniqueConstraint(
                fields=["corporation", "number"], name="register_number_unique"
            ),
            models.UniqueConstraint(
                fields=["corporation", "offer"],
                condition=Q(excluded_on__isnull=True),
                name="one_active_entry_per_offer",
            ),
        ]
        indexes = [models.Index(fields=["okpd2"]), models.Index(fields=["updated", "id"])]

    def __str__(self):
        return f"{self.corporation} № {self.number}"

    @property
    def active(self):
        return self.excluded_on is None


class CertificateEvent(models.Model):
    """What happened to a certificate (issue, suspension, revocation, reinstatement, expiry,
    renewal, a new scan), by whom and why: append-only."""

    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    kind = models.CharField(_("event"), max_length=30, choices=CertificateEventKind.choices)
    status = models.CharField(_("status after"), max_length=20, choices=CertificateStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("record"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("certificate event")
        verbose_name_plural = _("certificate events")

    def __str__(self):
        return f"{self.certificate_id}: {self.kind}"


class RegisterEntryEvent(models.Model):
    """What happened to a register entry (inclusion, exclusion, a renewing certificate taking
    over), by whom and in which offer step: append-only."""

    entry = models.ForeignKey(
        RegisterEntry,
        verbose_name=_("register entry"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    kind = models.CharField(_("event"), max_length=30, choices=RegisterEventKind.choices)
    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    transition = models.ForeignKey(
        "suppliers.OfferTransition",
        verbose_name=_("offer step"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("register entry event")
        verbose_name_plural = _("register entry events")

    def __str__(self):
        return f"{self.entry_id}: {self.kind}"
