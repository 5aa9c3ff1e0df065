"""Admin for plans (registered from RepaymentPlansConfig.ready(); admin.py belongs to the promise work).

Read-mostly on purpose: plans change state through their services (approval, tracking), not by
editing rows, so the admin shows them and their history but does not let anyone edit amounts.
"""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AgreementDispatch, Plan, PlanApproval, PlanInstallment, PlanWaiver


class PlanInstallmentInline(admin.TabularInline):
    model = PlanInstallment
    extra = 0
    can_delete = False
    readonly_fields = ["seq", "due_date", "amount", "paid_amount", "paid_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PlanApprovalInline(admin.TabularInline):
    model = PlanApproval
    extra = 0
    can_delete = False
    readonly_fields = ["level", "decision", "user", "reason", "discount_percent", "term_months", "at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PlanWaiverInline(admin.TabularInline):
    model = PlanWaiver
    extra = 0
    can_delete = False
    readonly_fields = ["installment", "amount", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AgreementDispatchInline(admin.TabularInline):
    model = AgreementDispatch
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "to", "status", "decision_id", "reasons", "next_allowed_at", "user", "at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = [
        "id",
        "case",
        "kind",
        "status",
        "total_amount",
        "currency",
        "discount_percent",
        "term_months",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["case__loan__external_id", "case__borrower__external_id"]
    raw_id_fields = ["case", "proposed_by", "proposed_by_platform"]
    inlines = [PlanInstallmentInline, PlanApprovalInline, PlanWaiverInline, AgreementDispatchInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [f.name for f in Plan._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
