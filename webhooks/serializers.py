from __future__ import annotations

from rest_framework import serializers

from .models import WebhookDelivery, WebhookEvent


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["attempt", "attempted_at", "url", "status_code", "error", "duration_ms", "response_excerpt"]
        read_only_fields = fields


class WebhookEventOutputSerializer(serializers.ModelSerializer):
    # The body's `data`, exactly as it was (and will again be) sent.
    # (DRF's metaclass moves a declared field out of the class, so `.data` stays the property; the stubs
    # cannot see that.)
    data = serializers.JSONField(source="payload", read_only=True)  # type: ignore[assignment]

    class Meta:
        model = WebhookEvent
        fields = [
            "event_id",
            "type",
            "status",
            "attempts",
            "created_at",
            "next_attempt_at",
            "delivered_at",
            "last_error",
            "data",
        ]
        read_only_fields = fields


class WebhookEventDetailOutputSerializer(WebhookEventOutputSerializer):
    deliveries = WebhookDeliveryOutputSerializer(many=True, read_only=True)

    class Meta(WebhookEventOutputSerializer.Meta):
        fields = [*WebhookEventOutputSerializer.Meta.fields, "deliveries"]
        read_only_fields = fields
