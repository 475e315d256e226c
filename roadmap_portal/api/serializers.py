from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from roadmap_portal.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from roadmap_portal.input_limits import FreeTextField
from roadmap_portal.insights.reports import report_subjects_for
from roadmap_portal.models import (
    Corporation,
    Region,
    Report,
    ReportedVolume,
    Roadmap,
    RoadmapTarget,
)
from roadmap_portal.selectors import (
    corporations_visible_to,
    regions_visible_to,
    roadmaps_visible_to,
)
from roadmap_portal.services import roadmap_links_check


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name"]


class CorporationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Corporation
        fields = ["id", "name", "short_name", "inn", "parent"]


class RoadmapTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoadmapTarget
        fields = ["year", "amount"]


class RoadmapSerializer(serializers.ModelSerializer):
    region = ScopedSlugRelatedField(slug_field="code", selector=regions_visible_to)
    corporation = ScopedPrimaryKeyRelatedField(selector=corporations_visible_to)
    previous = ScopedPrimaryKeyRelatedField(
        selector=roadmaps_visible_to, required=False, allow_null=True
    )
    targets = RoadmapTargetSerializer(many=True, required=False)

    class Meta:
        model = Roadmap
        fields = [
            "id",
            "region",
            "corporation",
            "title",
            "signed_on",
            "start_year",
            "end_year",
            "signatories",
            "status",
            "previous",
            "targets",
        ]

    def validate(self, attrs):
        start = attrs.get("start_year", getattr(self.instance, "start_year", None))
        end = attrs.get("end_year", getattr(self.instance, "end_year", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_year": "The end year cannot precede the start year."}
            )
        targets = attrs.get("targets") or []
        years = [t["year"] for t in targets]
        if len(years) != len(set(years)):
            raise serializers.ValidationError({"targets": "Each year may have one target."})
        outside = [y for y in years if start and end and not start <= y <= end]
        if outside:
            raise serializers.ValidationError(
                {"targets": f"Target years {outside} fall outside {start}-{end}."}
            )
        corporation = attrs.get("corporation")
        if corporation is not None and corporation.parent_id:
            raise serializers.ValidationError(
                {"corporation": "A roadmap is signed with the group's head corporation."}
            )

        roadmap_links_check(
            roadmap=self.instance,
            region=attrs.get("region", getattr(self.instance, "region", None)),
            corporation=corporation,
            previous=attrs.get("previous"),
        )
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        targets = validated_data.pop("targets", [])
        roadmap = Roadmap.objects.create(**validated_data)
        RoadmapTarget.objects.bulk_create(RoadmapTarget(roadmap=roadmap, **t) for t in targets)
        return roadmap

    @transaction.atomic
    def update(self, instance, validated_data):
        targets = validated_data.pop("targets", None)
        roadmap = super().update(instance, validated_data)
        if targets is not None:
            roadmap.targets.all().delete()
            RoadmapTarget.objects.bulk_create(RoadmapTarget(roadmap=roadmap, **t) for t in targets)
        return roadmap


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
