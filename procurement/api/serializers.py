from rest_framework import serializers

from roadmap_portal.fields import ScopedPrimaryKeyRelatedField
from roadmap_portal.models import Demand
from roadmap_portal.selectors import corporations_visible_to
from suppliers.selectors import offers_visible_to, suppliers_visible_to

from ..models import Bid, Contract, Tender
from ..selectors import bids_visible_to, tenders_visible_to
from ..workflow import ACTIONS


class DemandSerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(selector=corporations_visible_to)
    customer_name = serializers.CharField(source="customer.short_name", read_only=True)

    class Meta:
        model = Demand
        fields = [
            "id",
            "customer",
            "customer_name",
            "title",
            "description",
            "category",
            "quantity",
            "unit",
            "replaces",
            "deadline",
        ]


class TenderSerializer(serializers.ModelSerializer):
    categories = serializers.ListField(
        child=serializers.CharField(max_length=12), allow_empty=False
    )
    customer = ScopedPrimaryKeyRelatedField(selector=corporations_visible_to)
    customer_name = serializers.CharField(source="customer.short_name", read_only=True)

    class Meta:
        model = Tender
        fields = [
            "id",
            "customer",
            "customer_name",
            "number",
            "title",
            "description",
            "categories",
            "published_on",
            "deadline",
            "estimated_value",
            "status",
            "updated",
        ]
        read_only_fields = ["id", "updated"]


class TenderTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[a for a in ACTIONS if a != "award"])


class TenderAwardSerializer(serializers.Serializer):
    bid = ScopedPrimaryKeyRelatedField(selector=bids_visible_to)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    signed_on = serializers.DateField(required=False)
    number = serializers.CharField(max_length=100, required=False, allow_blank=True)


class CheckSerializer(serializers.Serializer):
    rule = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()


class EligibilitySerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    checks = CheckSerializer(many=True)


class BidSerializer(serializers.ModelSerializer):
    tender = ScopedPrimaryKeyRelatedField(selector=tenders_visible_to)
    supplier = ScopedPrimaryKeyRelatedField(selector=suppliers_visible_to, required=False)
    offers = ScopedPrimaryKeyRelatedField(selector=offers_visible_to, many=True, allow_empty=False)
    price = serializers.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        model = Bid
        fields = [
            "id",
            "tender",
            "supplier",
            "offers",
            "price",
            "status",
            "eligibility",
            "created",
        ]
        read_only_fields = ["id", "status", "eligibility", "created"]
        # One bid per supplier and tender is enforced by the service, under a lock.
        validators = []


class ContractSerializer(serializers.ModelSerializer):
    supplier = ScopedPrimaryKeyRelatedField(selector=suppliers_visible_to)
    customer = ScopedPrimaryKeyRelatedField(selector=corporations_visible_to)
    tender = ScopedPrimaryKeyRelatedField(
        selector=tenders_visible_to, required=False, allow_null=True
    )
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    customer_name = serializers.CharField(source="customer.short_name", read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "supplier",
            "supplier_name",
            "customer",
            "customer_name",
            "tender",
            "number",
            "subject",
            "amount",
            "signed_on",
            "updated",
        ]
        read_only_fields = ["id", "updated"]
