"""Reads for the loan, payment and case API."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from accounts.api import api_object, api_rows

from .models import Case, CaseStatus, Loan, LoanPause, Payment, PaymentAllocation


def loan_list(*, request) -> QuerySet[Loan]:
    open_case = Case.objects.filter(loan=OuterRef("pk"), status=CaseStatus.OPEN).values("pk")[:1]
    return (
        api_rows(Loan.objects.all(), request)
        .select_related("borrower")
        .prefetch_related("installments")
        .annotate(open_case_id=Subquery(open_case))
        .order_by("id")
    )


def loan_get(*, request, external_id: str) -> Loan:
    return api_object(loan_list(request=request), request, external_id=external_id)


def loan_for_write(*, request, external_id: str, lock: bool = False) -> Loan | None:
    """The caller's loan by external id, or None (the caller names it in a body: a 400, not a 404).
    `lock`: read `select_for_update()` (in the caller's transaction), for a write that must hold it."""
    rows = api_rows(Loan.objects.all(), request).filter(external_id=external_id)
    if lock:
        rows = rows.select_for_update(of=("self",)).order_by()
    return rows.first()


def payment_detail(*, pk: int) -> Payment:
    allocations = Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("installment"))
    return Payment.objects.select_related("loan").prefetch_related(allocations).get(pk=pk)


def case_list(*, request) -> QuerySet[Case]:
    """A platform key sees its platform's cases; a staff user on a session sees what their role allows."""
    return api_rows(Case.objects.select_related("loan", "borrower", "assigned_to", "agency").order_by("id"), request)


def case_get(*, request, pk: int) -> Case:
    return api_object(case_list(request=request), request, pk=pk)


def pause_get(*, request, pk: int) -> LoanPause:
    return api_object(LoanPause.objects.select_related("loan"), request, pk=pk)
