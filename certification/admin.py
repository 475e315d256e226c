from django.contrib import admin

from .models import (
    Certificate,
    CertificationBody,
    ProductTest,
    ReadinessEvaluation,
    RegisterEntry,
    Requirement,
    RequirementCheck,
)


@admin.register(CertificationBody)
class CertificationBodyAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name", "accreditation"]
    filter_horizontal = ["corporations"]


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "corporation", "active"]
    list_filter = ["corporation", "active"]
    search_fields = ["code", "title"]


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "body", "supplier", "issued_on", "valid_until", "status"]
    list_filter = ["status", "body"]
    search_fields = ["number", "supplier__name"]
    filter_horizontal = ["offers"]
    list_select_related = ["body", "supplier"]


@admin.register(RegisterEntry)
class RegisterEntryAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "corporation",
        "offer",
        "supplier",
        "okpd2",
        "included_on",
        "excluded_on",
    ]
    list_filter = ["corporation"]
    search_fields = ["offer__name", "supplier__name", "okpd2"]
    list_select_related = ["corporation", "offer", "supplier"]


admin.site.register(RequirementCheck)
admin.site.register(ReadinessEvaluation)
admin.site.register(ProductTest)
