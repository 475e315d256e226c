from django.contrib import admin

from roadmap_portal.models import Demand

from .models import Bid, Contract, Tender


@admin.register(Demand)
class DemandAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "category", "quantity", "unit", "deadline"]
    list_filter = ["customer"]
    search_fields = ["title", "category", "replaces"]


@admin.register(Tender)
class TenderAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "customer", "published_on", "deadline", "status"]
    list_filter = ["status", "customer"]
    search_fields = ["number", "title"]


@admin.register(Bid)
class BidAdmin(admin.ModelAdmin):
    list_display = ["tender", "supplier", "price", "status", "created"]
    list_filter = ["status"]
    list_select_related = ["tender", "supplier"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["number", "supplier", "customer", "tender", "amount", "signed_on"]
    list_filter = ["customer"]
    search_fields = ["number", "supplier__name"]
    list_select_related = ["supplier", "customer", "tender"]
