from django.contrib import admin

from roadmap_portal.append_only import AppendOnlyAdmin, AppendOnlyInline

from .models import (
    Certificate,
    CertificateEvent,
    ProductTest,
    ReadinessEvaluation,
    RegisterEntry,
    RegisterEntryEvent,
    Requirement,
    RequirementCheck,
)


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "corporation", "active"]
    list_filter = ["corporation", "active"]
    search_fields = ["code", "title"]


class CertificateEventInline(AppendOnlyInline):
    model = CertificateEvent
    fields = readonly_fields = ["kind", "status", "reason", "data", "actor", "created"]


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "body", "supplier", "issued_on", "valid_until", "status"]
    list_filter = ["status", "body"]
    search_fields = ["number", "supplier__name"]
    raw_id_fields = ["supplier", "offers"]
    list_select_related = ["body", "supplier"]
    # The status changes through the officers' suspend, revoke and reinstate (and the nightly
    # expiry), each recorded as an event; the admin does not change it unrecorded.
    readonly_fields = ["status", "status_reason"]
    inlines = [CertificateEventInline]


class RegisterEntryEventInline(AppendOnlyInline):
    model = RegisterEntryEvent
    fk_name = "entry"
    fields = readonly_fields = ["kind", "certificate", "reason", "transition", "actor", "created"]


@admin.register(RegisterEntry)
class RegisterEntryAdmin(AppendOnlyAdmin):
    """The register changes through the offer pipeline only (include, exclude, reinstate)."""

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
    inlines = [RegisterEntryEventInline]


@admin.register(RequirementCheck)
class RequirementCheckAdmin(AppendOnlyAdmin):
    list_display = ["offer", "requirement", "outcome", "checked_by", "created"]
    list_filter = ["outcome"]
    list_select_related = ["offer", "requirement", "checked_by"]


@admin.register(ReadinessEvaluation)
class ReadinessEvaluationAdmin(AppendOnlyAdmin):
    list_display = ["offer", "capacity_confirmed", "site_visit_on", "evaluated_by", "created"]
    list_select_related = ["offer", "evaluated_by"]


@admin.register(ProductTest)
class ProductTestAdmin(AppendOnlyAdmin):
    list_display = ["offer", "kind", "started_on", "finished_on", "result", "recorded_by"]
    list_filter = ["kind", "result"]
    list_select_related = ["offer", "recorded_by"]


@admin.register(CertificateEvent)
class CertificateEventAdmin(AppendOnlyAdmin):
    list_display = ["certificate", "kind", "status", "actor", "created"]
    list_filter = ["kind"]
    list_select_related = ["certificate", "certificate__body", "actor"]


@admin.register(RegisterEntryEvent)
class RegisterEntryEventAdmin(AppendOnlyAdmin):
    list_display = ["entry", "kind", "certificate", "actor", "created"]
    list_filter = ["kind"]
    list_select_related = [
        "entry",
        "entry__corporation",
        "certificate",
        "certificate__body",
        "actor",
    ]
