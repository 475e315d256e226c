from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import WebhookDelivery, WebhookEndpoint
from .services import endpoint_enable


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["event", "event_key", "status", "attempts", "response_code", "last_error", "created"]
    readonly_fields = fields
    ordering = ["-created", "-id"]
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Partners register endpoints through the API; here they are watched and switched back on."""

    list_display = ["url", "api_key", "user", "active", "consecutive_failures", "created"]
    list_filter = ["active"]
    search_fields = ["url", "description", "api_key__organisation", "user__username"]
    list_select_related = ["api_key", "user"]
    readonly_fields = [
        "api_key",
        "user",
        "url",
        "events",
        "consecutive_failures",
        "disabled_reason",
        "disabled_at",
        "created",
    ]
    fields = [*readonly_fields[:4], "description", "active", *readonly_fields[4:]]
    inlines = [WebhookDeliveryInline]
    actions = ["enable"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Switch on again with a clean failure count"))
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
    list_display = ["event", "endpoint", "status", "attempts", "response_code", "created"]
    list_filter = ["status", "event"]
    search_fields = ["event_key", "endpoint__url"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "endpoint",
        "event",
        "event_key",
        "payload",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "created",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
