"""Shapes of the promise and plan API. Types and choices only: every business rule lives in services."""

from __future__ import annotations

from typing import Any, TypedDict

from django.urls import reverse
from rest_framework import serializers

from borrowers.serializers import ApiDateField, ApiDateTimeField, MoneyField

from .models import ZERO, Frequency, Plan, PlanApproval, PlanInstallment, PlanKind, Promise


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


class _DecimalShape(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: _DecimalShape = {"max_digits": 14, "decimal_places": 2}


class NoFeeField(MoneyField):
    """Accepted so that an attempt to add a fee is refused with a clear message (by the service) instead of
    ignored; the schema allows zero only."""

    def __init__(self, **kwargs):
        super().__init__(allow_zero=True, **kwargs)

    def openapi_schema(self) -> dict[str, Any]:
        return {**super().openapi_schema(), "pattern": r"^0(?:\.0{1,2})?$"}


class PlanCreateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PlanKind.choices)
    first_due_date = ApiDateField(required=False)
    installment_count = serializers.IntegerField(required=False, min_value=1, max_value=120)
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    amounts = serializers.ListField(child=MoneyField(allow_zero=True), required=False, max_length=120, allow_empty=True)
    total_amount = MoneyField(required=False)
    settlement_amount = MoneyField(required=False)
    waive_interest = serializers.BooleanField(required=False, default=False)
    waive_fees = serializers.BooleanField(required=False, default=False)
    fee_amount = NoFeeField(required=False, help_text="No fee may be added to a plan: only zero is accepted.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Compute and return the schedule without writing anything."
    )


class PlanDecisionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class PlanInstallmentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanInstallment
        fields = ["seq", "due_date", "amount", "paid_amount", "paid_at"]


class PlanApprovalOutputSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")

    class Meta:
        model = PlanApproval
        fields = ["level", "decision", "user", "reason", "discount_percent", "term_months", "at"]


class PlanOutputSerializer(serializers.ModelSerializer):
    installments = PlanInstallmentOutputSerializer(many=True)
    approvals = PlanApprovalOutputSerializer(many=True)
    paid_amount = serializers.SerializerMethodField()
    proposed_by = serializers.SerializerMethodField()
    agreement_url = serializers.SerializerMethodField()
    agreement_pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = [
            "id",
            "case",
            "kind",
            "status",
            "currency",
            "balance",
            "total_amount",
            "paid_amount",
            "discount_amount",
            "discount_percent",
            "term_months",
            "installment_count",
            "frequency",
            "first_due_date",
            "waive_interest",
            "waive_fees",
            "grace_days",
            "reason",
            "approvals_required",
            "proposed_by",
            "created_at",
            "activated_at",
            "completed_at",
            "broken_at",
            "cancelled_at",
            "end_reason",
            "installments",
            "approvals",
            "agreement_language",
            "agreement_url",
            "agreement_pdf_url",
        ]

    def get_paid_amount(self, plan: Plan) -> str:
        return str(sum((i.paid_amount for i in plan.installments.all()), ZERO))

    def get_proposed_by(self, plan: Plan) -> str:
        if plan.proposed_by_id and plan.proposed_by is not None:
            return f"user:{plan.proposed_by.username}"
        return "platform" if plan.proposed_by_platform_id else ""

    def _url(self, name: str, plan: Plan) -> str | None:
        if plan.activated_at is None:
            return None
        path = reverse(name, args=[plan.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_agreement_url(self, plan: Plan) -> str | None:
        return self._url("plan-agreement", plan)

    def get_agreement_pdf_url(self, plan: Plan) -> str | None:
        return self._url("plan-agreement-pdf", plan)


class PlanScheduleLineSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)


class PlanPreviewOutputSerializer(serializers.Serializer):
    """What `dry_run: true` answers: the plan as it would be written, and whether it needs approval."""

    kind = serializers.CharField()
    currency = serializers.CharField()
    balance = serializers.DecimalField(**MONEY)
    total_amount = serializers.DecimalField(**MONEY)
    discount_amount = serializers.DecimalField(**MONEY)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    term_months = serializers.IntegerField()
    first_due_date = serializers.DateField()
    frequency = serializers.CharField(allow_blank=True)
    needs_approval = serializers.BooleanField()
    installments = PlanScheduleLineSerializer(many=True, source="lines")
