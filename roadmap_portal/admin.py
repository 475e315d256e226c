from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils import timezone

from .api.authentication import generate_key
from .models import (
    ApiKey,
    CertificationBody,
    Corporation,
    Delivery,
    Notification,
    NotificationPreference,
    Region,
    Report,
    ReportedVolume,
    Roadmap,
    RoadmapTarget,
)
from .notifications.delivery import delivery_retry

User = get_user_model()


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(CertificationBody)
class CertificationBodyAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name", "accreditation"]


@admin.register(Corporation)
class CorporationAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name", "inn", "parent", "required_body"]
    list_filter = ["parent", "required_body"]
    search_fields = ["name", "short_name", "inn"]
    list_select_related = ["parent", "required_body"]


class RoadmapTargetInline(admin.StackedInline):
    model = RoadmapTarget
    extra = 0


class ReportedVolumeInline(admin.StackedInline):
    model = ReportedVolume
    extra = 0
    readonly_fields = ["entered_by", "created"]


@admin.register(Roadmap)
class RoadmapAdmin(admin.ModelAdmin):
    list_display = ["title", "region", "corporation", "start_year", "end_year", "status"]
    list_filter = ["status", "region", "corporation"]
    search_fields = ["title"]
    list_select_related = ["region", "corporation"]
    inlines = [RoadmapTargetInline, ReportedVolumeInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "name",
        "prefix",
        "region",
        "corporation",
        "expires",
        "revoked",
        "last_used",
    ]
    list_filter = ["region", "corporation"]
    readonly_fields = ["prefix", "last_used", "created"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            key, obj.prefix, obj.hashed_key = generate_key()
            messages.warning(
                request, f"The new key is shown only this once; give it to the partner now: {key}"
            )
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        queryset.filter(revoked__isnull=True).update(revoked=timezone.now())


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["scope", "year", "roadmap", "region", "corporation", "status", "created"]
    list_filter = ["status", "scope", "year"]
    readonly_fields = ["html"]


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
