from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils import timezone

from .api.authentication import generate_key
from .models import (
    ApiKey,
    Corporation,
    Delivery,
    Invitation,
    Notification,
    NotificationPreference,
    Profile,
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


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    raw_id_fields = ["supplier"]


# The portal's roles and scopes live in the profile; Django's groups and model permissions
# are not used, so the admin does not offer them (nor their filter widget).
admin.site.unregister(User)
admin.site.unregister(Group)
UNUSED = {"groups", "user_permissions"}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline]
    fieldsets = [
        (name, {**options, "fields": [f for f in options["fields"] if f not in UNUSED]})
        for name, options in BaseUserAdmin.fieldsets
    ]
    filter_horizontal = []
    list_display = ["username", "email", "get_role", "is_active", "is_superuser"]
    list_filter = ["profile__role", "is_active", "is_superuser"]
    list_select_related = ["profile"]

    @admin.display(description="role", ordering="profile__role")
    def get_role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "—"

    def has_delete_permission(self, request, obj=None):
        # People are deactivated (is_active), never deleted: records name them.
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are sent, resent and revoked on the portal's Invitations page (the link's
    token exists only in the e-mail); here they are read."""

    list_display = ["email", "role", "invited_by", "sent_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    readonly_fields = [f.name for f in Invitation._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
