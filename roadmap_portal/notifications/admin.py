"""Notifications, preferences and the e-mail delivery log in the admin."""

from django.contrib import admin, messages

from roadmap_portal.models import Delivery, Notification, NotificationPreference

from .delivery import delivery_retry


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "event", "message", "read", "email_digest", "created"]
    list_filter = ["event", "read", "email_digest"]
    search_fields = ["recipient__username", "message"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "email"]
    list_filter = ["event", "email"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The e-mail delivery log: what was sent to whom, what failed and why."""

    list_display = [
        "key",
        "event",
        "recipient",
        "recipient_email",
        "status",
        "attempts",
        "short_error",
        "created",
        "sent_at",
    ]
    list_filter = ["status", "event", "channel", "created"]
    search_fields = ["key", "recipient__username", "recipient__email", "last_error"]
    list_select_related = ["recipient"]
    date_hierarchy = "created"
    actions = ["send_again"]
    readonly_fields = [
        "key",
        "channel",
        "recipient",
        "notification",
        "event",
        "digest_date",
        "status",
        "attempts",
        "last_error",
        "claimed_at",
        "next_attempt_at",
        "sent_at",
        "created",
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="e-mail", ordering="recipient__email")
    def recipient_email(self, obj):
        return obj.recipient.email

    @admin.display(description="last error")
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description="Send the selected failed e-mails again")
    def send_again(self, request, queryset):
        count = delivery_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        messages.info(request, f"{count} failed e-mails queued again.")
