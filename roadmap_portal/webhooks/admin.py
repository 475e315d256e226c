from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .models import WebhookDelivery, WebhookEndpoint
from .services import (
    EndpointSwitchedOff,
    deliveries_redeliver_since,
    delivery_redeliver,
    endpoint_disable,
    endpoint_enable,
)


class RedeliverSinceForm(forms.Form):
    since = forms.DateTimeField(
        label=_("Send again everything recorded since"),
        help_text=_("For example 2026-11-22 02:40, in the portal's time zone."),
    )


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
        # Switched on and off by the actions, which hold and send the deliveries.
        "active",
        "consecutive_failures",
        "failing_since",
        "last_sequence",
        "disabled_reason",
        "disabled_at",
        "created",
    ]
    fields = [*readonly_fields[:4], "description", *readonly_fields[4:]]
    inlines = [WebhookDeliveryInline]
    actions = ["enable", "disable", "redeliver_since"]

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

    @admin.action(description=_("Switch off and hold its events"))
    def disable(self, request, queryset) -> None:
        reason = gettext("Switched off by an administrator.")
        count = sum(
            endpoint_disable(endpoint_id=pk, reason=reason)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext("%(count)d endpoint switched off.", "%(count)d endpoints switched off.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Send again everything recorded since a time…"))
    def redeliver_since(self, request, queryset) -> TemplateResponse | None:
        """Asks for the time on a page of its own, then sends the endpoints' deliveries
        recorded since then again, with their sequence numbers."""
        form = RedeliverSinceForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            count = switched_off = 0
            for endpoint in queryset:
                try:
                    count += deliveries_redeliver_since(
                        endpoint=endpoint, since=form.cleaned_data["since"]
                    )
                except EndpointSwitchedOff:
                    switched_off += 1
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
            if switched_off:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d endpoint is switched off: switch it on to send its events.",
                        "%(count)d endpoints are switched off: switch them on to send their "
                        "events.",
                        switched_off,
                    )
                    % {"count": switched_off},
                    messages.WARNING,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Send again everything recorded since a time"),
            "form": form,
            "endpoints": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/webhooks/redeliver_since.html", context)


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
