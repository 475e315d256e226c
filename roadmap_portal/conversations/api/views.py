from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from roadmap_portal.api.parsers import LimitedJSONParser
from roadmap_portal.api.permissions import KeyWritePermission
from roadmap_portal.api.renderers import PDFRenderer
from roadmap_portal.storage import stored_file_response

from ..filtersets import MessageFilterSet
from ..models import Message
from ..selectors import conversation_offers_for, message_attachments_visible_to, offer_messages_for
from ..services import message_post
from .serializers import MessagePostSerializer, MessageSerializer, MessageUploadSerializer

OFFER_ID = OpenApiParameter(
    "offer_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The offer's id."
)


@extend_schema_view(
    list=extend_schema(
        parameters=[OFFER_ID],
        description=gettext_lazy(
            "The offer's conversation, oldest first: the messages for everyone and, for staff, "
            "their own side's internal notes (``internal: true``). An offer outside your "
            "scope, or any offer for a partner, is 404."
        ),
    ),
    retrieve=extend_schema(parameters=[OFFER_ID]),
    create=extend_schema(
        parameters=[OFFER_ID],
        request={
            "application/json": MessagePostSerializer,
            "multipart/form-data": MessageUploadSerializer,
        },
        responses={
            201: MessageSerializer,
            400: OpenApiResponse(
                description=gettext_lazy(
                    "The text is empty or too long, or a file is not an acceptable PDF."
                )
            ),
            403: OpenApiResponse(
                description=gettext_lazy("Your role may not keep an internal note.")
            ),
            404: OpenApiResponse(description=gettext_lazy("The offer is outside your scope.")),
        },
        description=gettext_lazy(
            "Ask, answer, or keep an internal note for your side. Send JSON, or multipart "
            "with PDF ``attachments``. The other side is notified."
        ),
    ),
)
class OfferMessageViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Messages of an offer's conversation (``/offers/{offer_pk}/messages/``)."""

    serializer_class = MessageSerializer
    permission_classes = [permissions.IsAuthenticated, KeyWritePermission]
    parser_classes = [LimitedJSONParser, MultiPartParser, FormParser]
    filterset_class = MessageFilterSet
    ordering_fields = ["created", "id"]
    ordering = ["created", "id"]
    queryset = Message.objects.none()

    def get_offer(self):
        offer = (
            conversation_offers_for(self.request.user).filter(pk=self.kwargs["offer_pk"]).first()
        )
        if offer is None:
            raise Http404
        return offer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return offer_messages_for(self.request.user, self.get_offer())

    def create(self, request, *args, **kwargs):
        offer = self.get_offer()
        multipart = request.content_type.startswith("multipart/")
        body = (MessageUploadSerializer if multipart else MessagePostSerializer)(data=request.data)
        body.is_valid(raise_exception=True)
        message = message_post(
            offer_id=offer.pk,
            user=request.user,
            body=body.validated_data["body"],
            internal=body.validated_data["internal"],
            uploads=body.validated_data.get("attachments") or [],
        )
        message = self.get_queryset().get(pk=message.pk)
        return Response(
            MessageSerializer(message, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[
            OFFER_ID,
            OpenApiParameter("attachment_pk", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        filters=False,
        description=gettext_lazy("A message's PDF, for whoever reads the message."),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_pk>\d+)",
        url_name="attachment-download",
        renderer_classes=[renderers.JSONRenderer, PDFRenderer],
        filterset_class=None,
        ordering_fields=[],
    )
    def attachment_download(self, request, offer_pk=None, pk=None, attachment_pk=None):
        attachment = (
            message_attachments_visible_to(request.user)
            .filter(pk=attachment_pk, message_id=pk, message__offer_id=offer_pk)
            .first()
        )
        if attachment is None:
            raise Http404
        return stored_file_response(attachment.file, filename=attachment.original_name)
