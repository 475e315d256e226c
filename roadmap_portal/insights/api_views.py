"""The API of the insights: a roadmap series' volume and the figures reported for it, and
the yearly reports (requested here, built by the report worker, downloaded as PDF)."""

from django.db import router
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from procurement.models import Contract
from roadmap_portal.api import views as core_views
from roadmap_portal.api.conditional import (
    PRIVATE,
    Stamp,
    conditional,
    figures_of,
)
from roadmap_portal.api.examples import REPORT_EXAMPLES, REPORTED_VOLUME_EXAMPLE, VOLUME_EXAMPLE
from roadmap_portal.api.renderers import PDFRenderer
from roadmap_portal.api.statements import ModelStatement, Statements, reader
from roadmap_portal.choices import Role
from roadmap_portal.models import ReportedVolume, Roadmap, RoadmapTarget
from roadmap_portal.scope import has_role, may
from roadmap_portal.selectors import pair_of_visible, reports_visible_to
from roadmap_portal.storage import stored_file_response

from .reports import report_request, report_revive, subject_from
from .serializers import (
    ReportedVolumeInputSerializer,
    ReportedVolumeSerializer,
    ReportRequestSerializer,
    ReportSerializer,
    VolumeSerializer,
    volume_data,
)
from .volume import pair_volume, reported_volume_upsert

VOLUME_RULE = (
    "Volume of a year: the sum of contracts between the roadmap region's suppliers and the "
    "corporation's group (head or subsidiaries as customer). **Contracts recorded in the portal "
    "count when they exist for the year; otherwise the figure reported by region staff counts** "
    "(`source` says which). A year with neither is `null`, never zero. Roadmaps linked by "
    "`previous` form one series: the years run from the first roadmap's start to the last "
    "one's end (not past the current year)."
)


# The statements reading a roadmap's region and group (``RoadmapViewSet.volume``), by
# roadmap, query string and reader.
pairs = Statements()


class VolumeReaders(permissions.BasePermission):
    """Volumes and reports are for region staff, reviewers, partners and administrators."""

    roles = (Role.REGION_STAFF, Role.REVIEWER, Role.PARTNER)

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        return has_role(request.user, *self.roles)


