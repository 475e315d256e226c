from django.contrib import admin

from roadmap_portal.append_only import AppendOnlyAdmin, AppendOnlyInline

from .models import Offer, OfferAttachment, OfferTransition, Supplier


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "inn", "ogrn", "region", "kind", "verification_status"]
    list_filter = ["verification_status", "kind", "region"]
    search_fields = ["name", "inn", "ogrn"]
    list_select_related = ["region"]


class AttachmentInline(admin.StackedInline):
    model = OfferAttachment
    extra = 0
    readonly_fields = ["original_name", "size", "uploaded_by", "created"]


class HistoryInline(AppendOnlyInline):
    model = OfferTransition
    fields = readonly_fields = [
        "action",
        "from_status",
        "to_status",
        "actor",
        "comment",
        "data",
        "created",
    ]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["name", "supplier", "roadmap", "okpd2", "status", "import_substitution"]
    list_filter = ["status", "import_substitution", "roadmap"]
    search_fields = ["name", "okpd2", "supplier__name"]
    list_select_related = ["supplier", "roadmap"]
    readonly_fields = ["status", "status_changed"]
    raw_id_fields = ["supplier"]
    inlines = [AttachmentInline, HistoryInline]


@admin.register(OfferTransition)
class OfferTransitionAdmin(AppendOnlyAdmin):
    list_display = ["offer", "action", "from_status", "to_status", "actor", "created"]
    list_filter = ["action", "to_status"]
    list_select_related = ["offer", "actor"]
