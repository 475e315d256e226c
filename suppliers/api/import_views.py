"""Product-list import over the API: upload (with dry run) and the template."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from roadmap_portal.api.examples import IMPORT_ERRORS_EXAMPLE
from roadmap_portal.fields import ScopedPrimaryKeyRelatedField

from ..importing import (
    FIELDS,
    XLSX_CONTENT_TYPE,
    ImportFailed,
    import_roadmaps,
    import_template,
    importing_supplier,
    offers_import,
    offers_import_check,
)


class OfferImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The product list, XLSX or CSV.")
    roadmap = ScopedPrimaryKeyRelatedField(
        selector=import_roadmaps, help_text="Id of a roadmap of the supplier's region."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check and preview the rows without saving anything."
    )


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="Spreadsheet row; the header is row 1; null for the file."
    )
    column = serializers.CharField(allow_null=True, help_text="Spreadsheet column letter.")
    field = serializers.CharField(allow_null=True, help_text="Offer field, or file/roadmap.")
    message = serializers.CharField()


ImportErrorsSerializer = inline_serializer(
    "OfferImportErrors", fields={"errors": ImportErrorSerializer(many=True)}
)
ImportPreviewSerializer = inline_serializer(
    "OfferImportPreview",
    fields={
        "dry_run": serializers.BooleanField(),
        "count": serializers.IntegerField(),
        "rows": serializers.ListField(
            child=serializers.DictField(),
            help_text="One object per row: `row` and the offer fields " + ", ".join(FIELDS),
        ),
        "errors": ImportErrorSerializer(many=True),
    },
)
ImportCreatedSerializer = inline_serializer(
    "OfferImportCreated",
    fields={
        "created": serializers.IntegerField(),
        "ids": serializers.ListField(child=serializers.IntegerField()),
    },
)


def _input_errors(serializer_errors):
    return [
        {"row": None, "column": None, "field": name, "message": str(message)}
        for name, messages in serializer_errors.items()
        for message in messages
    ]


class OfferImportView(APIView):
    """Import a product list: every row becomes a draft offer of your supplier, or none does."""

    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="offers_import",
        tags=["offers"],
        request={"multipart/form-data": OfferImportRequestSerializer},
        responses={
            200: OpenApiResponse(ImportPreviewSerializer, description="Dry run: the rows."),
            201: OpenApiResponse(ImportCreatedSerializer, description="All rows imported."),
            400: OpenApiResponse(
                ImportErrorsSerializer,
                description="Nothing saved; what is wrong and where.",
                examples=[IMPORT_ERRORS_EXAMPLE],
            ),
            403: OpenApiResponse(description="Only a supplier's members import."),
        },
    )
    def post(self, request):
        importing_supplier(request.user)
        form = OfferImportRequestSerializer(data=request.data, context={"request": request})
        if not form.is_valid():
            return Response(
                {"errors": _input_errors(form.errors)}, status=status.HTTP_400_BAD_REQUEST
            )
        upload = form.validated_data["file"]
        arguments = {
            "user": request.user,
            "roadmap_id": form.validated_data["roadmap"].pk,
            "content": upload.read(),
            "filename": upload.name or "",
        }
        if form.validated_data["dry_run"]:
            check = offers_import_check(**arguments)
            if check.errors:
                return Response({"errors": check.errors}, status=status.HTTP_400_BAD_REQUEST)
            return Response(
                {"dry_run": True, "count": check.count, "rows": check.preview(), "errors": []}
            )
        try:
            offers = offers_import(**arguments)
        except ImportFailed as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"created": len(offers), "ids": offers},
            status=status.HTTP_201_CREATED,
        )


class IgnoreFormatNegotiation(DefaultContentNegotiation):
    """``?format=`` chooses the template's file type here, not the API renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class OfferImportTemplateView(APIView):
    """The product-list template to fill in and upload."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        operation_id="offers_import_template",
        tags=["offers"],
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["xlsx", "csv"],
                default="xlsx",
                description="File type of the template.",
            )
        ],
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="Unknown format."),
        },
    )
    def get(self, request):
        file_format = (request.query_params.get("format") or "xlsx").lower()
        if file_format not in ("xlsx", "csv"):
            return Response(
                {"format": [_("Choose the format xlsx or csv.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        content, content_type, filename = import_template(file_format=file_format)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
