"""Reads for the loan, payment and case API."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from accounts.api import get_platform_object, request_platform, restrict_to_platform

from .models import Case, CaseStatus, Loan, Payment, PaymentAllocation


def loan_list(*, request) -> QuerySet[Loan]:
    open_case = Case.objects.filter(loan=OuterRef("pk"), status=CaseStatus.OPEN).values("pk")[:1]
    return (
        restrict_to_platform(Loan.objects.all(), request)
        .select_related("borrower")
        .prefetch_related("installments")
        .annotate(open_case_id=Subquery(open_case))
        .order_by("id")
    )


def loan_get(*, request, external_id: str) -> Loan:
    return get_platform_object(loan_list(request=request), request, external_id=external_id)


def loan_for_write(*, request, external_id: str) -> Loan | None:
    """The caller's loan by external id, or None (the caller names it in a body: a 400, not a 404)."""
    return restrict_to_platform(Loan.objects.all(), request).filter(external_id=external_id).first()


def payment_detail(*, pk: int) -> Payment:
    allocations = Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("installment"))
    return Payment.objects.select_related("loan").prefetch_related(allocations).get(pk=pk)


def case_list(*, request) -> QuerySet[Case]:
    """A platform key sees its platform's cases; a staff user on a session sees what their role allows."""
    qs = Case.objects.select_related("loan", "borrower", "assigned_to", "agency").order_by("id")
    if request_platform(request) is not None:
        return restrict_to_platform(qs, request)
    return qs.visible_to(request.user)


def case_get(*, request, pk: int) -> Case:
    return get_platform_object(case_list(request=request), request, pk=pk)
