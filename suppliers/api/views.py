from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from roadmap_portal.api.bulk import BULK_RESPONSES, bulk_response
from roadmap_portal.api.conditional import ConditionalListMixin, Stamp, figures_of
from roadmap_portal.api.examples import TRANSITION_EXAMPLES
from roadmap_portal.api.pagination import FeedPagination, PageNumberPagination
from roadmap_portal.api.permissions import KeyWritePermission, RoleWritePermission
from roadmap_portal.api.renderers import PDFRenderer
from roadmap_portal.api.rows import RowPlan, ValuesCursorFeedMixin
from roadmap_portal.choices import Role
from roadmap_portal.db_routers import ReplicaReadsMixin
from roadmap_portal.export_jobs.api.views import ExportMixin
from roadmap_portal.scope import is_admin, may

from .. import tables
from ..filtersets import OfferFilterSet, SupplierFilterSet
from ..models import Offer, OfferAttachment
from ..selectors import (
    attachments_visible_to,
    history_is_internal_to,
    offer_history_visible_to,
    offer_list_for,
    suppliers_visible_to,
)
from ..services import (
    OFFER_FIELDS,
    offer_attachment_add,
    offer_create,
    offer_transition,
    offer_update,
    offers_bulk_transition,
    supplier_register,
    supplier_verify,
    suppliers_bulk_verify,
)
from ..views import attachment_response
from .serializers import (
    AttachmentUploadSerializer,
    OfferAttachmentSerializer,
    OfferBulkTransitionSerializer,
    OfferSerializer,
    OfferTransitionSerializer,
    SupplierBulkVerifySerializer,
    SupplierSerializer,
    SupplierVerifySerializer,
    TransitionRequestSerializer,
    TransitionResultSerializer,
)


