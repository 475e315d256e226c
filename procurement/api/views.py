from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from roadmap_portal.api.conditional import PUBLIC, ConditionalListMixin, Stamp, conditional
from roadmap_portal.api.examples import ELIGIBILITY_EXAMPLE
from roadmap_portal.api.pagination import FeedPagination
from roadmap_portal.api.permissions import RoleWritePermission
from roadmap_portal.api.rows import RowPlan, ValuesCursorFeedMixin
from roadmap_portal.choices import Role
from roadmap_portal.db_routers import ReplicaReadsMixin
from roadmap_portal.export_jobs.api.views import ExportMixin
from roadmap_portal.filtersets import SinceField
from roadmap_portal.scope import scope_of
from roadmap_portal.selectors import demands_visible_to
from suppliers.selectors import offers_brief_visible_to, offers_visible_to, suppliers_visible_to

from .. import services, tables
from ..eligibility import evaluate
from ..filtersets import BidFilterSet, ContractFilterSet, DemandFilterSet, TenderFilterSet
from ..models import Bid, Contract, Tender
from ..ocds.package import (
    DIRECT_CONTRACTS,
    EXTENSION_DIR,
    EXTENSION_FILES,
    TENDERS,
    release_package,
    releases_page,
)
from ..selectors import (
    bids_visible_to,
    contracts_visible_to,
    demands_matching_supplier,
    published_bids_visible_to,
    tenders_visible_to,
)
from .serializers import (
    BidSerializer,
    ContractSerializer,
    DemandSerializer,
    EligibilitySerializer,
    TenderAwardSerializer,
    TenderSerializer,
    TenderTransitionSerializer,
)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "matching",
            OpenApiTypes.BOOL,
            description="Suppliers: only demands matching their offers' OKPD2 codes.",
        )
    ]
)
class DemandViewSet(ExportMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Needs published by corporations and subsidiaries (corporate reviewers create them)."""

    serializer_class = DemandSerializer
    permission_classes = [RoleWritePermission]
    write_roles = (Role.REVIEWER,)
    filterset_class = DemandFilterSet
    export_list = tables.DEMANDS
    ordering_fields = ["id", "deadline"]

    def get_queryset(self):
        qs = demands_visible_to(self.request.user).order_by("-id")
        scope = scope_of(self.request.user)
        matching = self.request.query_params.get("matching", "").lower() in ("1", "true", "yes")
        if matching and scope.is_supplier:
            qs = demands_matching_supplier(qs, scope.supplier_id)
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.demand_create(
            user=self.request.user, **serializer.validated_data
        )


# Pages of tenders are written from these rows (roadmap_portal.api.rows).
TENDER_ROWS = RowPlan(
    TenderSerializer, computed={"categories": (("categories",), lambda row, _c: row["categories"])}
)


class TenderViewSet(
    ExportMixin,
    ReplicaReadsMixin,
    ConditionalListMixin,
    ValuesCursorFeedMixin,
    mixins.CreateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Tenders of corporations and subsidiaries; reviewers of the group create and move them."""

    serializer_class = TenderSerializer
    permission_classes = [RoleWritePermission]
    write_roles = (Role.REVIEWER,)
    filterset_class = TenderFilterSet
    export_list = tables.TENDERS
    ordering_fields = ["id", "deadline", "published_on"]
    pagination_class = FeedPagination
    cursor_ordering = ("updated", "id")
    cache_visibility = PUBLIC
    row_plan = TENDER_ROWS

    def get_queryset(self):
        return tenders_visible_to(self.request.user).order_by("-published_on", "-id")

    def perform_create(self, serializer):
        serializer.instance = services.tender_create(
            user=self.request.user, **serializer.validated_data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("supplier", OpenApiTypes.INT, required=True, description="Supplier id")
        ],
        responses=EligibilitySerializer,
        examples=[ELIGIBILITY_EXAMPLE],
    )
    @action(detail=True, methods=["get"])
    def eligibility(self, request, pk=None):
        """The five eligibility checks for a supplier, each with its reason."""
        tender = self.get_object()
        raw = request.query_params.get("supplier")
        if not raw or not str(raw).isdigit():
            raise ValidationError({"supplier": _("Give the supplier's id: ?supplier=ID.")})
        supplier = suppliers_visible_to(request.user).filter(pk=int(raw)).first()
        if supplier is None:
            raise Http404
        # The checks name only offers the caller may see (a partner: the public ones).
        result = evaluate(tender=tender, supplier=supplier, within=offers_visible_to(request.user))
        return Response(result.as_dict())

    @extend_schema(request=TenderTransitionSerializer, responses=TenderSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Open, close or cancel the tender (409 when not allowed from its status)."""
        serializer = TenderTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tender = services.tender_transition(
            user=request.user,
            tender_id=self.get_object().pk,
            action=serializer.validated_data["action"],
        )
        return Response(TenderSerializer(tender).data)

    @extend_schema(request=TenderAwardSerializer, responses={201: ContractSerializer})
    @action(detail=True, methods=["post"])
    def award(self, request, pk=None):
        """Award the tender to a bid: the bid wins, the others lose, a contract is signed."""
        serializer = TenderAwardSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        contract = services.tender_award(
            user=request.user,
            tender_id=self.get_object().pk,
            bid_id=serializer.validated_data["bid"].pk,
            amount=serializer.validated_data.get("amount"),
            signed_on=serializer.validated_data.get("signed_on"),
            number=serializer.validated_data.get("number", ""),
        )
        return Response(ContractSerializer(contract).data, status=status.HTTP_201_CREATED)


class BidViewSet(ExportMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Bids: suppliers see their own, reviewers those on their group's tenders.
    A bid is accepted only when every eligibility check passes (400 lists the failed ones)."""

    serializer_class = BidSerializer
    permission_classes = [RoleWritePermission]
    write_roles = (Role.SUPPLIER,)
    filterset_class = BidFilterSet
    export_list = tables.BIDS
    ordering_fields = ["id", "created", "price"]

    def get_queryset(self):
        return (
            bids_visible_to(self.request.user)
            .prefetch_related(
                Prefetch("offers", queryset=offers_brief_visible_to(self.request.user))
            )
            .order_by("-created", "-id")
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        supplier = data.get("supplier")
        try:
            bid = services.bid_create(
                user=request.user,
                tender_id=data["tender"].pk,
                offer_ids=[o.pk for o in data["offers"]],
                price=data["price"],
                supplier_id=supplier.pk if supplier else None,
            )
        except services.NotEligible as exc:
            return Response(
                {
                    "detail": _("The supplier is not eligible for this tender."),
                    "eligible": False,
                    "checks": [c.as_dict() for c in exc.eligibility.failed],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        bid = self.get_queryset().get(pk=bid.pk)
        return Response(self.get_serializer(bid).data, status=status.HTTP_201_CREATED)


class ContractViewSet(
    ExportMixin, ReplicaReadsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Contracts after tenders and direct purchases; reviewers record those of their group."""

    serializer_class = ContractSerializer
    permission_classes = [RoleWritePermission]
    write_roles = (Role.REVIEWER,)
    filterset_class = ContractFilterSet
    export_list = tables.CONTRACTS
    ordering_fields = ["id", "signed_on", "amount"]
    pagination_class = FeedPagination
    cursor_ordering = ("updated", "id")

    def get_queryset(self):
        return contracts_visible_to(self.request.user).order_by("-signed_on", "-id")

    def perform_create(self, serializer):
        serializer.instance = services.contract_create(
            user=self.request.user, **serializer.validated_data
        )


class OcdsReleasePackageView(ReplicaReadsMixin, APIView):
    """Tenders, awards and contracts in your scope as OCDS 1.1 release packages of
    ``page_size`` releases: tenders first, then direct contracts, each by id. Follow
    ``links.next`` until a package has none."""

    permission_classes = [IsAuthenticated]

    max_page_size = 500
    page_size = 100

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description=(
                    "Only processes changed at or after this moment (ISO 8601 date or "
                    "date-time; a date means its start, Moscow time)."
                ),
            ),
            OpenApiParameter(
                "cursor",
                OpenApiTypes.STR,
                description="Opaque position from a previous package's `links.next`.",
            ),
            OpenApiParameter(
                "page_size",
                OpenApiTypes.INT,
                description="Releases per package, 1 to 500 (default 100).",
            ),
        ],
        responses=inline_serializer(
            "OcdsReleasePackage",
            fields={
                "uri": serializers.URLField(),
                "version": serializers.CharField(),
                "publishedDate": serializers.DateTimeField(),
                "publisher": serializers.DictField(),
                "extensions": serializers.ListField(child=serializers.URLField()),
                "releases": serializers.ListField(child=serializers.DictField()),
                "links": inline_serializer(
                    "OcdsPackageLinks",
                    fields={"next": serializers.URLField()},
                    required=False,
                ),
            },
        ),
    )
    def get(self, request):
        # The package is made of tenders, contracts and bids: the latest change to any of
        # them (each read from the end of an index, whatever the number of rows; the scope
        # is in the ETag), and the day (a bid's bidders show once its deadline passed).
        stamps = [
            Stamp(Tender.objects.all(), total=None, count=False),
            Stamp(Contract.objects.all(), total=None, count=False),
            Stamp(Bid.objects.all(), latest=("id",), total=None, count=False),
        ]
        return conditional(
            request,
            stamps,
            lambda: self._package(request),
            visibility=PUBLIC,
            salt=timezone.localdate().isoformat(),
        )

    def _package(self, request):
        params = request.query_params
        since = self._parse(SinceField(), "since", params.get("since"))
        after = self._position(params.get("cursor"))
        size = self._parse(
            forms.IntegerField(min_value=1, max_value=self.max_page_size),
            "page_size",
            params.get("page_size"),
        )
        releases, position = releases_page(
            tenders=tenders_visible_to(request.user),
            contracts=contracts_visible_to(request.user),
            bids=published_bids_visible_to(request.user),
            offers=offers_visible_to(request.user),
            since=since,
            after=after,
            size=size or self.page_size,
        )
        next_url = None
        if position is not None:
            next_url = replace_query_param(
                request.build_absolute_uri(), "cursor", "{}-{}".format(*position)
            )
        package = release_package(
            releases=releases,
            uri=request.build_absolute_uri(),
            extension_url=request.build_absolute_uri(
                reverse("ocds-extension", args=["extension.json"])
            ),
            next_url=next_url,
        )
        return Response(package)

    @staticmethod
    def _parse(field, name, raw):
        if raw in (None, ""):
            return None
        try:
            return field.clean(raw)
        except DjangoValidationError as exc:
            raise ValidationError({name: exc.messages}) from exc

    @staticmethod
    def _position(raw):
        if not raw:
            return None
        kind, _sep, last_id = raw.partition("-")
        if kind not in (TENDERS, DIRECT_CONTRACTS) or not last_id.isdigit() or len(last_id) > 12:
            raise ValidationError(
                {"cursor": [_("This cursor is not valid: use the links.next of a package.")]}
            )
        return kind, int(last_id)


class OcdsExtensionFileView(APIView):
    """The files of the portal's OCDS extension (public, so that standard tools can read them)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT})
    def get(self, request, name):
        if name not in EXTENSION_FILES:
            raise Http404
        return HttpResponse(
            (EXTENSION_DIR / name).read_bytes(), content_type="application/json; charset=utf-8"
        )
