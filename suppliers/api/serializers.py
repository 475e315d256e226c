from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from roadmap_portal.api import bulk as bulk_api
from roadmap_portal.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from roadmap_portal.input_limits import FreeTextField, LimitedDictField
from roadmap_portal.scope import reads_internal_records
from roadmap_portal.selectors import demands_visible_to, regions_visible_to, roadmaps_visible_to

from .. import pipeline
from ..models import Offer, OfferAttachment, OfferTransition, Supplier
from ..selectors import public_comment, suppliers_visible_to
from . import schema  # noqa: F401  (documents TransitionDataField)


class SupplierSerializer(serializers.ModelSerializer):
    region = ScopedSlugRelatedField(slug_field="code", selector=regions_visible_to)

    class Meta:
        model = Supplier
        fields = [
            "id",
            "name",
            "inn",
            "ogrn",
            "region",
            "kind",
            "verification_status",
            "verification_comment",
            "verified_at",
            "contact_person",
            "email",
            "phone",
            "address",
            "website",
        ]
        read_only_fields = [
            "verification_status",
            "verification_comment",
            "verified_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not reads_internal_records(request.user):
            data["verification_comment"] = ""  # region staff's note: internal
        return data


class SupplierVerifySerializer(serializers.Serializer):
    verified = serializers.BooleanField()
    comment = FreeTextField(required=False, allow_blank=True, default="")


class OfferAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = OfferAttachment
        fields = ["id", "original_name", "size", "created", "url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment):
        path = reverse(
            "offers-attachment-download",
            kwargs={"pk": attachment.offer_id, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text=_("A PDF datasheet."))


class OfferSerializer(serializers.ModelSerializer):
    supplier = ScopedPrimaryKeyRelatedField(
        selector=suppliers_visible_to,
        required=False,
        help_text=_("Set by the portal for a supplier's member; an administrator names it."),
    )
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    roadmap = ScopedPrimaryKeyRelatedField(selector=roadmaps_visible_to)
    demand = ScopedPrimaryKeyRelatedField(
        selector=demands_visible_to, required=False, allow_null=True
    )
    attachments = OfferAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Offer
        fields = [
            "id",
            "supplier",
            "supplier_name",
            "roadmap",
            "demand",
            "name",
            "description",
            "okpd2",
            "import_substitution",
            "replaces",
            "gisp_number",
            "capacity_per_year",
            "unit",
            "unit_price",
            "status",
            "status_changed",
            "attachments",
            "created",
            "updated",
        ]
        read_only_fields = ["status", "status_changed", "created", "updated"]


class OfferTransitionSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username", read_only=True, default=None, allow_null=True
    )
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = OfferTransition
        fields = [
            "id",
            "action",
            "from_status",
            "to_status",
            "actor",
            "actor_name",
            "comment",
            "data",
            "created",
        ]

    def get_actor_name(self, row) -> str:
        if row.actor is None:
            return ""
        return row.actor.get_full_name() or row.actor.username

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("public_history"):
            # Who moved the offer and why stays inside the portal (history_is_internal_to).
            data.update(actor=None, actor_name="", comment=public_comment(instance), data={})
        return data


class TransitionDataField(LimitedDictField):
    """A transition's ``data``: within the request limits here; the service validates it with
    the input serializer the transition declares (``suppliers.pipeline``), which the schema
    documents (``schema.TransitionDataFieldExtension``)."""


class TransitionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=pipeline.ACTIONS)
    comment = FreeTextField(required=False, allow_blank=True, default="")
    data = TransitionDataField(required=False, default=dict)


class TransitionResultSerializer(serializers.Serializer):
    offer = OfferSerializer()
    transition = OfferTransitionSerializer()


class OfferBulkTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=pipeline.BULK_ACTIONS,
        help_text=_(
            "submit or withdraw (suppliers), forward or return (region staff): the actions "
            "that need no stage record."
        ),
    )
    ids = bulk_api.ids_field()
    comment = bulk_api.comment_field(
        _("Required to return; applies to every offer, as on the single transition.")
    )


class SupplierBulkVerifySerializer(serializers.Serializer):
    verified = serializers.BooleanField(
        help_text=_("true to verify, false to reject (with a comment).")
    )
    ids = bulk_api.ids_field()
    comment = bulk_api.comment_field(_("Required to reject; applies to every supplier."))
