"""The insights' API shapes: a volume series, reported figures and yearly reports."""

import functools

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from roadmap_portal.api.rows import readable_fields, written
from roadmap_portal.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from roadmap_portal.input_limits import FreeTextField
from roadmap_portal.models import Report, ReportedVolume

from .reports import report_subjects_for


class ReportedVolumeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportedVolume
        fields = ["year", "amount", "source"]


class VolumeYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    target = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    source = serializers.ChoiceField(
        choices=["contracts", "reported"],
        allow_null=True,
        help_text="Where the amount comes from; null when the year has no data.",
    )
    fulfilment = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        allow_null=True,
        help_text="amount / target, null when either is missing.",
    )
    contracts = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        allow_null=True,
        help_text="Sum of the portal's contracts for the year, null when none.",
    )
    reported = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        allow_null=True,
        help_text="The figure reported by region staff, null when none.",
    )
    reported_source = FreeTextField(allow_blank=True)


class VolumeSerializer(serializers.Serializer):
    roadmaps = serializers.ListField(
        child=serializers.IntegerField(), help_text="The series' roadmap ids, oldest first."
    )
    years = VolumeYearSerializer(many=True)
    growth_factor = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Last year with data divided by the first year with data.",
    )

    def to_representation(self, instance):
        return super().to_representation(
            {
                "roadmaps": [r.pk for r in instance.roadmaps],
                "years": instance.years,
                "growth_factor": instance.growth_factor,
            }
        )


@functools.cache
def _volume_fields():
    """VolumeSerializer's roadmap and growth fields and its years' fields, built once per
    process."""
    outer = VolumeSerializer()
    years = readable_fields(VolumeYearSerializer())
    return outer.fields["roadmaps"].child, outer.fields["growth_factor"], years


def volume_data(series):
    """``VolumeSerializer(series).data``, written with the fields built once."""
    roadmap_id, growth_factor, year_fields = _volume_fields()
    growth = series.growth_factor
    return {
        "roadmaps": [roadmap_id.to_representation(r.pk) for r in series.roadmaps],
        "years": [written(year, year_fields) for year in series.years],
        "growth_factor": None if growth is None else growth_factor.to_representation(growth),
    }


class ReportedVolumeInputSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    source = serializers.CharField(max_length=500)


class ReportSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "scope",
            "roadmap",
            "region",
            "corporation",
            "year",
            "language",
            "status",
            "message",
            "pdf",
            "created",
            "started",
            "finished",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf(self, report):
        if report.status != "done" or not report.pdf:
            return None
        url = reverse("reports-pdf", args=[report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


def _report_roadmaps(user):
    return report_subjects_for(user)[0]


def _report_regions(user):
    return report_subjects_for(user)[1]


def _report_groups(user):
    return report_subjects_for(user)[2]


class ReportRequestSerializer(serializers.Serializer):
    roadmap = ScopedPrimaryKeyRelatedField(
        selector=_report_roadmaps, required=False, allow_null=True
    )
    region = ScopedSlugRelatedField(
        slug_field="code", selector=_report_regions, required=False, allow_null=True
    )
    corporation = ScopedPrimaryKeyRelatedField(
        selector=_report_groups, required=False, allow_null=True
    )
    year = serializers.IntegerField()
    language = serializers.ChoiceField(choices=["ru", "en"], required=False)
