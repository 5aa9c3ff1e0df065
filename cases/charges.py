"""Late fees and penalty interest: accrued by the delinquency refresh under the charge rules, within the
legal caps, never during a UK breathing space, a delinquency pause or after a write-off (docs/fees.md).

Each installment's charges are recomputed from scratch for the refresh's day, as a pure function of its
schedule, the dates of the payments allocated to it, the loan's holds and pauses, the rules and the caps.
So a second run the same day changes nothing, and a run that catches up several missed days (or a
backdated one) reaches the same total as daily runs would. A change of total is written as one
`ChargeAccrual` row per installment, kind and day (an upsert: the same day's rerun rewrites it).

Days are the refresh's days (`timezone.localdate`, the day the DPD is counted in): a day counts once it is
over, on the installment's unpaid principal and interest at its end (a payment that day stops that day's
penalty). With `grace_days` g an installment due on D is charged from day D+g+1: the late fee once on
that day (when still unpaid at the end of D+g, and that day is not in a breathing space or pause), the
penalty for every day from it on that is not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from django.db.models import DecimalField, ExpressionWrapper, F
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from borrowers.models import Hold, HoldKind

from .models import (
    ZERO,
    ChargeAccrual,
    ChargeCap,
    ChargeJurisdiction,
    ChargeKind,
    ChargeRule,
    Installment,
    Loan,
    LoanPause,
    PaymentAllocation,
    RateBasis,
)
from .signals import charge_free_periods

CENT = Decimal("0.01")
DAYS_PER_YEAR = Decimal(365)
# Debt Respite Scheme (SI 2020/1311 reg. 7): no interest, fees or charges accrue on the debt during a
# breathing space or a mental health crisis moratorium, whatever the pack.
NO_CHARGE_HOLDS = (HoldKind.BREATHING_SPACE, HoldKind.MENTAL_HEALTH_CRISIS)

_SLICE = 2000
_REGION_JURISDICTIONS = {"CN": ChargeJurisdiction.CN, "US": ChargeJurisdiction.US, "GB": ChargeJurisdiction.UK}


def jurisdiction_of(region: str, default_jurisdiction: str) -> str:
    """The jurisdiction a loan's charges follow: CN-* → CN, US-* → US, GB-* → UK, else the platform's
    default (the rule packs' own selection, RULES.md "Pack selection", without the state overlays)."""
    prefix = (region or "").strip().upper().split("-", 1)[0]
    return _REGION_JURISDICTIONS.get(prefix, default_jurisdiction)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def daily_rate(rule: ChargeRule) -> Decimal:
    rate = rule.penalty_rate / 100
    return rate / DAYS_PER_YEAR if rule.penalty_rate_basis == RateBasis.ANNUAL else rate


# --- which rules and caps ------------------------------------------------------------------------------


def rules_for(rules: Iterable[ChargeRule], *, jurisdiction: str, product: str, platform_id: int) -> list[ChargeRule]:
    """The loan's rules over time, oldest first: on each `valid_from` the most specific matching rule
    (the platform's own before a general one, a product's before every product's) takes over."""
    matching = [
        r
        for r in rules
        if r.jurisdiction == jurisdiction and r.product in ("", product) and r.platform_id in (None, platform_id)
    ]
    best: dict[dt.date, ChargeRule] = {}
    for r in matching:
        key = (r.platform_id is not None, r.product != "", r.pk)
        kept = best.get(r.valid_from)
        if kept is None or key > (kept.platform_id is not None, kept.product != "", kept.pk):
            best[r.valid_from] = r
    return [best[day] for day in sorted(best)]


def rule_on(rules: Sequence[ChargeRule], day: dt.date) -> ChargeRule | None:
    found = None
    for r in rules:
        if r.valid_from <= day:
            found = r
    return found


@dataclass(frozen=True)
class Caps:
    annual_cost_ceiling_percent: Decimal | None = None
    total_cost_max_percent: Decimal | None = None
    late_fee_max: Decimal | None = None
    sources: tuple[int, ...] = ()


def caps_for(caps: Iterable[ChargeCap], *, jurisdiction: str, region: str, product: str) -> Caps:
    """Every active cap of the jurisdiction that matches the loan's region and product: the strictest wins."""
    region = (region or "").strip().upper()
    annual: Decimal | None = None
    total: Decimal | None = None
    fee: Decimal | None = None
    ids = []
    for c in caps:
        if c.jurisdiction != jurisdiction or c.region.upper() not in ("", region) or c.product not in ("", product):
            continue
        ids.append(c.pk)
        if c.annual_cost_ceiling_percent is not None:
            annual = min(annual, c.annual_cost_ceiling_percent) if annual is not None else c.annual_cost_ceiling_percent
        if c.total_cost_max_percent is not None:
            total = min(total, c.total_cost_max_percent) if total is not None else c.total_cost_max_percent
        if c.late_fee_max is not None:
            fee = min(fee, c.late_fee_max) if fee is not None else c.late_fee_max
    return Caps(annual, total, fee, tuple(ids))


# --- one installment -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallmentCharges:
    late_fee: Decimal
    penalty: Decimal
    rule: ChargeRule | None
    # The last day its principal was still borrowed (for the annualised cost): the day before it was
    # repaid, or yesterday.
    borrowed_until: dt.date


class _Timeline:
    """An installment's unpaid principal and interest at the end of each day, from the dated payments."""

    def __init__(self, inst: Installment, paid: list[tuple[dt.date, Decimal]]):
        self.owed = max(inst.principal_due + inst.interest_due - inst.waived, ZERO)
        self.paid = sorted(paid)

    def base_end(self, day: dt.date) -> Decimal:
        return max(self.owed - sum((amount for on, amount in self.paid if on <= day), ZERO), ZERO)

    def repaid_on(self) -> dt.date | None:
        """The first day at whose end nothing of the principal and interest was left."""
        if self.owed <= 0:
            return dt.date.min
        for on, _amount in self.paid:
            if self.base_end(on) <= 0:
                return on
        return None


def _excluded(day: dt.date, periods: Sequence[tuple[dt.date, dt.date | None]]) -> bool:
    return any(start <= day and (end is None or day <= end) for start, end in periods)


def installment_charges(
    inst: Installment,
    *,
    rules: Sequence[ChargeRule],
    paid: list[tuple[dt.date, Decimal]],
    excluded: Sequence[tuple[dt.date, dt.date | None]],
    today: dt.date,
) -> InstallmentCharges:
    """The installment's late fee and penalty (before caps) as of `today`, from its history.

    Piecewise: between two change points (a rule taking over, a grace ending, a payment, an exclusion
    starting or ending) the rule, the base and the exclusion are constant, so a segment's penalty is
    days × base × daily rate: no loop over every day of a year-old arrear.
    """
    timeline = _Timeline(inst, paid)
    repaid = timeline.repaid_on()
    borrowed_until = today - dt.timedelta(days=1)
    if repaid is not None:
        borrowed_until = min(borrowed_until, repaid)
    first, stop = inst.due_date + dt.timedelta(days=1), today + dt.timedelta(days=1)
    if not rules or first >= stop:
        return InstallmentCharges(ZERO, ZERO, None, borrowed_until)
    points = {first, stop}
    for r in rules:
        points.update((r.valid_from, inst.due_date + dt.timedelta(days=r.grace_days + 1)))
    points.update(on for on, _amount in paid)
    points.update(on + dt.timedelta(days=1) for on, _amount in paid)
    for start, end in excluded:
        points.add(start)
        if end is not None:
            points.add(end + dt.timedelta(days=1))
    bounds = sorted(p for p in points if first <= p <= stop)

    late_fee, penalty, used = ZERO, Decimal(0), None
    late_fee_decided = False
    for a, b in zip(bounds, bounds[1:], strict=False):
        rule = rule_on(rules, a)
        if rule is None or a <= inst.due_date + dt.timedelta(days=rule.grace_days):
            continue  # no rule yet, or within the grace
        off = _excluded(a, excluded)
        if not late_fee_decided:
            # The first day beyond the grace decides the late fee, once: unpaid at the end of the day
            # before and not a day without charges (a breathing space, a pause) — otherwise never.
            late_fee_decided = True
            owed = timeline.base_end(a - dt.timedelta(days=1))
            if owed > 0 and not off and (rule.late_fee_fixed or rule.late_fee_percent):
                late_fee = cents(rule.late_fee_fixed + owed * rule.late_fee_percent / 100)
                used = rule
        days = (min(b, today) - a).days  # completed days only: today is not over
        base = timeline.base_end(a)
        if off or days <= 0 or base <= 0 or not rule.penalty_rate:
            continue
        penalty += days * base * daily_rate(rule)
        used = rule
    return InstallmentCharges(late_fee, cents(penalty), used, borrowed_until)


# --- the refresh's step --------------------------------------------------------------------------------


@dataclass
class _Loan:
    loan: Loan
    jurisdiction: str
    region: str


def _candidate_loan_ids(today: dt.date, grace: int) -> list[int]:
    """The whole book: loans with an installment whose principal or interest is unpaid beyond the
    shortest grace (the others have nothing to accrue; a paid installment's charges stand)."""
    owed = F("principal_due") + F("interest_due") - F("principal_paid") - F("interest_paid") - F("waived")
    return list(
        Installment.objects.filter(due_date__lt=today - dt.timedelta(days=grace))
        .alias(owed=ExpressionWrapper(owed, output_field=DecimalField(max_digits=14, decimal_places=2)))
        .filter(owed__gt=0)
        .order_by()
        .values_list("loan_id", flat=True)
        .distinct()
    )


def _local_day(at: dt.datetime | None) -> dt.date | None:
    return None if at is None else timezone.localdate(at)


def charges_accrue(*, loan_ids: list[int] | None, today: dt.date) -> int:
    """Bring the late fees and penalty interest of the loans (None: the whole book) up to `today`;
    returns how many installments changed. Nothing to do (and two cheap queries) while no rule is active."""
    rules = list(ChargeRule.objects.filter(active=True))
    if not rules:
        return 0
    if loan_ids is None:
        loan_ids = _candidate_loan_ids(today, min(r.grace_days for r in rules))
    caps = list(ChargeCap.objects.filter(active=True))
    changed = 0
    # In slices: a whole book behind is a few hundred thousand loans, read and written a slice at a time.
    for start in range(0, len(loan_ids), _SLICE):
        changed += _accrue(loan_ids[start : start + _SLICE], today=today, rules=rules, caps=caps)
    return changed


def _accrue(loan_ids: list[int], *, today: dt.date, rules: list[ChargeRule], caps: list[ChargeCap]) -> int:
    loans = {
        loan.pk: _Loan(
            loan, jurisdiction_of(loan.borrower.region, loan.platform.default_jurisdiction), loan.borrower.region
        )
        for loan in Loan.objects.filter(pk__in=loan_ids).select_related("borrower", "platform")
    }
    installments: dict[int, list[Installment]] = defaultdict(list)
    for inst in Installment.objects.filter(loan_id__in=list(loans)).order_by("loan_id", "due_date", "seq"):
        installments[inst.loan_id].append(inst)
    paid: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for inst_id, principal, interest, paid_at in PaymentAllocation.objects.filter(
        installment__loan_id__in=list(loans)
    ).values_list("installment_id", "principal", "interest", "payment__paid_at"):
        if principal or interest:
            paid[inst_id].append((timezone.localdate(paid_at), principal + interest))
    excluded: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    borrowers: dict[int, list[int]] = defaultdict(list)
    for v in loans.values():
        borrowers[v.loan.borrower_id].append(v.loan.pk)
    for borrower_id, loan_id, starts_at, ends_at in Hold.objects.filter(
        borrower_id__in=list(borrowers), kind__in=NO_CHARGE_HOLDS
    ).values_list("borrower_id", "loan_id", "starts_at", "ends_at"):
        period = (timezone.localdate(starts_at), _local_day(ends_at))
        for held in [loan_id] if loan_id is not None else borrowers[borrower_id]:
            if held in loans:
                excluded[held].append(period)
    for loan_id, starts_on, ends_on in LoanPause.objects.filter(loan_id__in=list(loans)).values_list(
        "loan_id", "starts_on", "ends_on"
    ):
        excluded[loan_id].append((starts_on, ends_on))
    for v in loans.values():
        if v.loan.written_off_on is not None:  # charged off: nothing accrues from that day on
            excluded[v.loan.pk].append((v.loan.written_off_on, None))
    # The apps above answer for what they hold (repayment_plans: the days a plan was active).
    for _receiver, answer in charge_free_periods.send(sender=Loan, loan_ids=list(loans)):
        for loan_id, periods in cast(dict[int, list[tuple[dt.date, dt.date | None]]], answer or {}).items():
            excluded[loan_id].extend(periods)

    # The same day's rows (a rerun rewrites them) and whether a later day's exist (a run for an earlier
    # day never rewrites what a later one wrote).
    todays: dict[tuple[int, str], ChargeAccrual] = {}
    later: set[tuple[int, str]] = set()
    for row in ChargeAccrual.objects.filter(installment__loan_id__in=list(loans), on__gte=today):
        if row.on == today:
            todays[(row.installment_id, row.kind)] = row
        else:
            later.add((row.installment_id, row.kind))

    changed: list[Installment] = []
    rows: list[ChargeAccrual] = []
    for v in loans.values():
        loan = v.loan
        loan_rules = rules_for(rules, jurisdiction=v.jurisdiction, product=loan.product, platform_id=loan.platform_id)
        if not loan_rules:
            continue  # no rule (or switched off): what accrued stands, a waiver forgives it
        loan_caps = caps_for(caps, jurisdiction=v.jurisdiction, region=v.region, product=loan.product)
        computed = {
            inst.pk: installment_charges(
                inst, rules=loan_rules, paid=paid[inst.pk], excluded=excluded[loan.pk], today=today
            )
            for inst in installments[loan.pk]
        }
        room = _cap_room(loan, installments[loan.pk], computed, loan_caps, today)
        for inst in installments[loan.pk]:
            c = computed[inst.pk]
            settled = inst.principal_due + inst.interest_due <= inst.principal_paid + inst.interest_paid + inst.waived
            if settled:
                # Principal and interest paid: its charges stand as they were (paid, owed or none: a rule
                # switched on later never reaches back to an installment already settled).
                late_fee, penalty = inst.late_fee_due, inst.penalty_due
            else:
                late_fee = c.late_fee if loan_caps.late_fee_max is None else min(c.late_fee, loan_caps.late_fee_max)
                penalty = c.penalty
            capped = late_fee < c.late_fee
            if room is not None:
                late_fee, penalty = min(late_fee, room), min(penalty, max(room - min(late_fee, room), ZERO))
                capped = capped or late_fee < c.late_fee or penalty < c.penalty
                room = max(room - late_fee - penalty, ZERO)
            # What was paid or forgiven of a charge is never taken back.
            late_fee = max(late_fee, inst.late_fee_paid + inst.late_fee_waived)
            penalty = max(penalty, inst.penalty_paid + inst.penalty_waived)
            touched = False
            for kind, field, total in (
                (ChargeKind.LATE_FEE, "late_fee_due", late_fee),
                (ChargeKind.PENALTY, "penalty_due", penalty),
            ):
                key = (inst.pk, kind)
                if key in later:
                    continue
                today_row = todays.get(key)
                before = (today_row.total - today_row.amount) if today_row is not None else getattr(inst, field)
                if total == getattr(inst, field) and (today_row is None or today_row.total == total):
                    continue
                rows.append(
                    ChargeAccrual(
                        installment=inst,
                        kind=kind,
                        on=today,
                        amount=total - before,
                        total=total,
                        rule=c.rule,
                        capped=capped,
                    )
                )
                setattr(inst, field, total)
                touched = True
            if touched:
                # Charges on an installment reopen it to the waterfall until they are paid or forgiven.
                if inst.remaining > 0:
                    inst.paid_off_at = None
                changed.append(inst)
    if rows:
        ChargeAccrual.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["installment", "kind", "on"],
            update_fields=["amount", "total", "rule", "capped", "created_at"],
        )
    if changed:
        bulk_update_with_history(changed, Installment, ["late_fee_due", "penalty_due", "paid_off_at"], batch_size=2000)
    return len(changed)


