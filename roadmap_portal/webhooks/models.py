"""Webhooks: a partner's endpoint and one delivery row per (endpoint, event)."""

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from roadmap_portal.models import ApiKey


class WebhookEvent(models.TextChoices):
    OFFER_REGISTERED = "offer.registered", _("An offer was included in the register")
    OFFER_EXCLUDED = "offer.excluded", _("An offer was excluded from the register")
    TENDER_OPENED = "tender.opened", _("A tender opened for bids")
    TENDER_AWARDED = "tender.awarded", _("A tender was awarded")
    REPORT_READY = "report.ready", _("A report is ready")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Kept while the endpoint is switched off; switching it on again sends it.
    HELD = "held", _("Held while the endpoint is switched off")


class WebhookEndpoint(models.Model):
    """Where a partner wants events POSTed, signed with the endpoint's secret.

    Owned by a partner key (events then follow the key's scope) or by a user account.
    """

    api_key = models.ForeignKey(
        ApiKey,
        verbose_name=_("partner key"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # Kept readable: every delivery is signed with it (HMAC needs the secret itself).
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    # The first failure since the last success: the endpoint is switched off only when it has
    # been failing for WEBHOOK_DISABLE_AFTER_HOURS (a burst of errors does not).
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    # The sequence number of the endpoint's latest event (each delivery takes the next one).
    last_sequence = models.PositiveBigIntegerField(_("last sequence number"), default=0)
    disabled_reason = models.TextField(_("why it was disabled"), blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            models.CheckConstraint(
                condition=Q(api_key__isnull=False) | Q(user__isnull=False),
                name="webhook_endpoint_has_owner",
            )
        ]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: created once (unique event key), sent until it succeeds."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=50, choices=WebhookEvent.choices)
    event_key = models.CharField(_("event key"), max_length=200)
    # 1, 2, 3, ... per endpoint in the order the events were recorded, with no gap; every
    # attempt and redelivery of one delivery carries the same number.
    sequence = models.PositiveBigIntegerField(_("sequence number"))
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_key"], name="webhook_delivery_once_per_endpoint"
            ),
            models.UniqueConstraint(
                fields=["endpoint", "sequence"], name="webhook_delivery_sequence_per_endpoint"
            ),
        ]
        indexes = [models.Index(fields=["status", "created"])]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id}"

    def save(self, *args, **kwargs) -> None:
        """A new delivery without a number takes its endpoint's next one (the service takes
        it explicitly, in the transaction that records the event)."""
        if self.sequence is None and self.pk is None:
            with transaction.atomic():
                self.sequence, _active = next_sequence(self.endpoint_id)
                super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)


def next_sequence(endpoint_id: int) -> tuple[int, bool]:
    """Take the endpoint's next sequence number; with it, whether the endpoint is switched
    on. The row stays locked until the caller's transaction ends, so numbers are taken and
    committed in order, and a switch-on or switch-off waits for the delivery (or the
    delivery for it): none is left held on a switched-on endpoint. A rolled-back transaction
    (or savepoint) gives its number back: no gap."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE webhooks_webhookendpoint SET last_sequence = last_sequence + 1 "
            "WHERE id = %s RETURNING last_sequence, active",
            [endpoint_id],
        )
        sequence, active = cursor.fetchone()
    return sequence, active
