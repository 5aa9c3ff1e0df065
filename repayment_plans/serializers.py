from __future__ import annotations

from rest_framework import serializers

from borrowers.serializers import ApiDateField, ApiDateTimeField, MoneyField

from .models import Promise


class PromiseInputSerializer(serializers.Serializer):
    amount = MoneyField()
    due_date = ApiDateField()


class PromiseOutputSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id", read_only=True)
    created_at = ApiDateTimeField(read_only=True)

    class Meta:
        model = Promise
        fields = ["id", "case", "amount", "due_date", "status", "paid_amount", "created_at"]
        read_only_fields = fields