class ReportWriters(VolumeReaders):
    """Reads for volume readers; requests for region staff, reviewers and administrators."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return may(request.user, "report.request")


class RoadmapViewSet(core_views.RoadmapViewSet):
    __doc__ = core_views.RoadmapViewSet.__doc__

    replica_actions = frozenset({"volume"})

    @extend_schema(
        summary="Cooperation volume per year of the roadmap's series",
        description=VOLUME_RULE,
        responses=VolumeSerializer,
        examples=[VOLUME_EXAMPLE],
    )
    @action(detail=True, methods=["get"], permission_classes=[VolumeReaders])
    def volume(self, request, pk=None):
        try:
            roadmap_id = int(pk)
        except (TypeError, ValueError):
            raise Http404 from None
        # The roadmaps of the roadmap's region and group, if the reader sees the roadmap:
        # their statement is kept per roadmap, query string and reader (its scope and
        # filters are conditions of the statement), so that a later GET builds no queryset.
        key = (
            type(self),
            roadmap_id,
            tuple(request.query_params.lists()),
            *reader(request.user),
        )
        kept = pairs.get(key)
        built = {}

        def pair():
            if "pair" not in built:
                visible = (
                    self.filter_queryset(self.get_queryset())
                    .select_related(None)
                    .prefetch_related(None)
                )
                built["pair"] = pair_of_visible(visible, roadmap_id).order_by("start_year", "id")
            return built["pair"]

        db = kept.database if kept is not None else pair().db
        db = db or router.db_for_read(Roadmap)
        # The answer's rows: the pair's roadmaps, their targets and reported figures, and
        # the contracts (built only for a conditional GET).
        stamps = [
            Stamp(pair),
            Stamp(
                lambda: RoadmapTarget.objects.using(db).filter(roadmap__in=pair().values("pk")),
                latest=("id",),
                total="amount",
            ),
            Stamp(
                lambda: ReportedVolume.objects.using(db).filter(roadmap__in=pair().values("pk")),
                latest=("created",),
                total="amount",
            ),
            # Any contract written since (the latest change, read from the end of the
            # (updated, id) index: counting the pair's contracts would cost what the
            # series' own GROUP BY costs).
            Stamp(lambda: Contract.objects.using(db).all(), total=None, count=False),
        ]
        read = {}

        def answer():
            statement = kept
            if statement is None:
                statement = ModelStatement.of(pair())
                if statement is not None:
                    pairs.keep(key, statement)
            roadmaps = statement.run() if statement is not None else []
            found = read["found"] = pair_volume(roadmap_id, roadmaps, using=db)
            if found is None:
                raise Http404
            self.check_object_permissions(request, found.roadmap)
            return Response(volume_data(found.volume))

        def answered_figures():
            # A GET that asks nothing conditional: the stamps' figures from the rows read.
            found = read["found"]
            return [
                figures_of(found.roadmaps, stamps[0]),
                figures_of(found.targets, stamps[1]),
                figures_of(found.reported, stamps[2]),
                (None, found.contracts_changed, None),
            ]

        return conditional(
            request,
            stamps,
            answer,
            visibility=PRIVATE,
            answered_figures=answered_figures,
            salt=timezone.localdate().isoformat(),  # the current year's figures
        )

    @extend_schema(
        summary="Record a volume reported for a year before the portal",
        description=(
            "Region staff of the roadmap's region (or an administrator) enter the volume of a "
            "year with its source; one figure per year of the series (a second call for the "
            "year replaces it). 400 for a year outside the series or a negative amount.\n\n"
            + VOLUME_RULE
        ),
        request=ReportedVolumeInputSerializer,
        responses={200: ReportedVolumeSerializer, 201: ReportedVolumeSerializer},
        examples=[REPORTED_VOLUME_EXAMPLE],
    )
    @action(detail=True, methods=["post"], url_path="reported-volumes")
    def reported_volumes(self, request, pk=None):
        roadmap = self.get_object()
        data = ReportedVolumeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row, created = reported_volume_upsert(
            roadmap=roadmap, user=request.user, **data.validated_data
        )
        return Response(
            ReportedVolumeSerializer(row).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Yearly cooperation reports (HTML and PDF), built by a background task.

    `POST` with one of `roadmap` (id), `region` (code) or `corporation` (group head id) and
    `year` answers 202 with the job; asking again while the same report is pending or
    running returns that job. Poll `GET /reports/{id}/` until `status` is `done` (then `pdf`
    links the download) or `failed` (`message` says why).
    """

    serializer_class = ReportSerializer
    permission_classes = [ReportWriters]
    filterset_fields = ["scope", "status", "year", "language"]
    ordering_fields = ["created", "year", "id"]

    def get_queryset(self):
        return reports_visible_to(self.request.user).order_by("-created", "-id")

    def get_object(self):
        return report_revive(super().get_object())  # a dead job is queued again first

    @extend_schema(
        request=ReportRequestSerializer,
        responses={202: ReportSerializer},
        summary="Request a yearly report",
        examples=REPORT_EXAMPLES,
    )
    def create(self, request, *args, **kwargs):
        data = ReportRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        subject = subject_from(
            roadmap=values.get("roadmap"),
            region=values.get("region"),
            corporation=values.get("corporation"),
        )
        language = values.get("language") or _user_language(request.user)
        report, _created = report_request(
            user=request.user, subject=subject, year=values["year"], language=language
        )
        return Response(
            ReportSerializer(report, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        summary="Download the report's PDF",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            404: OpenApiResponse(description="Not in your scope, or not built yet."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, PDFRenderer],
        url_path="pdf",
        url_name="pdf",
    )
    def pdf(self, request, pk=None):
        report = self.get_object()
        if report.status != "done":
            raise Http404
        return stored_file_response(
            report.pdf, filename=f"report-{report.subject_key.replace(':', '-')}-{report.year}.pdf"
        )


def _user_language(user):
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return getattr(profile, "language", None) or "ru"
