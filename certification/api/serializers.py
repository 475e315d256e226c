from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from roadmap_portal.api import bulk as bulk_api
from roadmap_portal.fields import ScopedPrimaryKeyRelatedField
from roadmap_portal.input_limits import FreeTextField
from suppliers import pipeline
from suppliers.models import Offer
from suppliers.selectors import offers_visible_to, suppliers_visible_to

from ..choices import CertificateStatus, TestKind, TestResult
from ..models import (
    Certificate,
    ProductTest,
    ReadinessEvaluation,
    RegisterEntry,
    Requirement,
    RequirementCheck,
)
from ..selectors import certification_bodies_visible_to


def _username(user):
    return user.get_username() if user is not None else None


class RequirementSerializer(serializers.ModelSerializer):
    categories = serializers.ListField(
        child=serializers.CharField(max_length=12), required=False, default=list
    )

    class Meta:
        model = Requirement
        fields = ["id", "corporation", "code", "title", "categories", "active"]
        read_only_fields = ["corporation"]
        # The service checks the code's uniqueness within the group and answers 400.
        validators = []


class RequirementCheckSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="requirement.code", read_only=True)
    title = serializers.CharField(source="requirement.title", read_only=True)
    checked_by = serializers.SerializerMethodField()

    class Meta:
        model = RequirementCheck
        fields = ["id", "offer", "requirement", "code", "title", "outcome", "remarks"]
        fields += ["checked_by", "created"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_checked_by(self, obj):
        return _username(obj.checked_by)


class ReadinessEvaluationSerializer(serializers.ModelSerializer):
    evaluated_by = serializers.SerializerMethodField()

    class Meta:
        model = ReadinessEvaluation
        fields = [
            "id",
            "offer",
            "capacity_confirmed",
            "site_visit_on",
            "findings",
            "evaluated_by",
            "created",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_evaluated_by(self, obj):
        return _username(obj.evaluated_by)


class ProductTestSerializer(serializers.ModelSerializer):
    offer = ScopedPrimaryKeyRelatedField(selector=offers_visible_to)
    kind = serializers.ChoiceField(choices=TestKind.choices)
    result = serializers.ChoiceField(choices=TestResult.choices)
    protocol = serializers.FileField(
        write_only=True,
        required=False,
        allow_empty_file=True,
        help_text="The test protocol, a PDF (multipart upload).",
    )
    protocol_url = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = ProductTest
        fields = [
            "id",
            "offer",
            "kind",
            "started_on",
            "finished_on",
            "result",
            "remarks",
            "protocol",
            "protocol_url",
            "recorded_by",
            "created",
        ]
        read_only_fields = ["created"]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_protocol_url(self, obj):
        if not obj.protocol:
            return None
        url = reverse("tests-protocol", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_recorded_by(self, obj):
        return _username(obj.recorded_by)


class CertificateSerializer(serializers.ModelSerializer):
    offers = ScopedPrimaryKeyRelatedField(many=True, selector=offers_visible_to)
    body = ScopedPrimaryKeyRelatedField(
        selector=certification_bodies_visible_to,
        required=False,
        help_text="The issuing body; an officer's own body when left out.",
    )
    supplier = ScopedPrimaryKeyRelatedField(selector=suppliers_visible_to)
    status = serializers.ChoiceField(
        choices=CertificateStatus.choices, required=False, default=CertificateStatus.VALID
    )
    renewed_by = serializers.SerializerMethodField()
    scan_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "body",
            "supplier",
            "offers",
            "issued_on",
            "valid_until",
            "status",
            "status_reason",
            "renews",
            "renewed_by",
            "scan_url",
        ]
        read_only_fields = ["status_reason", "renews"]
        # certificate_issue checks the number per body and the term, answering 400.
        validators = []

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_renewed_by(self, obj):
        try:
            return obj.renewed_by.pk
        except Certificate.DoesNotExist:
            return None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_scan_url(self, obj):
        if not obj.scan:
            return None
        url = reverse("certificates-scan", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class CertificateReasonSerializer(serializers.Serializer):
    reason = FreeTextField(help_text="Why the certificate changes status.")


class CertificateRenewSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=100)
    issued_on = serializers.DateField(default=timezone.localdate)
    valid_until = serializers.DateField()


class ScanUploadSerializer(serializers.Serializer):
    scan = serializers.FileField(allow_empty_file=True, help_text="The certificate's scan, a PDF.")


class RegisterEntrySerializer(serializers.ModelSerializer):
    corporation_name = serializers.CharField(source="corporation.short_name", read_only=True)
    offer_name = serializers.CharField(source="offer.name", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    region = serializers.CharField(source="supplier.region.code", read_only=True)
    certificate_number = serializers.SerializerMethodField()
    certificate_valid_until = serializers.SerializerMethodField()
    active = serializers.BooleanField(read_only=True)

    class Meta:
        model = RegisterEntry
        fields = [
            "id",
            "corporation",
            "corporation_name",
            "number",
            "offer",
            "offer_name",
            "supplier",
            "supplier_name",
            "region",
            "okpd2",
            "certificate",
            "certificate_number",
            "certificate_valid_until",
            "included_on",
            "excluded_on",
            "exclusion_reason",
            "active",
            "updated",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_certificate_number(self, obj):
        return obj.certificate.number if obj.certificate else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_certificate_valid_until(self, obj):
        return obj.certificate.valid_until if obj.certificate else None


class ReviewQueueSerializer(serializers.ModelSerializer):
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    region = serializers.CharField(source="supplier.region.code", read_only=True)
    days_waiting = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "name",
            "supplier",
            "supplier_name",
            "region",
            "roadmap",
            "okpd2",
            "import_substitution",
            "replaces",
            "status",
            "status_changed",
            "days_waiting",
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def get_days_waiting(self, obj):
        return (timezone.now() - obj.status_changed).days


class StageCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class RegisterBulkTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=pipeline.REGISTER_BULK_ACTIONS,
        help_text=_("exclude (with a reason) or reinstate, as on the offer's review page."),
    )
    ids = bulk_api.ids_field()
    comment = bulk_api.comment_field(
        _("The exclusion reason, required to exclude; applies to every entry.")
    )
