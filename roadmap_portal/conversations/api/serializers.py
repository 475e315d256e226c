from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from roadmap_portal.input_limits import FreeTextField

from ..models import Message, MessageAttachment
from ..services import MAX_ATTACHMENTS


class MessageAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("Download, with the message's scope."))

    class Meta:
        model = MessageAttachment
        fields = ["id", "original_name", "size", "created", "url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment):
        path = reverse(
            "offer-messages-attachment-download",
            kwargs={
                "offer_pk": attachment.message.offer_id,
                "pk": attachment.message_id,
                "attachment_pk": attachment.pk,
            },
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class MessageAuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class MessageSerializer(serializers.ModelSerializer):
    author = MessageAuthorSerializer(read_only=True)
    internal = serializers.BooleanField(
        source="is_internal",
        read_only=True,
        help_text=_("An internal note, read only by the staff of the author's side."),
    )
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "offer",
            "author",
            "author_role",
            "internal",
            "audience",
            "body",
            "created",
            "attachments",
        ]
        read_only_fields = fields

    @extend_schema_field(MessageAttachmentSerializer(many=True))
    def get_attachments(self, message):
        rows = message.attachments.all()
        for row in rows:  # the message is at hand: no query per attachment for its URL
            row.message = message
        return MessageAttachmentSerializer(rows, many=True, context=self.context).data


class MessagePostSerializer(serializers.Serializer):
    body = FreeTextField(help_text=_("Plain text; line breaks are kept."))
    internal = serializers.BooleanField(
        default=False,
        help_text=_(
            "An internal note for the author's side only (region staff, corporate reviewers, "
            "certification officers); a supplier's member or an administrator is refused "
            "(403)."
        ),
    )


class MessageUploadSerializer(MessagePostSerializer):
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text=format_lazy(
            _("PDF files, at most {count}, each within the upload limit."), count=MAX_ATTACHMENTS
        ),
    )
