"""The API's exports: ``GET <list>/export/`` on each working list, and the export jobs."""

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from roadmap_portal.api.permissions import KeyWritePermission
from roadmap_portal.exports import (
    CSV_CONTENT_TYPE,
    EXPORT_FORMATS,
    XLSX_CONTENT_TYPE,
    ExportList,
    export_list_get,
    export_list_register,
)

from ..selectors import export_jobs_of
from ..services import export_job_request, export_job_revive
from ..views import inline_response, job_file_response
from .renderers import CSVFileRenderer, XLSXFileRenderer
from .serializers import ExportJobRequestSerializer, ExportJobSerializer

API_PREFIX = "api."
FILE_RESPONSES = {
    (200, CSV_CONTENT_TYPE.split(";")[0]): OpenApiResponse(
        OpenApiTypes.BINARY, description="The list as CSV (UTF-8 with a BOM)."
    ),
    (200, XLSX_CONTENT_TYPE): OpenApiResponse(
        OpenApiTypes.BINARY, description="The list as an XLSX workbook of one sheet."
    ),
}


def viewset_rows(viewset_class, guard=None):
    """``rows(user, params)`` of an API list: the viewset's own queryset under its filter
    backends (filters and ``ordering``) for ``user``, as its ``list`` answers it. The export
    job's worker calls it with the job owner's user and query string."""

    def rows(user, params):
        if guard is not None:
            guard(user)
        http = HttpRequest()
        http.method = "GET"
        http.GET = params if isinstance(params, QueryDict) else QueryDict(params)
        http.user = user
        request = Request(http)
        request.user = user
        view = viewset_class(
            action="list", request=request, format_kwarg=None, args=(), kwargs={}, headers={}
        )
        return view.filter_queryset(view.get_queryset())

    return rows


class ExportMixin:
    """``GET <list>/export/?export=csv|xlsx&<the list's filters and ordering>``: the list's
    rows in its order as a file with the page's columns (``export_list``); above
    ``EXPORT_INLINE_MAX_ROWS`` rows, a job (202 and the job, ``Location`` its address)."""

    export_list: ExportList | None = None
    api_export_list: ExportList | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        page_list = cls.__dict__.get("export_list")
        if page_list is not None:
            cls.api_export_list = export_list_register(
                ExportList(
                    name=f"{API_PREFIX}{page_list.name}",
                    title=page_list.title,
                    columns=page_list.columns,
                    rows=viewset_rows(cls, page_list.guard),
                    prepare=page_list.prepare,
                    guard=page_list.guard,
                )
            )

    @extend_schema(
        summary="Export the list as CSV or XLSX",
        description=(
            "The list's rows under the same filters and `ordering` as the list itself, "
            "as a file. Above the server's inline limit (EXPORT_INLINE_MAX_ROWS) the export "
            "runs as a job: 202 with the job; poll `GET /export-jobs/{id}/`."
        ),
        filters=True,
        parameters=[
            OpenApiParameter(
                "export",
                OpenApiTypes.STR,
                enum=list(EXPORT_FORMATS),
                default="csv",
                description="The file's format.",
            )
        ],
        responses={
            **FILE_RESPONSES,
            (202, "application/json"): ExportJobSerializer,
            (400, "application/json"): OpenApiResponse(
                description="A filter or the format is not valid."
            ),
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        url_name="export",
        pagination_class=None,
        renderer_classes=[renderers.JSONRenderer, CSVFileRenderer, XLSXFileRenderer],
    )
    def export(self, request, *args, **kwargs):
        file_format = request.query_params.get("export", "csv")
        if file_format not in EXPORT_FORMATS:
            raise ValidationError(
                {"export": [_("Choose one of: %(codes)s.") % {"codes": ", ".join(EXPORT_FORMATS)}]}
            )
        rows = self.filter_queryset(self.get_queryset())
        total = rows.count()
        if total <= settings.EXPORT_INLINE_MAX_ROWS:
            # Whole, not streamed: the answer passes through DRF's response cycle.
            return inline_response(self.api_export_list, rows, file_format, stream=False)
        job = export_job_request(
            user=request.user,
            export_list=self.api_export_list,
            params=request.query_params,
            file_format=file_format,
            rows_total=total,
        )
        return _job_accepted(request, job)


def _job_accepted(request, job):
    return Response(
        ExportJobSerializer(job, context={"request": request}).data,
        status=status.HTTP_202_ACCEPTED,
        headers={
            "Location": request.build_absolute_uri(reverse("export-jobs-detail", args=[job.pk]))
        },
    )


class ExportJobViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your export jobs (nobody else's: another person's job answers 404).

    `POST` with `list` (an API list's path: `offers`, `review-queue`, ...), `format` and
    `query` (the list's query string) queues the export whatever its size: 202 with the job.
    Poll `GET /export-jobs/{id}/` until `status` is `done` (`download` links the file) or
    `failed` (`error` says why); `rows_done` of `rows_total` tells the progress. A partner
    key asks for jobs only when it names `export-jobs` among the resources it may write.
    """

    serializer_class = ExportJobSerializer
    permission_classes = [permissions.IsAuthenticated, KeyWritePermission]
    filterset_fields = ["status"]
    ordering_fields = ["created", "id"]

    def get_queryset(self):
        return export_jobs_of(self.request.user)

    def get_object(self):
        return export_job_revive(super().get_object())  # a dead job is queued again first

    @extend_schema(
        request=ExportJobRequestSerializer,
        responses={
            202: ExportJobSerializer,
            400: OpenApiResponse(description="Unknown list, format or filters."),
        },
        summary="Queue an export of a list",
    )
    def create(self, request, *args, **kwargs):
        body = ExportJobRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        name = body.validated_data["list"].strip("/")
        try:
            export_list = export_list_get(f"{API_PREFIX}{name}")
        except LookupError:
            raise ValidationError(
                {"list": [_("No list is exported as “%(name)s”.") % {"name": name}]}
            ) from None
        params = QueryDict(body.validated_data["query"].lstrip("?"))
        # The filters are checked now, as the list itself would: a bad one is 400 here,
        # not a failed job later. ``count`` runs the list's own query for the owner.
        total = export_list.rows(request.user, params).count()
        job = export_job_request(
            user=request.user,
            export_list=export_list,
            params=params,
            file_format=body.validated_data["format"],
            rows_total=total,
        )
        return _job_accepted(request, job)

    @extend_schema(
        summary="Download the export's file",
        responses={
            **FILE_RESPONSES,
            404: OpenApiResponse(description="Not your job, or its file is not ready."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, CSVFileRenderer, XLSXFileRenderer],
    )
    def download(self, request, pk=None):
        return job_file_response(self.get_object())
