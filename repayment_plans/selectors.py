"""Reads about plans and promises that other apps (escalation, reminders, pages) rely on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from cases.models import Case

from .models import Plan, PlanInstallment, PlanStatus


def needs_plan_offer_before_escalation(case: Case) -> bool:
    """A vulnerable borrower is offered a plan before any escalation: True while none was ever proposed.

    Called by the escalation pipeline before it moves a case to a harsher step; any plan proposed on
    any of the borrower's cases counts as the offer, whatever became of it.
    """
    if not case.borrower.effective_vulnerabilities():
        return False
    return not Plan.objects.filter(case__borrower_id=case.borrower_id).exists()


def active_plan(case: Case) -> Plan | None:
    return Plan.objects.filter(case=case, status=PlanStatus.ACTIVE).prefetch_related("installments").first()


def case_ids_with_active_plan() -> QuerySet:
    """Case ids whose automated reminders follow a plan's dates instead of the strategy's (for set-based exclusion)."""
    return Plan.objects.filter(status=PlanStatus.ACTIVE).values("case_id")


def plan_installments_due_between(start: dt.date, end: dt.date) -> QuerySet[PlanInstallment]:
    """Unpaid installments of active plans due in [start, end], for the reminder planner (set-based).

    While a plan is active its dates replace the strategy's: the planner writes its pre-due and
    due-day reminders for these (case, due_date) pairs instead of the loan's installment dates.
    """
    return (
        PlanInstallment.objects.filter(
            plan__status=PlanStatus.ACTIVE, paid_at__isnull=True, due_date__gte=start, due_date__lte=end
        )
        .annotate(case_id=F("plan__case_id"))
        .order_by("due_date", "plan_id", "seq")
    )


@dataclass(frozen=True)
class PlanReminder:
    plan_id: int
    seq: int
    due_date: dt.date
    amount_due: Decimal
    overdue: bool


def plan_reminder(case: Case, today: dt.date | None = None) -> PlanReminder | None:
    """What an automated reminder for this case should be about while a plan is active: the plan's next
    unpaid installment (already late ones first). None when the case has no active plan, so the
    strategy's own steps apply."""
    today = today or timezone.localdate()
    nxt = (
        PlanInstallment.objects.filter(plan__case=case, plan__status=PlanStatus.ACTIVE, paid_at__isnull=True)
        .order_by("due_date", "seq")
        .first()
    )
    if nxt is None:
        return None
    return PlanReminder(
        plan_id=nxt.plan_id, seq=nxt.seq, due_date=nxt.due_date, amount_due=nxt.remaining, overdue=nxt.due_date < today
    )


def plans_visible_to(user: User) -> QuerySet[Plan]:
    return Plan.objects.visible_to(user).select_related("case__loan", "case__borrower", "case__platform", "proposed_by")


def plan_get_for_user(user: User, pk: int) -> Plan | None:
    return (
        plans_visible_to(user).prefetch_related("installments", "approvals__user", "dispatches").filter(pk=pk).first()
    )


def plan_periods_by_loan(loan_ids: list[int]) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
    """The days each plan of the loans was active, inclusive: from its activation's day to the day before
    it completed, broke or was cancelled (None: still active). Days as the refresh counts them."""
    periods: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    plans = Plan.objects.filter(case__loan_id__in=loan_ids, activated_at__isnull=False).values_list(
        "case__loan_id", "activated_at", "completed_at", "broken_at", "cancelled_at"
    )
    for loan_id, activated_at, *ends in plans:
        ended = min((e for e in ends if e is not None), default=None)
        last = None if ended is None else timezone.localdate(ended) - dt.timedelta(days=1)
        periods.setdefault(loan_id, []).append((timezone.localdate(activated_at), last))
    return periods
