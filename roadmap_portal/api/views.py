from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from roadmap_portal.choices import Role
from roadmap_portal.db_routers import ReplicaReadsMixin
from roadmap_portal.filtersets import RoadmapFilterSet
from roadmap_portal.scope import scope_of
from roadmap_portal.selectors import (
    corporations_visible_to,
    regions_visible_to,
    roadmaps_visible_to,
)

from .permissions import RoleWritePermission
from .serializers import (
    CorporationSerializer,
    RegionSerializer,
    RoadmapSerializer,
)


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions of Russia (ISO 3166-2 codes)."""

    serializer_class = RegionSerializer
    lookup_field = "code"
    lookup_value_regex = "RU-[A-Z]{2,3}"
    filterset_fields = ["code"]
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        return regions_visible_to(self.request.user).order_by("code")


class CorporationViewSet(viewsets.ReadOnlyModelViewSet):
    """Corporations and their subsidiaries (``parent`` names the group's head)."""

    serializer_class = CorporationSerializer
    filterset_fields = ["parent", "inn"]
    ordering_fields = ["short_name", "id"]

    def get_queryset(self):
        return corporations_visible_to(self.request.user)


class RoadmapViewSet(
    ReplicaReadsMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Cooperation roadmaps between a region and a corporation group, with yearly targets."""

    serializer_class = RoadmapSerializer
    permission_classes = [RoleWritePermission]
    write_roles = (Role.REGION_STAFF,)
    filterset_class = RoadmapFilterSet
    ordering_fields = ["id", "start_year", "signed_on"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return roadmaps_visible_to(self.request.user).order_by("id")

    def perform_create(self, serializer):
        self._check_region(serializer.validated_data.get("region"))
        serializer.save()

    def perform_update(self, serializer):
        self._check_region(serializer.validated_data.get("region"))
        serializer.save()

    def _check_region(self, region):
        scope = scope_of(self.request.user)
        if region is not None and scope.is_region_staff and region.pk != scope.region_id:
            raise ValidationError({"region": "Region staff keep the roadmaps of their own region."})
