"""API of the corporate review records, certificates and the register. Thin: serializers
parse, services decide, selectors scope."""

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from roadmap_portal.api.bulk import BULK_RESPONSES, bulk_response
from roadmap_portal.api.conditional import PUBLIC, ConditionalListMixin
from roadmap_portal.api.pagination import FeedPagination
from roadmap_portal.api.permissions import KeyWritePermission, RoleWritePermission
from roadmap_portal.api.rows import RowPlan, ValuesCursorFeedMixin
from roadmap_portal.choices import Role
from roadmap_portal.db_routers import ReplicaReadsMixin
from roadmap_portal.export_jobs.api.views import ExportMixin
from roadmap_portal.scope import has_role
from roadmap_portal.storage import stored_file_response
from suppliers.choices import OfferStatus

from .. import selectors, services, tables
from ..choices import CertificateStatus
from ..filtersets import (
    CertificateFilterSet,
    OfferRecordFilterSet,
    ProductTestFilterSet,
    RegisterEntryFilterSet,
    RequirementFilterSet,
    ReviewQueueFilterSet,
)
from .serializers import (
    CertificateReasonSerializer,
    CertificateRenewSerializer,
    CertificateSerializer,
    ProductTestSerializer,
    ReadinessEvaluationSerializer,
    RegisterBulkTransitionSerializer,
    RegisterEntrySerializer,
    RequirementCheckSerializer,
    RequirementSerializer,
    ReviewQueueSerializer,
    ScanUploadSerializer,
    StageCountSerializer,
)

PDF_RESPONSE = {(200, "application/pdf"): OpenApiTypes.BINARY}


def _pdf(field, filename):
    return stored_file_response(field, filename=filename)


class RequirementViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Corporate requirements of a group, kept by its reviewers. Deactivate with
    ``PATCH {"active": false}``; requirements are never deleted."""

    serializer_class = RequirementSerializer
    permission_classes = [RoleWritePermission]
    write_roles = (Role.REVIEWER,)
    filterset_class = RequirementFilterSet
    ordering_fields = ["code", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.requirements_visible_to(self.request.user).order_by(
            "corporation_id", "code", "id"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.requirement_save(
            user=self.request.user,
            code=data.get("code"),
            title=data.get("title"),
            categories=data.get("categories", []),
            active=data.get("active", True),
        )

    def perform_update(self, serializer):
        instance = serializer.instance
        data = serializer.validated_data
        serializer.instance = services.requirement_save(
            user=self.request.user,
            requirement=instance,
            code=data.get("code", instance.code),
            title=data.get("title", instance.title),
            categories=data.get("categories", instance.categories),
            active=data.get("active", instance.active),
        )


@extend_schema_view(
    list=extend_schema(description="Requirement outcomes recorded for offers in your scope."),
)
class RequirementCheckViewSet(viewsets.ReadOnlyModelViewSet):
    """Requirement checks of offers in scope; ``?offer=ID`` for one offer."""

    serializer_class = RequirementCheckSerializer
    filterset_class = OfferRecordFilterSet

    def get_queryset(self):
        return selectors.requirement_checks_visible_to(self.request.user).order_by("offer_id", "id")


class ReadinessEvaluationViewSet(viewsets.ReadOnlyModelViewSet):
    """Readiness evaluations of offers in scope; ``?offer=ID`` for one offer."""

    serializer_class = ReadinessEvaluationSerializer
    filterset_class = OfferRecordFilterSet

    def get_queryset(self):
        return selectors.readiness_visible_to(self.request.user).order_by("offer_id", "id")


class ProductTestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Tests of offers in scope. ``POST`` (multipart with ``protocol``, a PDF) records a test
    while the offer's readiness is confirmed; then ``pass_tests``/``fail_tests`` decide."""

    serializer_class = ProductTestSerializer
    permission_classes = [RoleWritePermission]
    write_roles = (Role.REVIEWER,)
    filterset_class = ProductTestFilterSet
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return selectors.product_tests_visible_to(self.request.user).order_by(
            "offer_id", "started_on", "id"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.product_test_record(
            offer_id=data["offer"].pk,
            user=self.request.user,
            kind=data["kind"],
            started_on=data.get("started_on"),
            finished_on=data.get("finished_on"),
            result=data["result"],
            remarks=data.get("remarks", ""),
            protocol=data.get("protocol"),
        )

    @extend_schema(responses={**PDF_RESPONSE, 404: OpenApiResponse(description="No protocol")})
    @action(detail=True, methods=["get"])
    def protocol(self, request, pk=None):
        test = self.get_object()
        return _pdf(test.protocol, f"protocol-{test.offer_id}-{test.pk}.pdf")


class CertificateViewSet(ExportMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Certificates of compliance: officers see and issue their body's, suppliers see their
    own, reviewers those of the body their group requires."""

    serializer_class = CertificateSerializer
    permission_classes = [RoleWritePermission]
    write_roles = (Role.OFFICER,)
    filterset_class = CertificateFilterSet
    export_list = tables.CERTIFICATES
    ordering_fields = ["issued_on", "valid_until", "id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.certificate_list(self.request.user)

    def _answer(self, certificate):
        """The certificate as the caller may see it: re-read through the scoped list, so
        that the offers it names are those of the caller's scope."""
        return selectors.certificate_list(self.request.user).get(pk=certificate.pk)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.certificate_issue(
            user=self.request.user,
            body=data.get("body"),
            number=data.get("number"),
            supplier=data.get("supplier"),
            offers=data.get("offers", []),
            issued_on=data.get("issued_on"),
            valid_until=data.get("valid_until"),
            status=data.get("status", CertificateStatus.VALID),
        )
        serializer.instance = self._answer(serializer.instance)

    def _set_status(self, request, new_status):
        certificate = self.get_object()
        reason = ""
        if new_status != CertificateStatus.VALID:
            serializer = CertificateReasonSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            reason = serializer.validated_data["reason"]
        certificate = services.certificate_set_status(
            certificate_id=certificate.pk, user=request.user, status=new_status, reason=reason
        )
        return Response(
            CertificateSerializer(self._answer(certificate), context={"request": request}).data
        )

    @extend_schema(request=CertificateReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Suspend: the registered offers resting on it leave the register at once."""
        return self._set_status(request, CertificateStatus.SUSPENDED)

    @extend_schema(request=CertificateReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke for good: the registered offers resting on it leave the register at once."""
        return self._set_status(request, CertificateStatus.REVOKED)

    @extend_schema(request=None, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        """A suspended certificate becomes valid again (excluded offers are reinstated by the
        corporation's reviewer)."""
        return self._set_status(request, CertificateStatus.VALID)

    @extend_schema(request=CertificateRenewSerializer, responses={201: CertificateSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """A new certificate covering the same offers, ``renews`` pointing at this one."""
        certificate = self.get_object()
        serializer = CertificateRenewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = services.certificate_renew(
            certificate_id=certificate.pk, user=request.user, **serializer.validated_data
        )
        return Response(
            CertificateSerializer(self._answer(new), context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={**PDF_RESPONSE, 404: OpenApiResponse(description="No scan")},
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": ScanUploadSerializer},
        responses=CertificateSerializer,
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def scan(self, request, pk=None):
        """GET downloads the scan; POST (multipart ``scan``, a PDF) attaches it."""
        certificate = self.get_object()
        if request.method == "GET":
            return _pdf(certificate.scan, f"certificate-{certificate.pk}.pdf")
        serializer = ScanUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        certificate = services.certificate_attach_scan(
            certificate_id=certificate.pk, user=request.user, scan=serializer.validated_data["scan"]
        )
        return Response(
            CertificateSerializer(self._answer(certificate), context={"request": request}).data
        )


REGISTER_ENTRY_COLUMNS = (
    "corporation__short_name",
    "number",
    "offer__name",
    "supplier__name",
    "supplier__region__code",
    "okpd2",
    "certificate__number",
    "certificate__valid_until",
    "included_on",
    "excluded_on",
    "exclusion_reason",
    "updated",
)


# Cursor pages are written from these rows (roadmap_portal.api.rows).
REGISTER_ROWS = RowPlan(
    RegisterEntrySerializer,
    computed={
        "certificate_number": (
            ("certificate__number",),
            lambda row, _c: row["certificate__number"],
        ),
        "certificate_valid_until": (
            ("certificate__valid_until",),
            lambda row, _c: row["certificate__valid_until"],
        ),
        "active": (("excluded_on",), lambda row, _c: row["excluded_on"] is None),
    },
)


class RegisterEntryViewSet(
    ExportMixin,
    ReplicaReadsMixin,
    ConditionalListMixin,
    ValuesCursorFeedMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The register of permitted products; filters ``corporation``, ``okpd2`` (prefix),
    ``active``, ``supplier``, ``region``, ``search``."""

    serializer_class = RegisterEntrySerializer
    row_plan = REGISTER_ROWS
    # The same for every signed-in caller of a scope (a partner key narrows it).
    cache_visibility = PUBLIC
    filterset_class = RegisterEntryFilterSet
    export_list = tables.REGISTER
    ordering_fields = ["number", "included_on", "id"]
    pagination_class = FeedPagination
    cursor_ordering = ("updated", "id")

    def get_queryset(self):
        # The columns the serializer writes, and no join it does not read.
        return (
            selectors.register_list(self.request.user)
            .select_related(None)
            .select_related("corporation", "offer", "supplier__region", "certificate")
            .only(*REGISTER_ENTRY_COLUMNS)
        )

    def get_permissions(self):
        if self.action == "bulk_transition":
            # The offers' transitions name their roles; the service answers 403 for others.
            return [permissions.IsAuthenticated(), KeyWritePermission()]
        return super().get_permissions()

    @extend_schema(
        request=RegisterBulkTransitionSerializer,
        responses=BULK_RESPONSES,
        description=gettext_lazy(
            "Exclude (one reason for all) or reinstate many register entries (reviewers of "
            "the entries' group), each through its offer's transition in a transaction of "
            "its own; the answer gives each id's result."
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
        body = RegisterBulkTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return bulk_response(
            services.register_entries_bulk_transition(
                user=request.user,
                action=body.validated_data["action"],
                ids=body.validated_data["ids"],
                comment=body.validated_data["comment"],
            )
        )


class ReviewQueueViewSet(ExportMixin, viewsets.ReadOnlyModelViewSet):
    """The reviewer's queue: offers of the group in the review stages, longest waiting first."""

    serializer_class = ReviewQueueSerializer
    filterset_class = ReviewQueueFilterSet
    export_list = tables.REVIEW_QUEUE

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not has_role(request.user, Role.REVIEWER):
            raise PermissionDenied("The review queue is for corporate reviewers.")

    def get_queryset(self):
        return selectors.review_queue(self.request.user)

    @extend_schema(responses=StageCountSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def counts(self, request):
        """Offers per review stage (one grouped query)."""
        counts = selectors.stage_counts(self.get_queryset())
        return Response(
            [
                {"status": key, "label": str(OfferStatus(key).label), "count": n}
                for key, n in counts.items()
            ]
        )
