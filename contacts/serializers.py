from __future__ import annotations

from rest_framework import serializers

from .models import ContactAttempt


class ContactOutputSerializer(serializers.ModelSerializer):
    borrower = serializers.CharField(source="borrower.external_id")
    loan = serializers.CharField(source="loan.external_id", allow_null=True, default=None)
    pending = serializers.BooleanField(source="is_pending")

    class Meta:
        model = ContactAttempt
        fields = [
            "id",
            "decision",
            "borrower",
            "loan",
            "case",
            "channel",
            "direction",
            "party",
            "third_party",
            "to",
            "outcome",
            "pending",
            "at",
            "duration_s",
            "notes",
            "autodialed",
            "consented",
            "collectors",
            "at_work",
            "actor_kind",
            "created_at",
            "outcome_at",
        ]
