from rest_framework import serializers

from ..models import WebhookDelivery, WebhookEndpoint, WebhookEvent

ENDPOINT_FIELDS = [
    "id",
    "url",
    "description",
    "events",
    "active",
    "consecutive_failures",
    "failing_since",
    "last_sequence",
    "disabled_reason",
    "disabled_at",
    "created",
]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))

    class Meta:
        model = WebhookEndpoint
        fields = ENDPOINT_FIELDS
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret, shown only in this answer: keep it to verify "
        "X-Roadmap-Signature.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*ENDPOINT_FIELDS, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=500,
        help_text="https:// URL that receives the POSTs; its host must resolve to public "
        "internet addresses only (private networks and plain http only where the installation "
        "admits them).",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "sequence",
            "event",
            "event_key",
            "payload",
            "status",
            "attempts",
            "response_code",
            "last_error",
            "created",
            "last_attempt_at",
            "sent_at",
        ]
        read_only_fields = fields


class RedeliverSinceSerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        help_text="Every delivery of the endpoint recorded at or after this time is sent again "
        "(at most 1,000 per request, the oldest first), with its sequence number and body."
    )


class RedeliveredSerializer(serializers.Serializer):
    redelivered = serializers.IntegerField(
        help_text="How many deliveries were queued to be sent again."
    )
