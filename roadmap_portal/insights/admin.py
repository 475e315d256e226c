"""The yearly reports in the admin."""

from django.contrib import admin

from roadmap_portal.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["scope", "year", "roadmap", "region", "corporation", "status", "created"]
    list_filter = ["status", "scope", "year"]
    readonly_fields = ["html"]
