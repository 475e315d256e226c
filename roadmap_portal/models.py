"""Core domain: regions, corporation groups, roadmaps and their volumes, people and roles."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import ReportStatus, RoadmapStatus, Role

inn_format = RegexValidator(r"^\d{10}(\d{2})?$", _("INN is 10 digits (12 for individuals)."))


class Region(models.Model):
    code = models.CharField(
        _("code"),
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^RU-[A-Z]{2,3}$", _("Use an ISO 3166-2 code like RU-TOM."))],
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name


class Corporation(models.Model):
    """A corporation or a subsidiary; a group is a parent and its direct subsidiaries."""

    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=100)
    inn = models.CharField(_("INN"), max_length=12, unique=True, validators=[inn_format])
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subsidiaries",
    )
    required_body = models.ForeignKey(
        "certification.CertificationBody",
        verbose_name=_("required certification body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requiring_corporations",
        help_text=_("Leave empty when the corporation requires no certification."),
    )

    class Meta:
        ordering = ["short_name"]
        verbose_name = _("corporation")
        verbose_name_plural = _("corporations")

    def __str__(self):
        return self.short_name

    @property
    def group_id(self):
        return self.parent_id or self.pk

    def clean(self):
        if self.parent_id:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("A corporation cannot be its own parent.")})
            if self.parent.parent_id:
                raise ValidationError(
                    {"parent": _("The parent must be a group's head, not a subsidiary.")}
                )

    @staticmethod
    def in_group(group_id, prefix=""):
        """Q for a corporation field (named by ``prefix``) belonging to the group ``group_id``."""
        return Q(**{f"{prefix}id": group_id}) | Q(**{f"{prefix}parent_id": group_id})


class Roadmap(models.Model):
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="roadmaps"
    )
    corporation = models.ForeignKey(
        Corporation,
        verbose_name=_("corporation"),
        on_delete=models.PROTECT,
        related_name="roadmaps",
    )
    title = models.CharField(_("title"), max_length=400)
    signed_on = models.DateField(_("signed on"))
    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"))
    signatories = models.TextField(_("signatories"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RoadmapStatus.choices, default=RoadmapStatus.DRAFT
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("previous roadmap"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region__name", "start_year", "id"]
        verbose_name = _("roadmap")
        verbose_name_plural = _("roadmaps")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")),
                name="roadmap_end_after_start",
                violation_error_message=_("The end year cannot precede the start year."),
            )
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": _("The end year cannot precede the start year.")})
        if self.previous_id and self.previous_id == self.pk:
            raise ValidationError({"previous": _("A roadmap cannot follow itself.")})


class RoadmapTarget(models.Model):
    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(
        _("amount, RUB"),
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )

    class Meta:
        ordering = ["year"]
        verbose_name = _("yearly target")
        verbose_name_plural = _("yearly targets")
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "year"], name="one_target_per_year")
        ]

    def __str__(self):
        return f"{self.year}: {self.amount}"


class ReportedVolume(models.Model):
    """A cooperation volume reported from outside the portal (years before it), with its source."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="reported_volumes")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(
        _("amount, RUB"),
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    source = models.CharField(_("source"), max_length=500)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("reported volume")
        verbose_name_plural = _("reported volumes")
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "year"], name="one_reported_volume_per_year")
        ]

    def __str__(self):
        return f"{self.roadmap} {self.year}: {self.amount}"


class Profile(models.Model):
    """A person's role and the scope it applies to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    corporation = models.ForeignKey(
        Corporation,
        verbose_name=_("corporation group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"parent__isnull": True},
    )
    certification_body = models.ForeignKey(
        "certification.CertificationBody",
        verbose_name=_("certification body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="members",
    )
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="ru"
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                name="profile_scope_matches_role",
                condition=(
                    Q(role="region_staff", region__isnull=False)
                    | Q(role="reviewer", corporation__isnull=False)
                    | Q(role="officer", certification_body__isnull=False)
                    | Q(role="supplier", supplier__isnull=False)
                    | Q(role__in=["administrator", "partner"])
                ),
                violation_error_message=_(
                    "The role needs its scope (region, group, body or supplier)."
                ),
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    def clean(self):
        needed = {
            Role.REGION_STAFF: ("region", _("Region staff need a region.")),
            Role.REVIEWER: ("corporation", _("A reviewer needs a corporation group.")),
            Role.OFFICER: ("certification_body", _("An officer needs a certification body.")),
            Role.SUPPLIER: ("supplier", _("A supplier member needs a supplier.")),
        }
        if self.role in needed:
            field, message = needed[self.role]
            if not getattr(self, f"{field}_id"):
                raise ValidationError({field: message})
        if self.corporation_id and self.corporation.parent_id:
            raise ValidationError({"corporation": _("Choose the group's head corporation.")})


class Report(models.Model):
    """A yearly cooperation report, built by a Celery task and stored as a PDF."""

    class Scope(models.TextChoices):
        ROADMAP = "roadmap", _("Roadmap")
        REGION = "region", _("Region")
        CORPORATION = "corporation", _("Corporation")

    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices)
    roadmap = models.ForeignKey(Roadmap, null=True, blank=True, on_delete=models.CASCADE)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE)
    corporation = models.ForeignKey(Corporation, null=True, blank=True, on_delete=models.CASCADE)
    subject_key = models.CharField(max_length=40, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    language = models.CharField(_("language"), max_length=5, default="ru")
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    message = models.TextField(_("message"), blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/", blank=True)
    html = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # Asking again while one is being built returns that one.
            models.UniqueConstraint(
                fields=["subject_key", "year", "language"],
                condition=Q(status__in=["pending", "running"]),
                name="one_report_in_progress",
            )
        ]

    def __str__(self):
        return f"{self.get_scope_display()} {self.year}"


class Notification(models.Model):
    """An in-app notification; ``key`` makes a delivery happen once per event and recipient."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(_("event"), max_length=50)
    key = models.CharField(max_length=200)
    message = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    read = models.BooleanField(_("read"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_key")
        ]
        indexes = [models.Index(fields=["recipient", "read"])]

    def __str__(self):
        return self.message[:60]


class ApiKey(models.Model):
    """A partner's key: shown once, stored as a SHA-256 hash, looked up by its prefix."""

    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("partner organisation"), max_length=300)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    region = models.ForeignKey(
        Region, verbose_name=_("region scope"), null=True, blank=True, on_delete=models.CASCADE
    )
    corporation = models.ForeignKey(
        Corporation,
        verbose_name=_("corporation group scope"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        limit_choices_to={"parent__isnull": True},
    )
    write_resources = models.JSONField(
        _("may write"), default=list, blank=True, help_text=_("Resource names, e.g. contracts.")
    )
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.organisation}: {self.name} ({self.prefix}…)"
