from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from roadmap_portal.exports import EXPORT_FORMATS

from ..models import ExportJob, ExportStatus


class ExportJobSerializer(serializers.ModelSerializer):
    """An export job: poll it until ``status`` is ``done`` (``download`` links the file) or
    ``failed`` (``error`` says why)."""

    list = serializers.CharField(source="list_name", read_only=True)
    format = serializers.CharField(source="file_format", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "list",
            "query",
            "format",
            "language",
            "status",
            "rows_total",
            "rows_done",
            "percent",
            "error",
            "created",
            "started",
            "finished",
            "download",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download(self, job):
        if job.status != ExportStatus.DONE:
            return None
        url = reverse("export-jobs-download", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ExportJobRequestSerializer(serializers.Serializer):
    list = serializers.CharField(
        max_length=60,
        help_text=_("The API list to export, as its path: offers, suppliers, review-queue, ..."),
    )
    format = serializers.ChoiceField(choices=EXPORT_FORMATS, default="csv")
    query = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=4000,
        help_text=_("The list's query string: its filters and ordering, e.g. status=tested."),
    )
