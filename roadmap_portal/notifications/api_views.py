from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from roadmap_portal.api.permissions import KeyWritePermission
from roadmap_portal.export_jobs.api.views import ExportMixin
from roadmap_portal.filtersets import NotificationFilterSet
from roadmap_portal.models import Notification
from roadmap_portal.notifications.services import (
    notification_mark_read,
    notifications_mark_all_read,
    notifications_of,
)

from .tables import NOTIFICATIONS


class NotificationObjectSerializer(serializers.Serializer):
    type = serializers.CharField(allow_blank=True, help_text="Model name, e.g. offer, tender.")
    id = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(allow_blank=True, help_text="The object's page in the portal.")


class NotificationSerializer(serializers.ModelSerializer):
    object = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "message", "object", "read", "created"]
        read_only_fields = fields

    @extend_schema_field(NotificationObjectSerializer(allow_null=True))
    def get_object(self, notification):
        if not (notification.object_type or notification.url):
            return None
        return {
            "type": notification.object_type,
            "id": notification.object_id,
            "url": notification.url,
        }


class NotificationViewSet(ExportMixin, viewsets.ReadOnlyModelViewSet):
    """The signed-in user's own notifications, newest first; another's answer 404.

    Marking them read is a write like any other: a partner key does it only when
    ``notifications`` is among the resources it may write (a read-only key writes nothing).
    """

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated, KeyWritePermission]
    filterset_class = NotificationFilterSet
    export_list = NOTIFICATIONS
    ordering_fields = ["created", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return notifications_of(self.request.user)

    @extend_schema(
        operation_id="v1_notifications_read_one", request=None, responses=NotificationSerializer
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read."""
        notification = notification_mark_read(user=request.user, notification_id=pk)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        operation_id="v1_notifications_read_all",
        request=None,
        responses=inline_serializer(
            "NotificationsReadAll", {"updated": serializers.IntegerField()}
        ),
    )
    @action(detail=False, methods=["post"], url_path="read", url_name="read-all")
    def read_all(self, request):
        """Mark all the user's notifications read."""
        return Response({"updated": notifications_mark_all_read(user=request.user)})
