from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from roadmap_portal.api.examples import (
    REDELIVER_SINCE_EXAMPLE,
    REDELIVERED_EXAMPLE,
    WEBHOOK_EXAMPLE,
)
from roadmap_portal.api.pagination import FeedPagination

from ..selectors import deliveries_of, endpoints_of
from ..services import (
    deliveries_redeliver_since,
    delivery_redeliver,
    endpoint_create,
    endpoint_delete,
    endpoint_enable,
    may_own_endpoints,
)
from .serializers import (
    RedeliveredSerializer,
    RedeliverSinceSerializer,
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

    @extend_schema(
        request=RedeliverSinceSerializer,
        responses={202: RedeliveredSerializer},
        examples=[REDELIVER_SINCE_EXAMPLE, REDELIVERED_EXAMPLE],
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str | None = None) -> Response:
        """Send again every delivery recorded since a time, whatever its status, each with
        its sequence number and body, the oldest first. A switched-off endpoint answers 409:
        it keeps its events and sends them when it is switched on (``enable``)."""
        endpoint = self.get_object()
        serializer = RedeliverSinceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = deliveries_redeliver_since(
            endpoint=endpoint, since=serializer.validated_data["since"]
        )
        return Response({"redelivered": count}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: WebhookEndpointSerializer})
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        """Switch the endpoint on again once its server answers: it starts with a clean
        failure count and sends the events it held while it was off, in sequence order.
        An endpoint that is on stays on."""
        endpoint = self.get_object()
        if not endpoint.active:
            endpoint_enable(endpoint_id=endpoint.pk)
            endpoint.refresh_from_db()
        return Response(WebhookEndpointSerializer(endpoint).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("endpoint_pk", OpenApiTypes.INT, OpenApiParameter.PATH),
        ]
    ),
    redeliver=extend_schema(
        parameters=[
            OpenApiParameter("endpoint_pk", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=None,
        responses={202: RedeliveredSerializer},
        examples=[REDELIVERED_EXAMPLE],
    ),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The delivery log of one of the caller's endpoints, newest first."""

    lookup_value_regex = r"\d+"

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

    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, endpoint_pk: str, pk: str | None = None) -> Response:
        """Send this delivery again, whatever its status (a sent one too), with its sequence
        number and body. Another partner's delivery answers 404; a switched-off endpoint
        409."""
        delivery = self.get_object()
        count = delivery_redeliver(delivery=delivery)
        return Response({"redelivered": count}, status=status.HTTP_202_ACCEPTED)
