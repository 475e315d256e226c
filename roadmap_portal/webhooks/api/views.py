from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response

from roadmap_portal.api.examples import WEBHOOK_EXAMPLE
from roadmap_portal.api.pagination import FeedPagination

from ..selectors import deliveries_of, endpoints_of
from ..services import endpoint_create, endpoint_delete, may_own_endpoints
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
)


class WebhookOwners(permissions.BasePermission):
    """Partner keys and partner accounts (and administrators). A key changes its endpoints
    only when ``webhooks`` is among the resources it may write."""

    def has_permission(self, request, view):
        user = request.user
        if not may_own_endpoints(user):
            return False
        api_key = getattr(user, "_api_key", None)
        if api_key is not None and request.method not in permissions.SAFE_METHODS:
            return "webhooks" in (api_key.write_resources or [])
        return True


class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's webhook endpoints. Events are POSTed as JSON signed with
    ``X-Roadmap-Signature`` (see docs/api.md); another partner's endpoint answers 404."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [WebhookOwners]
    ordering_fields = ["created", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return endpoints_of(self.request.user)

    @extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        examples=[WEBHOOK_EXAMPLE],
    )
    def create(self, request, *args, **kwargs):
        """Subscribe an endpoint; the answer carries the signing secret, shown this once."""
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = endpoint_create(user=request.user, **serializer.validated_data)
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def destroy(self, request, *args, **kwargs):
        endpoint_delete(user=request.user, endpoint_id=kwargs["pk"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("endpoint_pk", OpenApiTypes.INT, OpenApiParameter.PATH),
        ]
    )
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The delivery log of one of the caller's endpoints, newest first."""

    serializer_class = WebhookDeliverySerializer
    permission_classes = [WebhookOwners]
    pagination_class = FeedPagination
    cursor_ordering = ("-id",)
    filterset_fields = ["status", "event"]
    ordering_fields = ["created", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return deliveries_of(None)
        endpoint = get_object_or_404(endpoints_of(self.request.user), pk=self.kwargs["endpoint_pk"])
        return deliveries_of(endpoint)