def _cap_room(
    loan: Loan,
    installments: list[Installment],
    computed: dict[int, InstallmentCharges],
    caps: Caps,
    today: dt.date,
) -> Decimal | None:
    """How much the loan's charges may total under its caps (None: no cap), from the contract's own cost.

    The annualised ceiling is simple interest over principal-days: each installment's principal counts
    as borrowed from the disbursement to the day it was repaid (or yesterday), so the ceiling's amount is
    rate × Σ principal × days / 365; the interest and fees of the installments already due come off it.
    The total cost cap: percent × principal, less every installment's interest and fees."""
    rooms: list[Decimal] = []
    if caps.annual_cost_ceiling_percent is not None:
        principal_days = sum(
            (
                inst.principal_due * max((computed[inst.pk].borrowed_until - loan.disbursed_on).days + 1, 0)
                for inst in installments
            ),
            ZERO,
        )
        cost = sum((i.interest_due + i.fee_due for i in installments if i.due_date < today), ZERO)
        rooms.append(principal_days * caps.annual_cost_ceiling_percent / 100 / DAYS_PER_YEAR - cost)
    if caps.total_cost_max_percent is not None:
        cost = sum((i.interest_due + i.fee_due for i in installments), ZERO)
        rooms.append(loan.principal * caps.total_cost_max_percent / 100 - cost)
    if not rooms:
        return None
    return max(cents(min(rooms)), ZERO)
