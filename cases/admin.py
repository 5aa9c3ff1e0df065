from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin

from .models import (
    Case,
    CaseEvent,
    ChargeAccrual,
    ChargeCap,
    ChargeRule,
    Installment,
    LawyerLetter,
    LegalProceeding,
    Loan,
    LoanPause,
    Payment,
    PaymentAllocation,
)


class ReadOnlyInline(admin.TabularInline):
    """Inlines for records that only services write (allocations, events): shown, never edited here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class InstallmentInline(admin.TabularInline):
    model = Installment
    extra = 0
    fields = (
        "seq",
        "due_date",
        "principal_due",
        "interest_due",
        "fee_due",
        "principal_paid",
        "interest_paid",
        "fee_paid",
        "waived",
        "late_fee_due",
        "penalty_due",
        "paid_off_at",
    )
    # Paid amounts follow from payment allocations; editing them here would desynchronise the two.
    # Charges are the refresh's (cases.charges): a waiver plan forgives them.
    readonly_fields = (
        "principal_paid",
        "interest_paid",
        "fee_paid",
        "waived",
        "late_fee_due",
        "penalty_due",
        "paid_off_at",
    )


@admin.register(Loan)
class LoanAdmin(SimpleHistoryAdmin):
    list_display = (
        "external_id",
        "borrower",
        "platform",
        "product",
        "currency",
        "principal",
        "outstanding",
        "overdue_amount",
        "dpd",
        "stage",
    )
    list_filter = ("platform", "stage", "product", "currency")
    list_select_related = ("borrower", "platform")
    search_fields = ("external_id", "borrower__full_name", "borrower__external_id")
    raw_id_fields = ("borrower",)
    # Derived by the delinquency refresh: read here, recomputed there.
    readonly_fields = ("outstanding", "overdue_amount", "dpd", "stage", "created_at", "updated_at")
    inlines = [InstallmentInline]
    show_full_result_count = False


@admin.register(Installment)
class InstallmentAdmin(SimpleHistoryAdmin):
    list_display = ("loan", "seq", "due_date", "principal_due", "interest_due", "fee_due", "waived", "paid_off_at")
    list_select_related = ("loan",)
    raw_id_fields = ("loan",)
    search_fields = ("loan__external_id",)
    date_hierarchy = "due_date"
    readonly_fields = (
        "principal_paid",
        "interest_paid",
        "fee_paid",
        "waived",
        "late_fee_due",
        "late_fee_paid",
        "late_fee_waived",
        "penalty_due",
        "penalty_paid",
        "penalty_waived",
        "paid_off_at",
    )
    show_full_result_count = False


class PaymentAllocationInline(ReadOnlyInline):
    model = PaymentAllocation
    fields = ("installment", "fee", "late_fee", "penalty", "interest", "principal")
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(SimpleHistoryAdmin):
    list_display = ("external_id", "loan", "platform", "amount", "currency", "paid_at", "method", "unallocated")
    list_filter = ("platform", "currency", "method")
    list_select_related = ("loan", "platform")
    search_fields = ("external_id", "loan__external_id")
    raw_id_fields = ("loan",)
    date_hierarchy = "paid_at"
    inlines = [PaymentAllocationInline]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Payment | None = None) -> tuple[str, ...]:
        # A recorded payment has been allocated to installments; changing it here would not re-allocate.
        if obj is not None:
            return (
                "platform",
                "loan",
                "external_id",
                "amount",
                "currency",
                "paid_at",
                "method",
                "unallocated",
                "created_at",
            )
        return ("unallocated", "created_at")


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ("at", "kind", "old_value", "new_value", "reason", "actor")
    readonly_fields = fields
    ordering = ("-at", "-id")


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    list_display = (
        "id",
        "borrower",
        "loan",
        "platform",
        "status",
        "stage",
        "dpd",
        "overdue_amount",
        "risk_segment",
        "assigned_to",
        "agency",
    )
    list_filter = ("status", "stage", "risk_segment", "platform", "agency")
    list_select_related = ("borrower", "loan", "platform", "assigned_to", "agency")
    search_fields = ("=id", "loan__external_id", "borrower__full_name", "borrower__external_id")
    raw_id_fields = ("loan", "borrower", "assigned_to")
    readonly_fields = ("opened_at", "updated_at")
    inlines = [CaseEventInline]
    show_full_result_count = False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "old_value", "new_value", "actor", "at")
    list_filter = ("kind",)
    list_select_related = ("case", "actor")
    search_fields = ("=case__id",)
    date_hierarchy = "at"
    show_full_result_count = False

    # Domain events are the audit trail: nobody adds or edits them by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# --- charges (cases.charges; docs/fees.md) ----------------------------------------------------------------


@admin.register(ChargeRule)
class ChargeRuleAdmin(SimpleHistoryAdmin):
    """The lender's terms: a change of terms is a new row with a later `valid_from` (the days before keep
    the old terms, so a recomputation gives the same totals)."""

    list_display = (
        "jurisdiction",
        "product",
        "platform",
        "valid_from",
        "active",
        "grace_days",
        "late_fee_fixed",
        "late_fee_percent",
        "penalty_rate",
        "penalty_rate_basis",
    )
    list_filter = ("active", "jurisdiction", "product", "platform")


@admin.register(ChargeCap)
class ChargeCapAdmin(SimpleHistoryAdmin):
    list_display = (
        "jurisdiction",
        "region",
        "product",
        "active",
        "annual_cost_ceiling_percent",
        "total_cost_max_percent",
        "late_fee_max",
    )
    list_filter = ("active", "jurisdiction")


@admin.register(ChargeAccrual)
class ChargeAccrualAdmin(ReadOnlyAdmin):
    """The refresh's record of each change of a charge: read here, never edited."""

    list_display = ("installment", "kind", "on", "amount", "total", "capped", "rule")
    list_filter = ("kind", "capped")
    list_select_related = ("installment", "rule")
    search_fields = ("installment__loan__external_id",)
    date_hierarchy = "on"
    show_full_result_count = False


@admin.register(LoanPause)
class LoanPauseAdmin(ReadOnlyAdmin):
    """Delinquency pauses: written by cases.pauses (with their hold and the DPD refresh), from the API or
    the case page; read here."""

    list_display = ("loan", "starts_on", "ends_on", "reason", "created_by", "created_at")
    list_select_related = ("loan", "created_by")
    search_fields = ("loan__external_id", "reason")
    date_hierarchy = "starts_on"


@admin.register(LegalProceeding)
class LegalProceedingAdmin(ReadOnlyAdmin):
    """The legal path's steps: written by cases.legal from the case page (events and webhooks); read here."""

    list_display = ("case", "kind", "forum", "reference", "started_on", "next_date", "ended_on", "outcome")
    list_filter = ("kind", "outcome")
    list_select_related = ("case",)
    search_fields = ("reference", "forum", "case__loan__external_id")
    date_hierarchy = "started_on"


@admin.register(LawyerLetter)
class LawyerLetterAdmin(ReadOnlyAdmin):
    """Lawyer letters sent (or blocked) through the gate: the print queue; read here."""

    list_display = ("proceeding", "language", "status", "to", "at", "user")
    list_filter = ("status", "language")
    list_select_related = ("proceeding", "user")
    date_hierarchy = "at"
