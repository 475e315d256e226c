from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils import timezone

from .api.authentication import generate_key
from .models import (
    ApiKey,
    CertificationBody,
    Corporation,
    Region,
    ReportedVolume,
    Roadmap,
    RoadmapTarget,
)

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