class SupplierWritePermission(permissions.BasePermission):
    """Registering: a signed-in person with no role yet, or an administrator.
    Verifying: region staff (the service checks the region) and administrators."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(request.user, "_api_key", None) is not None:
            return False
        if view.action == "create":
            return may(request.user, "supplier.register")
        if view.action in ("verify", "bulk_verify"):
            return may(request.user, "supplier.verify")
        return is_admin(request.user)


class SupplierViewSet(ExportMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Regional suppliers. A signed-in person without a role registers an organisation
    (it starts ``pending`` and the person becomes its member); region staff verify it."""

    serializer_class = SupplierSerializer
    permission_classes = [SupplierWritePermission]
    filterset_class = SupplierFilterSet
    export_list = tables.SUPPLIERS
    ordering_fields = ["id", "name", "created"]

    def get_queryset(self):
        return suppliers_visible_to(self.request.user).order_by("name", "id")

    def perform_create(self, serializer):
        serializer.instance = supplier_register(user=self.request.user, **serializer.validated_data)

    @extend_schema(
        request=SupplierVerifySerializer,
        responses={
            200: SupplierSerializer,
            409: OpenApiResponse(
                description=gettext_lazy("The supplier is already verified (or rejected).")
            ),
        },
        description=gettext_lazy(
            "Verify (``verified: true``) or reject with a reason (region staff)."
        ),
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        body = SupplierVerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        supplier = supplier_verify(
            supplier_id=pk,
            user=request.user,
            verified=body.validated_data["verified"],
            comment=body.validated_data["comment"],
        )
        return Response(SupplierSerializer(supplier, context=self.get_serializer_context()).data)

    @extend_schema(
        request=SupplierBulkVerifySerializer,
        responses=BULK_RESPONSES,
        description=gettext_lazy(
            "Verify or reject many suppliers at once (region staff), each as ``verify`` "
            "would, in a transaction of its own; the answer gives each id's result."
        ),
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk-verify",
        filterset_class=None,
        ordering_fields=[],
        pagination_class=None,
    )
    def bulk_verify(self, request):
        body = SupplierBulkVerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return bulk_response(
            suppliers_bulk_verify(
                user=request.user,
                ids=body.validated_data["ids"],
                verified=body.validated_data["verified"],
                comment=body.validated_data["comment"],
            )
        )


def _attachment_url(row, context):
    path = reverse(
        "offers-attachment-download", kwargs={"pk": row["offer_id"], "attachment_id": row["id"]}
    )
    request = context.get("request")
    return request.build_absolute_uri(path) if request else path


# Cursor pages are written from these rows (roadmap_portal.api.rows).
OFFER_ROWS = RowPlan(
    OfferSerializer,
    nested={
        "attachments": (
            RowPlan(OfferAttachmentSerializer, computed={"url": (("offer_id",), _attachment_url)}),
            "offer_id",
        )
    },
)


class OfferViewSet(
    ExportMixin,
    ReplicaReadsMixin,
    ConditionalListMixin,
    ValuesCursorFeedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Product offers: lines of a supplier's product list and their pipeline.

    Suppliers create and edit offers while they are drafts (a later edit is 409); after that
    the offer moves only through ``transition``. Every role sees the stages that concern it.
    """

    serializer_class = OfferSerializer
    permission_classes = [RoleWritePermission]
    write_roles = (Role.SUPPLIER,)
    filterset_class = OfferFilterSet
    export_list = tables.OFFERS
    ordering_fields = ["id", "name", "status", "status_changed", "okpd2"]
    pagination_class = FeedPagination
    cursor_ordering = ("updated", "id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    row_plan = OFFER_ROWS

    def conditional_stamps(self, queryset):
        # An offer's answer lists its attachments, added without touching the offer (on a
        # cursor page, those of the offers shown).
        offers = Stamp(queryset, count=not self._cursor_page)

        def attachments():
            # Those of the offers shown (a page's), else of every offer of the answer.
            shown = self._shown() if self._shown else offers.rows()
            files = OfferAttachment.objects.filter(offer__in=shown.values("pk"))
            return files.using(offers.rows().db)

        return [offers, Stamp(attachments, latest=("created",), count=not self._cursor_page)]

    def answered_figures(self):
        rows = self.answered_rows()
        if rows is None:
            return None
        offers, attachments = self._stamps
        if self.action == "retrieve" and not isinstance(rows[0], dict):
            files = list(rows[0].attachments.all())  # prefetched with the offer
        else:
            fetched = getattr(self, "row_context", {}).get("fetched", {})
            files = fetched.get(("offer_id", OfferAttachment), [])
        return [figures_of(rows, offers), figures_of(files, attachments)]

    def get_queryset(self):
        return offer_list_for(self.request.user)

    def get_permissions(self):
        if self.action in ("transition", "bulk_transition"):
            # Each transition names its roles; the service answers 403 for the others.
            return [permissions.IsAuthenticated(), KeyWritePermission()]
        return super().get_permissions()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        supplier = data.pop("supplier", None)
        roadmap = data.pop("roadmap")
        serializer.instance = offer_create(
            user=self.request.user,
            supplier_id=supplier.pk if supplier is not None else None,
            roadmap=roadmap,
            **data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        supplier = data.pop("supplier", None)
        if supplier is not None and supplier.pk != serializer.instance.supplier_id:
            raise ValidationError({"supplier": _("An offer cannot move to another supplier.")})
        fields = {k: v for k, v in data.items() if k in OFFER_FIELDS or k == "roadmap"}
        offer_update(offer=serializer.instance, user=self.request.user, **fields)

    @extend_schema(
        examples=TRANSITION_EXAMPLES,
        request=TransitionRequestSerializer,
        responses={
            200: TransitionResultSerializer,
            400: OpenApiResponse(
                description=gettext_lazy("The stage's record or the comment is missing.")
            ),
            403: OpenApiResponse(description=gettext_lazy("Your role may not take this action.")),
            404: OpenApiResponse(description=gettext_lazy("The offer is outside your scope.")),
            409: OpenApiResponse(
                description=gettext_lazy("Not allowed from the offer's current status.")
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        body = TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        offer, history = offer_transition(
            offer_id=pk,
            user=request.user,
            action=body.validated_data["action"],
            comment=body.validated_data["comment"],
            data=body.validated_data["data"],
        )
        offer = (
            Offer.objects.select_related("supplier")
            .prefetch_related("attachments")
            .get(pk=offer.pk)
        )
        context = self.get_serializer_context()
        return Response(
            {
                "offer": OfferSerializer(offer, context=context).data,
                "transition": OfferTransitionSerializer(history, context=context).data,
            }
        )

    @extend_schema(
        request=OfferBulkTransitionSerializer,
        responses=BULK_RESPONSES,
        description=gettext_lazy(
            "Take one action on many offers (submit or withdraw drafts; forward or return "
            "submitted offers), each as ``transition`` would, in a transaction of its own: "
            "the answer gives each id's result, done or the reason not."
        ),
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk-transition",
        filterset_class=None,
        ordering_fields=[],
        pagination_class=None,
    )
    def bulk_transition(self, request):
        body = OfferBulkTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return bulk_response(
            offers_bulk_transition(
                user=request.user,
                action=body.validated_data["action"],
                ids=body.validated_data["ids"],
                comment=body.validated_data["comment"],
            )
        )

    @extend_schema(responses={200: OfferTransitionSerializer(many=True)}, filters=False)
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        ordering_fields=[],
        pagination_class=PageNumberPagination,
    )
    def history(self, request, pk=None):
        offer = self.get_object()
        rows = offer_history_visible_to(request.user, offer)
        page = self.paginate_queryset(rows)
        serializer = OfferTransitionSerializer(
            page, many=True, context={"public_history": not history_is_internal_to(request.user)}
        )
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        methods=["get"], responses={200: OfferAttachmentSerializer(many=True)}, filters=False
    )
    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: OfferAttachmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        filterset_class=None,
        ordering_fields=[],
        pagination_class=PageNumberPagination,
    )
    def attachments(self, request, pk=None):
        offer = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            rows = offer.attachments.order_by("id")
            page = self.paginate_queryset(rows)
            return self.get_paginated_response(
                OfferAttachmentSerializer(page, many=True, context=context).data
            )
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = offer_attachment_add(
            offer_id=offer.pk, user=request.user, upload=body.validated_data["file"]
        )
        return Response(
            OfferAttachmentSerializer(attachment, context=context).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)",
        url_name="attachment-download",
        renderer_classes=[renderers.JSONRenderer, PDFRenderer],
        filterset_class=None,
        ordering_fields=[],
    )
    def attachment_download(self, request, pk=None, attachment_id=None):
        attachment = (
            attachments_visible_to(request.user).filter(pk=attachment_id, offer_id=pk).first()
        )
        if attachment is None:
            raise Http404
        return attachment_response(attachment)
