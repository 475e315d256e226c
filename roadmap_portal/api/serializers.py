from django.db import transaction
from rest_framework import serializers

from roadmap_portal.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from roadmap_portal.models import (
    Corporation,
    Region,
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
