"""Promise and plan tracking: the payment feed and the calendar decide, never a form.

- `on_payment_recorded(payment)` runs after `cases.services.payment_record` allocated a payment to the
  loan's ledger. It credits the payment to the loan's open promises (oldest date first) and to the
  active plan's schedule (in date order). Each credit is a row unique per (target, payment), and a
  payment already credited is skipped, so a replayed or re-processed payment never counts twice.
- `promises_and_plans_check(today)` runs daily from beat: promises whose grace period has passed are
  resolved (broken or partly kept), plans with an installment unpaid beyond grace are broken, and
  plans found fully paid are completed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cases.events import case_event_record
from cases.models import Case, CaseEvent, Payment
from webhooks.models import EventType
from webhooks.services import event_emit

from .models import ZERO, Plan, PlanInstallment, PlanPayment, PlanStatus, Promise, PromisePayment, PromiseStatus
from .services import next_plan_due_at, plan_break, plan_complete

logger = logging.getLogger(__name__)

UNRESOLVED_PROMISE = (PromiseStatus.PENDING, PromiseStatus.PARTLY_KEPT)


def promise_webhook_data(promise: Promise) -> dict:
    case = promise.case
    return {
        "promise": promise.pk,
        "case": promise.case_id,
        "loan": case.loan.external_id,
        "borrower": case.borrower.external_id,
        "amount": str(promise.amount),
        "paid_amount": str(promise.paid_amount),
        "currency": case.loan.currency,
        "due_date": promise.due_date.isoformat(),
        "status": promise.status,
    }


def _promise_event(promise: Promise, kind: str, old: str) -> None:
    case_event_record(
        case_id=promise.case_id,
        kind=kind,
        old=old,
        new=promise.status,
        data={"promise": promise.pk, "amount": str(promise.amount), "paid_amount": str(promise.paid_amount)},
    )


def _credit_promises(payment: Payment, paid_on: dt.date) -> Decimal:
    if PromisePayment.objects.filter(payment=payment).exists():
        return ZERO
    left = payment.amount
    credited = ZERO
    promises = (
        Promise.objects.select_for_update()
        .select_related("case__loan", "case__borrower", "case__platform")
        .filter(case__loan_id=payment.loan_id, status__in=UNRESOLVED_PROMISE, resolved_at__isnull=True)
        .order_by("due_date", "id")
    )
    for promise in promises:
        if left <= ZERO:
            break
        # Only money paid between the promise and the end of its grace period keeps it.
        if not (timezone.localdate(promise.created_at) <= paid_on <= promise.deadline):
            continue
        take = min(promise.amount - promise.paid_amount, left)
        if take <= ZERO:
            continue
        PromisePayment.objects.create(promise=promise, payment=payment, amount=take)
        old = promise.status
        promise.paid_amount += take
        left -= take
        credited += take
        if promise.paid_amount >= promise.amount:
            promise.status = PromiseStatus.KEPT
            promise.resolved_at = timezone.now()
            promise.save(update_fields=["paid_amount", "status", "resolved_at"])
            _promise_event(promise, CaseEvent.Kind.PROMISE_KEPT, old)
            event_emit(platform=promise.case.platform, type=EventType.PROMISE_KEPT, data=promise_webhook_data(promise))
        else:
            # Some money came; the promise stays open until its grace period ends.
            promise.status = PromiseStatus.PARTLY_KEPT
            promise.save(update_fields=["paid_amount", "status"])
    return credited


def _credit_plans(payment: Payment, paid_on: dt.date) -> Decimal:
    credited = ZERO
    plans = Plan.objects.select_for_update().filter(case__loan_id=payment.loan_id, status=PlanStatus.ACTIVE)
    for plan in plans:
        # Payments before the plan started paid the old arrears the plan was built from.
        if plan.activated_at is None or paid_on < timezone.localdate(plan.activated_at):
            continue
        if PlanPayment.objects.filter(installment__plan=plan, payment=payment).exists():
            continue
        left = payment.amount
        for inst in plan.installments.select_for_update().filter(paid_at__isnull=True).order_by("due_date", "seq"):
            if left <= ZERO:
                break
            take = min(inst.remaining, left)
            PlanPayment.objects.create(installment=inst, payment=payment, amount=take)
            inst.paid_amount += take
            left -= take
            credited += take
            if inst.remaining <= ZERO:
                inst.paid_at = payment.paid_at
            inst.save(update_fields=["paid_amount", "paid_at"])
        if not plan.installments.filter(paid_at__isnull=True).exists():
            plan_complete(plan=plan)
        else:
            Case.objects.filter(pk=plan.case_id).update(next_action_at=next_plan_due_at(plan))
    return credited


@dataclass
class PaymentTracking:
    promises: Decimal = ZERO
    plans: Decimal = ZERO


def on_payment_recorded(payment: Payment) -> PaymentTracking:
    """Credit a recorded payment to the loan's promises and active plan. Safe to call more than once."""
    # Most payments find neither an open promise nor an active plan: one indexed query says so, and
    # nothing is locked or credited (exactly what the full run would find).
    open_promises = Promise.objects.filter(
        case__loan_id=payment.loan_id, status__in=UNRESOLVED_PROMISE, resolved_at__isnull=True
    )
    active_plans = Plan.objects.filter(case__loan_id=payment.loan_id, status=PlanStatus.ACTIVE)
    if not open_promises.exists() and not active_plans.exists():
        return PaymentTracking()
    with transaction.atomic():
        # Serialises tracking of one payment: a concurrent second call waits, then finds the credits.
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        paid_on = timezone.localdate(payment.paid_at)
        return PaymentTracking(promises=_credit_promises(payment, paid_on), plans=_credit_plans(payment, paid_on))


