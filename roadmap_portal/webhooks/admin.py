from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import WebhookDelivery, WebhookEndpoint
from .services import EndpointSwitchedOff, delivery_redeliver, endpoint_enable


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = [
        "sequence",
        "event",
        "event_key",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "created",
    ]
    readonly_fields = fields
    ordering = ["-sequence"]
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Partners register endpoints through the API; here they are watched and switched back on."""

    list_display = [
        "url",
        "api_key",
        "user",
        "active",
        "consecutive_failures",
        "failing_since",
        "last_sequence",
        "created",
    ]
    list_filter = ["active"]
    search_fields = ["url", "description", "api_key__organisation", "user__username"]
    list_select_related = ["api_key", "user"]
    readonly_fields = [
        "api_key",
        "user",
        "url",
        "events",
        "consecutive_failures",
        "failing_since",
        "last_sequence",
        "disabled_reason",
        "disabled_at",
        "created",
    ]
    fields = [*readonly_fields[:4], "description", "active", *readonly_fields[4:]]
    inlines = [WebhookDeliveryInline]
    actions = ["enable"]

    def has_add_permission(self, request):
        return False

    @admin.action(
        description=_("Switch on again with a clean failure count and send its held events")
    )
    def enable(self, request, queryset):
        count = sum(endpoint_enable(endpoint_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d endpoint switched on.", "%(count)d endpoints switched on.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Redelivery: filter by endpoint and date (everything since a day), select, and send
    the selected again with their sequence numbers."""

    list_display = [
        "sequence",
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "created",
        "sent_at",
    ]
    list_filter = ["status", "event", ("endpoint", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["event_key", "endpoint__url"]
    list_select_related = ["endpoint"]
    date_hierarchy = "created"
    ordering = ["-created", "-id"]
    actions = ["redeliver"]
    readonly_fields = [
        "endpoint",
        "sequence",
        "event",
        "event_key",
        "payload",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "created",
        "last_attempt_at",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm("webhooks.change_webhookendpoint")

    @admin.action(description=_("Send the selected deliveries again"), permissions=["redeliver"])
    def redeliver(self, request, queryset) -> None:
        count = held = 0
        for delivery in queryset.select_related("endpoint").order_by("endpoint_id", "sequence"):
            try:
                count += delivery_redeliver(delivery=delivery)
            except EndpointSwitchedOff:
                held += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued to be sent again.",
                "%(count)d deliveries queued to be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if held:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery belongs to a switched-off endpoint: switch it on to "
                    "send it.",
                    "%(count)d deliveries belong to a switched-off endpoint: switch it on to "
                    "send them.",
                    held,
                )
                % {"count": held},
                messages.WARNING,
            )
