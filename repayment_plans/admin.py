"""Admin for promises and plans.

Plans are read-mostly on purpose: they change state through their services (approval, tracking), not
by editing rows, so the admin shows them and their history but does not let anyone edit amounts."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AgreementDispatch, Plan, PlanApproval, PlanInstallment, PlanWaiver, Promise


@admin.register(Promise)
class PromiseAdmin(SimpleHistoryAdmin):
    list_display = (
        "case",
        "amount",
        "due_date",
        "status",
        "paid_amount",
        "created_by",
        "created_by_platform",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("case", "created_by", "created_by_platform")
    raw_id_fields = ("case", "created_by", "created_by_platform")
    search_fields = ("=case__id",)
    date_hierarchy = "due_date"
    # Status and paid amount are decided by the payment feed (broken/kept detection), not typed in.
    readonly_fields = ("paid_amount", "resolved_at", "created_at")


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
