"""Core domain: regions, corporation groups, certification bodies, roadmaps and their volumes."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import okpd2
from .choices import API_WRITE_RESOURCES, ReportStatus, RoadmapStatus

# Roadmaps, targets and volumes are about years of the portal's era.
YEAR_VALIDATORS = [MinValueValidator(1990), MaxValueValidator(2100)]

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


class CertificationBody(models.Model):
    """An accredited certification body: it certifies products for the corporations that
    require it (``Corporation.required_body``)."""

    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=100, unique=True)
    accreditation = models.CharField(_("accreditation"), max_length=200, blank=True)

    class Meta:
        ordering = ["short_name"]
        verbose_name = _("certification body")
        verbose_name_plural = _("certification bodies")

    def __str__(self):
        return self.short_name


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
        CertificationBody,
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

    @staticmethod
    def in_groups(group_ids, prefix=""):
        """Q for a corporation field (named by ``prefix``) belonging to one of the groups
        ``group_ids`` (ids, or a subquery of them)."""
        return Q(**{f"{prefix}id__in": group_ids}) | Q(**{f"{prefix}parent_id__in": group_ids})


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
    start_year = models.PositiveSmallIntegerField(_("start year"), validators=YEAR_VALIDATORS)
    end_year = models.PositiveSmallIntegerField(_("end year"), validators=YEAR_VALIDATORS)
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
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
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


class Demand(models.Model):
    """A need published by a corporation or subsidiary, typically an imported item to replace:
    suppliers' offers answer it, procurement turns it into tenders."""

    customer = models.ForeignKey(
        "roadmap_portal.Corporation",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="demands",
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("OKPD2 category"), max_length=12, validators=[okpd2.validate])
    quantity = models.DecimalField(
        _("quantity per year"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    replaces = models.CharField(_("imported analog"), max_length=300, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        indexes = [
            # Search and import substitution (roadmap_portal/search/selectors.py; PostgreSQL only).
            GinIndex(
                SearchVector("title", "description", "replaces", config="russian"),
                name="demand_search_document",
            ),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="demand_title_trgm"),
            models.Index(
                fields=["category"],
                opclasses=["varchar_pattern_ops"],
                name="demand_category_prefix",
            ),
        ]

    def __str__(self):
        return self.title


class ReportedVolume(models.Model):
    """A cooperation volume reported from outside the portal (years before it), with its source."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="reported_volumes")
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
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
    # The job's lease: a running build renews it; a queued job gets until then to be picked
    # up. Past it, the sweep (or the next request) queues the job again.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, editable=False)

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


class Heartbeat(models.Model):
    """The last sign of life of a background part (``worker``, ``beat``), for /healthz."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


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
    email_digest = models.BooleanField(
        _("in the daily e-mail digest"),
        default=False,
        help_text=_("Set when the notification is made, from the recipient's preference."),
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_key")
        ]
        indexes = [
            models.Index(fields=["recipient", "read"]),
            models.Index(
                fields=["created", "recipient"],
                condition=Q(email_digest=True),
                name="notification_digest_idx",
            ),
        ]

    def __str__(self):
        return self.message[:60]

    @property
    def event_label(self):
        return event_label(self.event)


class NotificationEvent(models.TextChoices):
    OFFER_STATUS = "offer_status", _("Status of my offers changed")
    QUEUE_WORK = "queue_work", _("New work in my queue")
    CERTIFICATE_EXPIRY = "certificate_expiry", _("A certificate expires soon")
    TENDER_OPENED = "tender_opened", _("A tender opened in my categories")
    DEMAND_PUBLISHED = "demand_published", _("A demand matches my categories")
    BID_AWARDED = "bid_awarded", _("A bid was awarded")
    REPORT_READY = "report_ready", _("A report is ready")
    WEBHOOK_DISABLED = "webhook_disabled", _("A webhook was switched off after failures")
    OFFER_MESSAGE = "offer_message", _("A message in an offer's conversation")


def event_label(event):
    """The event's label; an event not in the list (added by another module) shows its name."""
    try:
        return NotificationEvent(event).label
    except ValueError:
        return event.replace("_", " ").capitalize()


class EmailMode(models.TextChoices):
    OFF = "off", _("No e-mail")
    IMMEDIATELY = "immediately", _("E-mail immediately")
    DIGEST = "digest", _("Daily digest")


# What a person gets by e-mail until they choose: what needs acting on comes at once,
# news about the market comes once a day.
DEFAULT_EMAIL_MODES = {
    NotificationEvent.OFFER_STATUS: EmailMode.IMMEDIATELY,
    NotificationEvent.QUEUE_WORK: EmailMode.DIGEST,
    NotificationEvent.CERTIFICATE_EXPIRY: EmailMode.IMMEDIATELY,
    NotificationEvent.TENDER_OPENED: EmailMode.IMMEDIATELY,
    NotificationEvent.DEMAND_PUBLISHED: EmailMode.DIGEST,
    NotificationEvent.BID_AWARDED: EmailMode.IMMEDIATELY,
    NotificationEvent.REPORT_READY: EmailMode.IMMEDIATELY,
    NotificationEvent.WEBHOOK_DISABLED: EmailMode.IMMEDIATELY,
    NotificationEvent.OFFER_MESSAGE: EmailMode.IMMEDIATELY,
}


def default_email_mode(event):
    return DEFAULT_EMAIL_MODES.get(event, EmailMode.IMMEDIATELY)


class NotificationPreference(models.Model):
    """How a person wants to hear about one kind of event by e-mail (in-app always shows it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    event = models.CharField(_("event"), max_length=50, choices=NotificationEvent.choices)
    email = models.CharField(
        _("e-mail"), max_length=20, choices=EmailMode.choices, default=EmailMode.IMMEDIATELY
    )

    class Meta:
        ordering = ["user", "event"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_preference_per_event")
        ]

    def __str__(self):
        return f"{self.user}: {self.event} = {self.email}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One e-mail to one person: a notification, or a day's digest.

    ``key`` is unique (``email:<notification>`` or ``digest:<user>:<date>``), so a retried
    or redelivered task finds the row it made before instead of making another. A worker
    sends only after moving the row from pending to sending with a conditional UPDATE.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")

    key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=50)
    digest_date = models.DateField(_("digest of"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("delivery log")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=Q(notification__isnull=False),
                name="one_delivery_per_notification_channel",
            ),
            models.CheckConstraint(
                condition=Q(notification__isnull=False) | Q(digest_date__isnull=False),
                name="delivery_of_notification_or_digest",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return self.key


def validate_write_resources(value):
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError(_('Give a JSON list of resource names, e.g. ["webhooks"].'))
    unknown = sorted(set(value) - set(API_WRITE_RESOURCES))
    if unknown:
        raise ValidationError(
            _("Unknown resources: %(unknown)s. Choose among %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(API_WRITE_RESOURCES)}
        )


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
        _("may write"),
        default=list,
        blank=True,
        validators=[validate_write_resources],
        help_text=_(
            'A JSON list of the API resources the key may write, e.g. ["webhooks", "contracts"]; '
            "empty for a read-only key."
        ),
    )
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API key")
        # The plain "API keys" is a heading («Ключи API»); the model's name is lower case.
        verbose_name_plural = pgettext_lazy("model name", "API keys")

    def __str__(self):
        return f"{self.organisation}: {self.name} ({self.prefix}…)"
