"""Write paths for promises to pay and repayment plans.

Promises: taken on an open case, for a positive amount, due today or later in the borrower's own day.

Plans (propose, approve, reject, cancel, activate, complete, break): every rule a plan must respect is
checked here, before anything is written, and a breach raises a Django ValidationError
`{field: [message]}` (the API turns it into a 400; the transaction rolls back): no fees added, the
total never above the balance, amounts that add up to the cent, no dates in the past, no plan on a
closed case, one open plan per case, nothing beyond the absolute limits. A discount or term beyond the
*proposer's* limits is not an error: the plan waits for approval."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Platform, Role, User
from borrowers.zones import borrower_today
from cases.delinquency import refresh_delinquency
from cases.events import case_event_record
from cases.models import Case, CaseEvent, CaseStatus, Installment
from webhooks.models import EventType
from webhooks.services import event_emit

from .agreement import agreement_generate
from .models import (
    OPEN_PLAN_STATUSES,
    ZERO,
    ApprovalDecision,
    Frequency,
    Plan,
    PlanApproval,
    PlanInstallment,
    PlanKind,
    PlanStatus,
    PlanWaiver,
    Promise,
)
from .schedule import ScheduleLine, build_schedule, cents, months_spanned, shift_schedule


def _borrower_today(case: Case, now: dt.datetime | None = None) -> dt.date:
    """Today where the borrower lives, in the one borrower zone (`borrowers.zones.borrower_zone`: their own
    zone, else their region's): a promise "for today" made late evening in Honolulu is not past."""
    return borrower_today(case.borrower, now or timezone.now())


@transaction.atomic
def promise_create(
    *,
    case: Case,
    amount: Decimal,
    due_date: dt.date,
    created_by: User | None = None,
    created_by_platform: Platform | None = None,
) -> Promise:
    case = Case.objects.select_for_update().select_related("borrower").get(pk=case.pk)
    errors: dict[str, list[str]] = {}
    if case.status != CaseStatus.OPEN:
        errors["case"] = [_("The case is closed; promises are taken on open cases only.")]
    if amount <= 0:
        errors["amount"] = [_("The amount must be positive.")]
    if due_date < _borrower_today(case):
        errors["due_date"] = [_("The due date lies in the past.")]
    if errors:
        raise ValidationError(errors)
    return Promise.objects.create(
        case=case,
        amount=amount,
        due_date=due_date,
        created_by=created_by,
        created_by_platform=created_by_platform,
    )


# --- limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    max_discount_percent: Decimal
    max_months: int

    def allow(self, *, discount_percent: Decimal, term_months: int) -> bool:
        return discount_percent <= self.max_discount_percent and term_months <= self.max_months


def absolute_limits() -> Limits:
    """Beyond these a plan is refused outright (400), whoever proposes or approves it."""
    return Limits(
        Decimal(str(getattr(settings, "PLAN_ABSOLUTE_MAX_DISCOUNT_PERCENT", "50"))),
        int(getattr(settings, "PLAN_ABSOLUTE_MAX_MONTHS", 36)),
    )


def platform_limits() -> Limits:
    """What a platform may grant without a supervisor: the same default a new collector gets."""
    return Limits(
        Decimal(str(getattr(settings, "PLAN_PLATFORM_MAX_DISCOUNT_PERCENT", "10"))),
        int(getattr(settings, "PLAN_PLATFORM_MAX_MONTHS", 6)),
    )


def supervisor_limits() -> Limits:
    """What a supervisor may approve at least (their own limits may be higher); beyond it, a second level."""
    return Limits(
        Decimal(str(getattr(settings, "PLAN_SUPERVISOR_MAX_DISCOUNT_PERCENT", "30"))),
        int(getattr(settings, "PLAN_SUPERVISOR_MAX_MONTHS", 24)),
    )


def user_limits(user: User) -> Limits:
    """A user's limits, never beyond the absolute ones: their own (User.max_discount_percent and
    max_plan_months), raised to the supervisor level for supervisors, the absolute ones for administrators."""
    absolute = absolute_limits()
    if user.is_superuser or user.role == Role.ADMIN:
        return absolute
    discount, months = Decimal(user.max_discount_percent), int(user.max_plan_months)
    if user.role == Role.SUPERVISOR:
        level = supervisor_limits()
        discount, months = max(discount, level.max_discount_percent), max(months, level.max_months)
    return Limits(min(discount, absolute.max_discount_percent), min(months, absolute.max_months))


# --- terms: everything computed before a plan is written --------------------------------------------


@dataclass(frozen=True)
class PlanTerms:
    kind: str
    currency: str
    balance: Decimal
    total_amount: Decimal
    discount_amount: Decimal
    discount_percent: Decimal
    term_months: int
    first_due_date: dt.date
    frequency: str
    lines: list[ScheduleLine]
    waive_interest: bool = False
    waive_fees: bool = False
    # Filled in by plan_preview: how many approvals beyond the proposer the plan needs (0 or 1).
    needs_approval: bool = False
    limits: Limits | None = None


def loan_installments_open(loan_id: int) -> list[Installment]:
    return [i for i in Installment.objects.filter(loan_id=loan_id).order_by("due_date", "seq") if i.remaining > ZERO]


def loan_balance(loan_id: int) -> Decimal:
    """What the borrower owes now, from the ledger itself (Loan.outstanding may be a refresh behind)."""
    return sum((i.remaining for i in loan_installments_open(loan_id)), ZERO)


def _open_penalty(inst: Installment) -> Decimal:
    return max(inst.penalty_due - inst.penalty_paid - inst.penalty_waived, ZERO)


def _open_late_fee(inst: Installment) -> Decimal:
    return max(inst.late_fee_due - inst.late_fee_paid - inst.late_fee_waived, ZERO)


def _waivable(inst: Installment, *, interest: bool, fees: bool) -> Decimal:
    """The unpaid interest and/or fee of an installment, never more than what is left on it. Interest
    includes the penalty interest, fees the late fee, accrued by the refresh (cases.charges)."""
    amount = ZERO
    if interest:
        amount += max(inst.interest_due - inst.interest_paid, ZERO) + _open_penalty(inst)
    if fees:
        amount += max(inst.fee_due - inst.fee_paid, ZERO) + _open_late_fee(inst)
    return min(amount, inst.remaining)


def _require(value: Any, name: str) -> Any:
    if value in (None, ""):
        raise ValidationError({name: [_("This field is required for this kind of plan.")]})
    return value


def plan_terms(
    *,
    case: Case,
    kind: str,
    today: dt.date,
    first_due_date: dt.date | None = None,
    installment_count: int | None = None,
    frequency: str | None = None,
    amounts: Sequence[Decimal] | None = None,
    total_amount: Decimal | None = None,
    settlement_amount: Decimal | None = None,
    waive_interest: bool = False,
    waive_fees: bool = False,
    fee_amount: Decimal | None = None,
) -> PlanTerms:
    """The plan's schedule and figures, validated against the rules; raises ValidationError, writes nothing."""
    if kind not in PlanKind.values:
        raise ValidationError({"kind": [_("Unknown kind of plan.")]})
    if case.status != CaseStatus.OPEN:
        raise ValidationError({"case": [_("The case is closed; a plan needs an open case.")]})
    if fee_amount:
        # Forbearance must not cost the borrower more: no set-up, handling or late fee in a plan.
        raise ValidationError({"fee_amount": [_("No fees may be added to a repayment plan.")]})
    if first_due_date is not None and first_due_date < today:
        raise ValidationError({"first_due_date": [_("The first due date lies in the past.")]})
    frequency = frequency or Frequency.MONTHLY
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": [_("Unknown frequency.")]})

    open_installments = loan_installments_open(case.loan_id)
    balance = sum((i.remaining for i in open_installments), ZERO)
    if balance <= ZERO:
        raise ValidationError({"case": [_("Nothing is owed on this loan.")]})

    discount = ZERO
    if kind == PlanKind.DEFERRAL:
        if amounts:
            raise ValidationError({"amounts": [_("A deferral keeps the loan's amounts; only the dates move.")]})
        new_first = _require(first_due_date, "first_due_date")
        old_first = open_installments[0].due_date
        if new_first <= old_first:
            raise ValidationError(
                {"first_due_date": [_("A deferral moves the dates later than %(date)s.") % {"date": old_first}]}
            )
        lines = shift_schedule([(i.due_date, i.remaining) for i in open_installments], new_first)
        total = balance
        # A deferral's term is how far it pushes the dates, not the loan's remaining life.
        term = months_spanned(old_first, new_first)
        frequency = ""
    else:
        first = _require(first_due_date, "first_due_date")
        count = installment_count or 1
        if kind == PlanKind.INSTALLMENT:
            total = balance if total_amount is None else total_amount
            if total > balance:
                raise ValidationError(
                    {"total_amount": [_("The plan total may not exceed the balance of %(b)s.") % {"b": balance}]}
                )
            if total <= ZERO:
                raise ValidationError({"total_amount": [_("The plan total must be positive.")]})
        elif kind == PlanKind.SETTLEMENT:
            total = _require(settlement_amount, "settlement_amount")
            if total > balance:
                raise ValidationError(
                    {"settlement_amount": [_("A settlement may not exceed the balance of %(b)s.") % {"b": balance}]}
                )
            if total <= ZERO:
                raise ValidationError({"settlement_amount": [_("The settlement amount must be positive.")]})
            discount = balance - total
        else:  # waiver
            if not (waive_interest or waive_fees):
                raise ValidationError({"waive_interest": [_("Choose interest, fees or both to waive.")]})
            per_installment = {
                i.pk: w for i in open_installments if (w := _waivable(i, interest=waive_interest, fees=waive_fees)) > 0
            }
            discount = sum(per_installment.values(), ZERO)
            if discount <= ZERO:
                raise ValidationError({"waive_interest": [_("There is no unpaid interest or fee to waive.")]})
            total = balance - discount
            if total <= ZERO:
                raise ValidationError({"waive_interest": [_("A waiver leaves some principal to pay.")]})
        if total_amount is not None and kind != PlanKind.INSTALLMENT and total_amount != total:
            raise ValidationError({"total_amount": [_("The plan total would be %(t)s.") % {"t": total}]})
        lines = build_schedule(total=total, count=count, frequency=frequency, first_due_date=first, amounts=amounts)
        term = months_spanned(today, lines[-1].due_date)

    percent = cents(discount * 100 / balance)
    absolute = absolute_limits()
    if percent > absolute.max_discount_percent:
        name = "settlement_amount" if kind == PlanKind.SETTLEMENT else "waive_interest"
        raise ValidationError(
            {
                name: [
                    _("A discount of %(p)s%% is beyond the maximum of %(max)s%% anyone may grant.")
                    % {"p": percent, "max": absolute.max_discount_percent}
                ]
            }
        )
    if term > absolute.max_months:
        raise ValidationError(
            {
                "installment_count" if kind != PlanKind.DEFERRAL else "first_due_date": [
                    _("A term of %(m)s months is beyond the maximum of %(max)s months.")
                    % {"m": term, "max": absolute.max_months}
                ]
            }
        )
    return PlanTerms(
        kind=kind,
        currency=case.loan.currency,
        balance=balance,
        total_amount=total,
        discount_amount=discount,
        discount_percent=percent,
        term_months=term,
        first_due_date=lines[0].due_date,
        frequency=frequency,
        lines=lines,
        waive_interest=waive_interest and kind == PlanKind.WAIVER,
        waive_fees=waive_fees and kind == PlanKind.WAIVER,
    )


def proposer_limits(*, user: User | None, platform: Platform | None) -> Limits:
    if user is not None:
        return user_limits(user)
    if platform is not None:
        return platform_limits()
    raise ValueError("a plan is proposed by a user or a platform")


def plan_preview(
    *,
    case: Case,
    user: User | None = None,
    platform: Platform | None = None,
    today: dt.date | None = None,
    **terms: Any,
) -> PlanTerms:
    """The schedule and whether it needs approval, as shown before the plan is offered. Writes nothing."""
    today = today or _borrower_today(case)
    computed = plan_terms(case=case, today=today, **terms)
    limits = proposer_limits(user=user, platform=platform)
    needs = not limits.allow(discount_percent=computed.discount_percent, term_months=computed.term_months)
    return dataclasses.replace(computed, needs_approval=needs, limits=limits)


# --- lifecycle ---------------------------------------------------------------------------------------


def _event(
    plan: Plan, kind: str, *, old: str = "", new: str = "", reason: str = "", actor: User | None = None, **data: Any
) -> None:
    case_event_record(
        case_id=plan.case_id,
        kind=kind,
        old=old,
        new=new,
        reason=reason,
        actor=actor,
        data={"plan": plan.pk, "kind": plan.kind, **data},
    )


def plan_webhook_data(plan: Plan) -> dict[str, Any]:
    case = plan.case
    return {
        "plan": plan.pk,
        "case": plan.case_id,
        "loan": case.loan.external_id,
        "borrower": case.borrower.external_id,
        "kind": plan.kind,
        "status": plan.status,
        "currency": plan.currency,
        "total_amount": str(plan.total_amount),
        "discount_amount": str(plan.discount_amount),
        "schedule": [
            {
                "seq": i.seq,
                "due_date": i.due_date.isoformat(),
                "amount": str(i.amount),
                "paid_amount": str(i.paid_amount),
            }
            for i in plan.installments.all()
        ],
    }


def _set_case_next_action(case_id: int, when: dt.datetime | None) -> None:
    Case.objects.filter(pk=case_id).update(next_action_at=when)


def next_plan_due_at(plan: Plan) -> dt.datetime | None:
    """While a plan is on track, the case's next action is the plan's next unpaid date, not the strategy's."""
    nxt = plan.installments.filter(paid_at__isnull=True).order_by("due_date").first()
    if nxt is None:
        return None
    return dt.datetime.combine(nxt.due_date, dt.time(9, 0), tzinfo=dt.UTC)


@transaction.atomic
def plan_propose(
    *,
    case: Case,
    kind: str,
    user: User | None = None,
    platform: Platform | None = None,
    reason: str = "",
    today: dt.date | None = None,
    first_due_date: dt.date | None = None,
    installment_count: int | None = None,
    frequency: str | None = None,
    amounts: Sequence[Decimal] | None = None,
    total_amount: Decimal | None = None,
    settlement_amount: Decimal | None = None,
    waive_interest: bool = False,
    waive_fees: bool = False,
    fee_amount: Decimal | None = None,
) -> Plan:
    """Propose a plan the borrower agreed to. Within the proposer's limits it is active at once;
    beyond them it waits for approval (a reason is then required); beyond the absolute limits, 400."""
    # Serialises proposals on one case: the second of two concurrent ones sees the first's plan.
    case = Case.objects.select_for_update().select_related("loan", "borrower").get(pk=case.pk)
    today = today or _borrower_today(case)
    existing = Plan.objects.filter(case=case, status__in=OPEN_PLAN_STATUSES).first()
    if existing is not None:
        raise ValidationError(
            {
                "case": [
                    _("This case already has an open plan (#%(id)s, %(status)s).")
                    % {"id": existing.pk, "status": existing.get_status_display()}
                ]
            }
        )
    terms = plan_preview(
        case=case,
        user=user,
        platform=platform,
        today=today,
        kind=kind,
        first_due_date=first_due_date,
        installment_count=installment_count,
        frequency=frequency,
        amounts=amounts,
        total_amount=total_amount,
        settlement_amount=settlement_amount,
        waive_interest=waive_interest,
        waive_fees=waive_fees,
        fee_amount=fee_amount,
    )
    reason = (reason or "").strip()
    if terms.needs_approval and not reason:
        raise ValidationError(
            {"reason": [_("This plan is beyond your limits and goes to a supervisor: say why it is needed.")]}
        )
    plan = Plan.objects.create(
        case=case,
        kind=kind,
        status=PlanStatus.PROPOSED,
        currency=terms.currency,
        balance=terms.balance,
        total_amount=terms.total_amount,
        discount_amount=terms.discount_amount,
        discount_percent=terms.discount_percent,
        term_months=terms.term_months,
        installment_count=len(terms.lines),
        frequency=terms.frequency,
        first_due_date=terms.first_due_date,
        waive_interest=terms.waive_interest,
        waive_fees=terms.waive_fees,
        reason=reason,
        approvals_required=1 if terms.needs_approval else 0,
        proposed_by=user,
        proposed_by_platform=platform,
    )
    PlanInstallment.objects.bulk_create(
        PlanInstallment(plan=plan, seq=line.seq, due_date=line.due_date, amount=line.amount) for line in terms.lines
    )
    _event(
        plan,
        CaseEvent.Kind.PLAN_PROPOSED,
        new=PlanStatus.PROPOSED,
        reason=reason,
        actor=user,
        total_amount=str(plan.total_amount),
        discount_percent=str(plan.discount_percent),
        term_months=plan.term_months,
        platform=platform.pk if platform else None,
    )
    if terms.needs_approval:
        plan.status = PlanStatus.PENDING_APPROVAL
        plan.save(update_fields=["status"])
        _event(
            plan,
            CaseEvent.Kind.PLAN_PENDING_APPROVAL,
            old=PlanStatus.PROPOSED,
            new=PlanStatus.PENDING_APPROVAL,
            reason=reason,
            actor=user,
        )
        return plan
    return plan_activate(plan=plan, actor=user)


def _covers(user: User, plan: Plan) -> bool:
    return user_limits(user).allow(discount_percent=plan.discount_percent, term_months=plan.term_months)


def _lock_plan(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().select_related("case__loan", "case__borrower").get(pk=plan.pk)


@transaction.atomic
def plan_approve(*, plan: Plan, user: User, reason: str = "") -> Plan:
    """Record a supervisor's approval. It activates the plan when the approver's own limits cover it;
    otherwise the plan stays pending for a second level (someone whose limits do)."""
    if not user.is_supervisor:
        raise PermissionDenied(_("Only a supervisor may approve a plan."))
    plan = _lock_plan(plan)
    if plan.status != PlanStatus.PENDING_APPROVAL:
        raise ValidationError({"status": [_("Only a plan pending approval can be approved.")]})
    if plan.proposed_by_id == user.pk:
        raise PermissionDenied(_("A plan is approved by someone other than its proposer."))
    if plan.approvals.filter(user=user).exists():
        raise ValidationError({"status": [_("You already decided on this plan; it needs another approver.")]})
    level = plan.approvals.count() + 1
    PlanApproval.objects.create(
        plan=plan,
        level=level,
        decision=ApprovalDecision.APPROVED,
        user=user,
        reason=reason,
        discount_percent=plan.discount_percent,
        term_months=plan.term_months,
    )
    covered = _covers(user, plan)
    _event(plan, CaseEvent.Kind.PLAN_APPROVED, new=f"level {level}", reason=reason, actor=user, activates=covered)
    if not covered:
        plan.approvals_required = level + 1
        plan.save(update_fields=["approvals_required"])
        return plan
    return plan_activate(plan=plan, actor=user)


@transaction.atomic
def plan_reject(*, plan: Plan, user: User, reason: str) -> Plan:
    if not user.is_supervisor:
        raise PermissionDenied(_("Only a supervisor may refuse a plan."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the plan is refused.")]})
    plan = _lock_plan(plan)
    if plan.status != PlanStatus.PENDING_APPROVAL:
        raise ValidationError({"status": [_("Only a plan pending approval can be refused.")]})
    if plan.approvals.filter(user=user).exists():
        raise ValidationError({"status": [_("You already decided on this plan.")]})
    PlanApproval.objects.create(
        plan=plan,
        level=plan.approvals.count() + 1,
        decision=ApprovalDecision.REJECTED,
        user=user,
        reason=reason,
        discount_percent=plan.discount_percent,
        term_months=plan.term_months,
    )
    plan.status, plan.end_reason = PlanStatus.REJECTED, reason
    plan.save(update_fields=["status", "end_reason"])
    _event(
        plan,
        CaseEvent.Kind.PLAN_REJECTED,
        old=PlanStatus.PENDING_APPROVAL,
        new=PlanStatus.REJECTED,
        reason=reason,
        actor=user,
    )
    # No plan after all: the case goes back to its strategy now.
    _set_case_next_action(plan.case_id, timezone.now())
    return plan


@transaction.atomic
def plan_cancel(*, plan: Plan, reason: str = "", user: User | None = None, platform: Platform | None = None) -> Plan:
    plan = _lock_plan(plan)
    if plan.status not in OPEN_PLAN_STATUSES:
        raise ValidationError({"status": [_("Only a proposed, pending or active plan can be cancelled.")]})
    old = plan.status
    now = timezone.now()
    plan.status, plan.cancelled_at, plan.end_reason = PlanStatus.CANCELLED, now, reason
    plan.save(update_fields=["status", "cancelled_at", "end_reason"])
    _event(
        plan,
        CaseEvent.Kind.PLAN_CANCELLED,
        old=old,
        new=PlanStatus.CANCELLED,
        reason=reason,
        actor=user,
        platform=platform.pk if platform else None,
    )
    _set_case_next_action(plan.case_id, now)
    return plan


@transaction.atomic
def plan_activate(*, plan: Plan, actor: User | None = None) -> Plan:
    """Proposed or approved → active: apply an interest/fee waiver, write the agreement, announce it."""

    plan = _lock_plan(plan)
    if plan.status not in (PlanStatus.PROPOSED, PlanStatus.PENDING_APPROVAL):
        raise ValidationError({"status": [_("This plan cannot be activated from its current state.")]})
    old = plan.status
    plan.status, plan.activated_at = PlanStatus.ACTIVE, timezone.now()
    plan.save(update_fields=["status", "activated_at"])
    if plan.kind == PlanKind.WAIVER:
        # The waiver is the concession itself: granted when the plan starts, as the brief of the plan says.
        plan_waive(plan=plan)
    agreement_generate(plan=plan)
    _event(plan, CaseEvent.Kind.PLAN_ACTIVATED, old=old, new=PlanStatus.ACTIVE, actor=actor)
    _set_case_next_action(plan.case_id, next_plan_due_at(plan))
    event_emit(platform=plan.case.platform, type=EventType.PLAN_ACTIVATED, data=plan_webhook_data(plan))
    return plan


def plan_waive(*, plan: Plan) -> Decimal:
    """Write the plan's forgiveness into the loan's ledger (Installment.waived), once, and refresh the loan.

    Settlement: what is left after the settlement was paid, up to the agreed discount, oldest first.
    Waiver: the unpaid interest and/or fees of each installment, up to the agreed discount.
    """

    budget = plan.discount_amount - plan.waived_applied
    if budget <= ZERO:
        return ZERO
    installments = Installment.objects.select_for_update().filter(loan_id=plan.case.loan_id).order_by("due_date", "seq")
    now = timezone.now()
    applied = ZERO
    for inst in installments:
        if budget <= ZERO:
            break
        if plan.kind == PlanKind.WAIVER:
            room = _waivable(inst, interest=plan.waive_interest, fees=plan.waive_fees)
        else:
            room = inst.remaining
        take = min(room, budget)
        if take <= ZERO:
            continue
        # A waiver forgives the accrued charges in their own columns (the refresh keeps their totals and
        # never asks for them again); the rest, and a settlement's discount, in `waived`.
        rest = take
        if plan.kind == PlanKind.WAIVER and plan.waive_interest:
            part = min(_open_penalty(inst), rest)
            inst.penalty_waived += part
            rest -= part
        if plan.kind == PlanKind.WAIVER and plan.waive_fees:
            part = min(_open_late_fee(inst), rest)
            inst.late_fee_waived += part
            rest -= part
        inst.waived += rest
        if inst.remaining <= ZERO and inst.paid_off_at is None:
            inst.paid_off_at = now
        # save(): the ledger's history records the change
        inst.save(update_fields=["waived", "penalty_waived", "late_fee_waived", "paid_off_at"])
        PlanWaiver.objects.create(plan=plan, installment=inst, amount=take)
        applied += take
        budget -= take
    if applied:
        plan.waived_applied += applied
        plan.save(update_fields=["waived_applied"])
        refresh_delinquency(loan_ids=[plan.case.loan_id])
    return applied


@transaction.atomic
def plan_complete(*, plan: Plan) -> Plan:
    """Every plan installment paid: a settlement's discount is forgiven now, and the loan refreshed
    (which closes the case when nothing is owed any more)."""
    plan = _lock_plan(plan)
    if plan.status != PlanStatus.ACTIVE:
        return plan
    now = timezone.now()
    plan.status, plan.completed_at = PlanStatus.COMPLETED, now
    plan.save(update_fields=["status", "completed_at"])
    if plan.kind == PlanKind.SETTLEMENT:
        plan_waive(plan=plan)
    _event(plan, CaseEvent.Kind.PLAN_COMPLETED, old=PlanStatus.ACTIVE, new=PlanStatus.COMPLETED)
    # An installment plan for the arrears only leaves the loan's own schedule running: back to the strategy.
    _set_case_next_action(plan.case_id, now)
    return plan


@transaction.atomic
def plan_break(*, plan: Plan, missed: PlanInstallment, today: dt.date) -> Plan | None:
    """A plan installment unpaid beyond grace: the plan is broken and the case returns to collection."""
    now = timezone.now()
    reason = _("Installment %(seq)s of %(amount)s due %(date)s unpaid after %(days)s days' grace.") % {
        "seq": missed.seq,
        "amount": missed.amount,
        "date": missed.due_date,
        "days": plan.grace_days,
    }
    plan = _lock_plan(plan)
    if plan.status != PlanStatus.ACTIVE:
        return None  # a cancellation or the last payment got there first
    missed.refresh_from_db()
    if missed.remaining <= ZERO:
        return None  # paid while we were deciding
    plan.status, plan.broken_at, plan.end_reason = PlanStatus.BROKEN, now, reason
    plan.save(update_fields=["status", "broken_at", "end_reason"])
    _event(
        plan,
        CaseEvent.Kind.PLAN_BROKEN,
        old=PlanStatus.ACTIVE,
        new=PlanStatus.BROKEN,
        reason=reason,
        missed_seq=missed.seq,
        missed_due_date=missed.due_date.isoformat(),
        shortfall=str(missed.remaining),
    )
    _set_case_next_action(plan.case_id, now)
    data = plan_webhook_data(plan)
    data["missed_installment"] = {
        "seq": missed.seq,
        "due_date": missed.due_date.isoformat(),
        "amount": str(missed.amount),
        "paid_amount": str(missed.paid_amount),
    }
    event_emit(platform=plan.case.platform, type=EventType.PLAN_BROKEN, data=data)
    return plan
