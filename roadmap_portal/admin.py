from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .api.authentication import generate_key
from .models import (
    ApiKey,
    Corporation,
    Notification,
    Profile,
    Region,
    Report,
    ReportedVolume,
    Roadmap,
    RoadmapTarget,
)

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


class RoadmapTargetInline(admin.TabularInline):
    model = RoadmapTarget
    extra = 0


class ReportedVolumeInline(admin.TabularInline):
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
    autocomplete_fields = ["supplier"]


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "get_role", "is_active", "is_superuser"]
    list_filter = ["profile__role", "is_active", "is_superuser"]
    list_select_related = ["profile"]

    @admin.display(description="role", ordering="profile__role")
    def get_role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "—"


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
        from django.utils import timezone

        queryset.filter(revoked__isnull=True).update(revoked=timezone.now())


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["scope", "year", "roadmap", "region", "corporation", "status", "created"]
    list_filter = ["status", "scope", "year"]
    readonly_fields = ["html"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "event", "message", "read", "created"]
    list_filter = ["event", "read"]
    search_fields = ["recipient__username", "message"]