def on_payments_recorded(payments: list[Payment]) -> None:
    """`on_payment_recorded` for a bulk upload's payments (in their allocation order), asking once which
    of their loans have an open promise or an active plan: the others have nothing to credit."""
    loan_ids = {p.loan_id for p in payments}
    tracked = set(
        Promise.objects.filter(
            case__loan_id__in=loan_ids, status__in=UNRESOLVED_PROMISE, resolved_at__isnull=True
        ).values_list("case__loan_id", flat=True)
    )
    tracked |= set(
        Plan.objects.filter(case__loan_id__in=loan_ids, status=PlanStatus.ACTIVE).values_list(
            "case__loan_id", flat=True
        )
    )
    for payment in payments:
        if payment.loan_id in tracked:
            on_payment_recorded(payment)


# --- the daily check ----------------------------------------------------------------------------------


@dataclass
class CheckResult:
    promises_broken: list[int] = field(default_factory=list)
    promises_partly_kept: list[int] = field(default_factory=list)
    plans_broken: list[int] = field(default_factory=list)
    plans_completed: list[int] = field(default_factory=list)


def _resolve_expired_promise(promise_id: int, today: dt.date, result: CheckResult) -> None:
    with transaction.atomic():
        promise = (
            Promise.objects.select_for_update(skip_locked=True)
            .select_related("case__loan", "case__borrower", "case__platform")
            .filter(pk=promise_id, status__in=UNRESOLVED_PROMISE, resolved_at__isnull=True)
            .first()
        )
        if promise is None or promise.deadline >= today:
            return
        old = promise.status
        now = timezone.now()
        promise.status = PromiseStatus.PARTLY_KEPT if promise.paid_amount > ZERO else PromiseStatus.BROKEN
        promise.resolved_at = now
        promise.save(update_fields=["status", "resolved_at"])
        _promise_event(promise, CaseEvent.Kind.PROMISE_BROKEN, old)
        # A broken promise re-enters the stage's strategy: the case is due for its next step now.
        Case.objects.filter(pk=promise.case_id).update(next_action_at=now)
        # Partly kept is still short of what was promised: platforms hear about it as a broken promise,
        # with the status and the amount paid in the payload.
        event_emit(platform=promise.case.platform, type=EventType.PROMISE_BROKEN, data=promise_webhook_data(promise))
        (result.promises_partly_kept if promise.paid_amount > ZERO else result.promises_broken).append(promise.pk)


def promises_and_plans_check(today: dt.date | None = None) -> CheckResult:
    """Resolve promises past their grace period; break plans with an installment missed beyond grace;
    complete plans that are fully paid. Idempotent: a second run the same day changes nothing."""
    today = today or timezone.localdate()
    result = CheckResult()

    # Grace is per promise (copied when it was given), so the SQL filter is the loose bound and
    # the exact one is checked per row; only promises due before today can have expired.
    expired = Promise.objects.filter(
        status__in=UNRESOLVED_PROMISE, resolved_at__isnull=True, due_date__lt=today
    ).values_list("id", "due_date", "grace_days")
    for promise_id, due_date, grace_days in expired.iterator(chunk_size=2000):
        if due_date + dt.timedelta(days=grace_days) < today:
            _resolve_expired_promise(promise_id, today, result)

    overdue = (
        PlanInstallment.objects.filter(plan__status=PlanStatus.ACTIVE, paid_at__isnull=True, due_date__lt=today)
        .select_related("plan")
        .order_by("plan_id", "due_date", "seq")
    )
    seen: set[int] = set()
    for inst in overdue.iterator(chunk_size=2000):
        if inst.plan_id in seen:
            continue
        seen.add(inst.plan_id)
        if inst.due_date + dt.timedelta(days=inst.plan.grace_days) < today and plan_break(
            plan=inst.plan, missed=inst, today=today
        ):
            result.plans_broken.append(inst.plan_id)

    # A safety net for plans whose last payment was credited without completing them (e.g. a crash
    # between the two): nothing unpaid left means completed.
    paid_up = Plan.objects.filter(status=PlanStatus.ACTIVE).exclude(installments__paid_at__isnull=True)
    for plan in paid_up.iterator():
        if plan_complete(plan=plan).status == PlanStatus.COMPLETED:
            result.plans_completed.append(plan.pk)
    if result.promises_broken or result.plans_broken:
        logger.info(
            "repayment check %s: %d promises broken, %d partly kept, %d plans broken, %d completed",
            today,
            len(result.promises_broken),
            len(result.promises_partly_kept),
            len(result.plans_broken),
            len(result.plans_completed),
        )
    return result
