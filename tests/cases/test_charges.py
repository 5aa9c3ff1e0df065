"""Late fees and penalty interest (issue 18, item 6; docs/fees.md): accrued by the refresh day by day,
idempotent, within the caps, never during a breathing space or a pause, paid by the waterfall, forgiven
by a waiver plan under the approval limits. Every date is passed or frozen: nothing reads the wall clock."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal as D

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from cases.delinquency import refresh_delinquency
from cases.models import Case, CaseStatus, ChargeAccrual, ChargeCap, ChargeKind, ChargeRule, Installment, LoanPause
from cases.services import loan_upsert, payment_record
from repayment_plans.models import PlanStatus
from repayment_plans.services import plan_approve, plan_cancel, plan_propose
from tests.factories import BorrowerFactory, HoldFactory, InstallmentFactory, LoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seeded_caps():
    """The caps and rules migration 0009 seeds, back if a transactional test flushed them (a reused database)."""
    if not ChargeCap.objects.exists():
        importlib.import_module("cases.migrations.0009_seed_charge_rules_caps").seed(django_apps, None)


DUE = dt.date(2026, 3, 2)


def day(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


def at(n: int, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day(n), dt.time(hour), tzinfo=dt.UTC)


def rule(jurisdiction: str = "CN", **terms) -> ChargeRule:
    values = {"grace_days": 3, "penalty_rate": D("0.05"), "penalty_rate_basis": "daily"} | terms
    return ChargeRule.objects.create(jurisdiction=jurisdiction, valid_from=dt.date(2020, 1, 1), active=True, **values)


def loan_due(*, region: str = "CN-31", principal: str = "10000.00", interest: str = "0.00", disbursed: int = -30):
    """One installment of `principal` (+ `interest`) due on DUE, no fee."""
    borrower = BorrowerFactory(region=region)
    loan = LoanFactory(
        borrower=borrower, principal=D(principal), currency="CNY", disbursed_on=day(disbursed), external_id="L-FEE"
    )
    InstallmentFactory(
        loan=loan, seq=1, due_date=DUE, principal_due=D(principal), interest_due=D(interest), fee_due=D("0.00")
    )
    return loan


def refresh(loan, n: int) -> Installment:
    refresh_delinquency(loan_ids=[loan.pk], today=day(n))
    return Installment.objects.get(loan=loan)


def pay(loan, amount: str, n: int, external_id: str = "P-1"):
    with time_machine.travel(at(n), tick=False):
        return payment_record(
            platform=loan.platform, loan=loan, external_id=external_id, amount=D(amount), paid_at=at(n)
        )


def test_seeded_rules_are_inactive_and_caps_name_their_source():
    assert ChargeRule.objects.filter(active=True).count() == 0
    cn = ChargeCap.objects.get(jurisdiction="CN", region="")
    assert cn.annual_cost_ceiling_percent == D("24")
    assert "141" in cn.source and "LPR" in cn.source
    us = ChargeCap.objects.get(jurisdiction="US", region="")
    assert (us.annual_cost_ceiling_percent, us.late_fee_max) == (D("36"), D("15.00"))


def test_nothing_accrues_without_an_active_rule():
    loan = loan_due()
    assert refresh(loan, 40).penalty_due == D("0.00")
    assert not ChargeAccrual.objects.exists()


def test_penalty_accrues_day_by_day_after_the_grace_and_only_for_days_that_are_over():
    rule()  # 3 days' grace, 0.05% a day on 10,000: 5.00 a day
    loan = loan_due()
    assert refresh(loan, 3).penalty_due == D("0.00")  # within the grace
    assert refresh(loan, 4).penalty_due == D("0.00")  # day 4 is the first charged, and not over yet
    assert refresh(loan, 5).penalty_due == D("5.00")
    inst = refresh(loan, 13)
    assert inst.penalty_due == D("45.00")  # days 4..12
    loan.refresh_from_db()
    assert loan.overdue_amount == D("10045.00")  # the case's overdue amount includes it
    assert Case.objects.get(loan=loan, status=CaseStatus.OPEN).overdue_amount == D("10045.00")
    rows = list(ChargeAccrual.objects.filter(installment=inst).values_list("on", "amount", "total"))
    assert rows == [(day(5), D("5.00"), D("5.00")), (day(13), D("40.00"), D("45.00"))]


def test_a_late_fee_fixed_and_percentage_once_after_the_grace():
    rule(late_fee_fixed=D("20.00"), late_fee_percent=D("1"), penalty_rate=D("0"))
    loan = loan_due(principal="1000.00", disbursed=-300)
    assert refresh(loan, 3).late_fee_due == D("0.00")
    assert refresh(loan, 4).late_fee_due == D("30.00")  # 20 + 1% of 1,000, on the first day beyond grace
    assert refresh(loan, 30).late_fee_due == D("30.00")  # once
    assert ChargeAccrual.objects.filter(kind=ChargeKind.LATE_FEE).count() == 1


def test_paid_within_the_grace_costs_nothing():
    rule(late_fee_fixed=D("20.00"))
    loan = loan_due(principal="1000.00")
    pay(loan, "1000.00", 2)
    inst = refresh(loan, 20)
    assert (inst.late_fee_due, inst.penalty_due, inst.remaining) == (D("0.00"), D("0.00"), D("0.00"))


def test_refreshing_twice_the_same_day_adds_nothing():
    rule(late_fee_fixed=D("20.00"))
    loan = loan_due()
    first = refresh(loan, 10)
    second = refresh(loan, 10)
    assert (second.late_fee_due, second.penalty_due) == (first.late_fee_due, first.penalty_due) == (
        D("20.00"), D("30.00"),
    )  # fmt: skip
    assert ChargeAccrual.objects.count() == 2
    loan.refresh_from_db()
    assert loan.overdue_amount == D("10050.00")


def test_a_run_that_catches_up_reaches_what_daily_runs_reached_payments_included():
    rule(late_fee_fixed=D("20.00"))
    daily, once = loan_due(), None
    once_borrower = BorrowerFactory(region="CN-31")
    once = LoanFactory(borrower=once_borrower, principal=D("10000.00"), disbursed_on=day(-30), external_id="L-ONCE")
    InstallmentFactory(loan=once, seq=1, due_date=DUE, principal_due=D("10000.00"), interest_due=0, fee_due=0)
    for n in range(1, 9):
        refresh(daily, n)
    # The same partial payment on day 8 on both: the waterfall takes the late fee and the penalty first.
    pay(daily, "4000.00", 8, "P-D")
    pay(once, "4000.00", 8, "P-O")
    for n in range(9, 21):
        refresh(daily, n)
    caught_up = refresh(once, 20)
    kept = Installment.objects.get(loan=daily)
    assert (caught_up.late_fee_due, caught_up.penalty_due) == (kept.late_fee_due, kept.penalty_due)
    # A payment first brings the charges up to its day (the waterfall sees days 4..7 on both loans): 20
    # late fee and 20.00 penalty paid first, 3,960 of principal, then 3.02 a day on the 6,040 left for
    # days 8..19: 36.24, 56.24 penalty in all.
    assert (kept.late_fee_due, kept.penalty_due) == (D("20.00"), D("56.24"))


def test_a_partial_payment_leaves_the_unpaid_charges_outstanding():
    rule(late_fee_fixed=D("20.00"))
    loan = loan_due(principal="1000.00")
    refresh(loan, 10)  # late fee 20.00, penalty 0.50 a day for days 4..9: 3.00
    payment = pay(loan, "15.00", 10)
    (allocation,) = payment.allocations.all()
    assert (allocation.late_fee, allocation.penalty, allocation.principal) == (D("15.00"), D("0.00"), D("0.00"))
    inst = Installment.objects.get(loan=loan)
    assert inst.charges_open == D("8.00")  # 5 of the fee and the 3 of penalty
    loan.refresh_from_db()
    assert loan.overdue_amount == D("1008.00")
    # The principal's 1,000 the next day: the charges left (and day 10's 0.50) are paid first, not lost,
    # so 8.50 of principal stays unpaid and the case open.
    pay(loan, "1000.00", 11, "P-2")
    inst.refresh_from_db()
    assert (inst.late_fee_paid, inst.penalty_paid, inst.principal_paid) == (D("20.00"), D("3.50"), D("991.50"))
    loan.refresh_from_db()
    assert loan.overdue_amount == D("8.50")
    assert Case.objects.filter(loan=loan, status=CaseStatus.OPEN).exists()


def test_the_cn_annualised_ceiling_caps_the_charges():
    rule(penalty_rate=D("1"))  # 1% a day, far beyond the 24% a year the CN cap allows
    loan = loan_due(principal="10000.00", interest="150.00", disbursed=-30)
    inst = refresh(loan, 20)
    # Uncapped: 16 days x 100.00 = 1,600.00. The cap: 24% x 10,000 x 50 days borrowed / 365 = 328.77,
    # less the contract's interest of 150.00: 178.77.
    assert inst.penalty_due == D("178.77")
    assert ChargeAccrual.objects.get(installment=inst).capped is True


def test_a_contract_already_at_the_ceiling_accrues_nothing():
    rule(late_fee_fixed=D("20.00"))
    loan = loan_due(principal="1000.00", interest="200.00", disbursed=-30)
    inst = refresh(loan, 40)
    assert (inst.late_fee_due, inst.penalty_due) == (D("0.00"), D("0.00"))


def test_the_us_default_caps_the_late_fee_and_a_state_row_tightens_the_ceiling():
    rule("US", grace_days=10, late_fee_fixed=D("25.00"), penalty_rate=D("0"))
    loan = loan_due(region="US-CA", principal="1000.00", disbursed=-300)
    assert refresh(loan, 11).late_fee_due == D("15.00")  # the conservative default: at most 15.00
    ChargeCap.objects.create(jurisdiction="US", region="US-CA", annual_cost_ceiling_percent=D("0"), source="test")
    assert refresh(loan, 12).late_fee_due == D("0.00")  # lowered, written as a negative change
    assert ChargeAccrual.objects.get(on=day(12)).amount == D("-15.00")


def test_no_fee_or_interest_during_a_uk_breathing_space():
    rule("UK", grace_days=5, late_fee_fixed=D("12.00"), penalty_rate=D("0.1"))
    loan = loan_due(region="GB-ENG", principal="1000.00", disbursed=-300)
    HoldFactory(borrower=loan.borrower, kind="breathing_space", starts_at=at(2), ends_at=at(10))
    inst = refresh(loan, 15)
    # Day 6 (the first beyond the grace) fell in the breathing space: no late fee, ever. Penalty 1.00 a
    # day only for days 11..14.
    assert (inst.late_fee_due, inst.penalty_due) == (D("0.00"), D("4.00"))


def test_no_penalty_while_the_loan_is_paused():
    rule()
    loan = loan_due(principal="1000.00")
    LoanPause.objects.create(loan=loan, starts_on=day(6), ends_on=day(9), reason="hardship review")
    # Days 4..14 less the paused 6..9: 7 days at 0.50.
    assert refresh(loan, 15).penalty_due == D("3.50")


def test_a_waiver_forgives_the_charges_under_the_approval_limits(collector, supervisor):
    rule(late_fee_fixed=D("20.00"))
    loan = loan_due(principal="1000.00")
    refresh(loan, 10)  # 20.00 late fee, 3.00 penalty
    case = Case.objects.get(loan=loan, status=CaseStatus.OPEN)
    collector.max_discount_percent = 1  # 23.00 of 1,023.00 is 2.25%: beyond this collector's limit
    collector.save()
    with time_machine.travel(at(10), tick=False):
        plan = plan_propose(
            case=case,
            kind="waiver",
            user=collector,
            reason="hardship",
            waive_interest=True,
            waive_fees=True,
            first_due_date=day(17),
        )
    assert plan.status == PlanStatus.PENDING_APPROVAL and plan.discount_amount == D("23.00")
    with time_machine.travel(at(10), tick=False):
        plan = plan_approve(plan=plan, user=supervisor, reason="documented hardship")
    assert plan.status == PlanStatus.ACTIVE
    inst = Installment.objects.get(loan=loan)
    assert (inst.late_fee_waived, inst.penalty_waived, inst.waived) == (D("20.00"), D("3.00"), D("0.00"))
    assert inst.remaining == D("1000.00")
    # The refresh never asks for the forgiven charges again, and none accrue while the plan runs.
    inst = refresh(loan, 12)
    assert (inst.late_fee_due, inst.penalty_due) == (D("20.00"), D("3.00"))
    assert inst.remaining == D("1000.00")
    loan.refresh_from_db()
    assert loan.overdue_amount == D("1000.00")


def test_the_loan_read_shape_adds_the_charges(api, platform):
    rule(late_fee_fixed=D("20.00"))
    borrower = BorrowerFactory(platform=platform, region="CN-31")
    loan = LoanFactory(borrower=borrower, principal=D("1000.00"), disbursed_on=day(-30), external_id="L-API")
    InstallmentFactory(loan=loan, seq=1, due_date=DUE, principal_due=D("1000.00"), interest_due=0, fee_due=0)
    refresh(loan, 10)
    body = api.get("/api/v1/loans/L-API/").json()
    assert body["charges_outstanding"] == "23.00"
    assert body["overdue_amount"] == "1023.00"
    (installment,) = body["installments"]
    assert installment["late_fee_due"] == "20.00" and installment["penalty_due"] == "3.00"
    assert installment["principal_due"] == "1000.00"  # the existing names unchanged


def test_the_case_page_shows_the_charges(client, admin_user):
    rule(late_fee_fixed=D("20.00"))
    loan = loan_due(principal="1000.00")
    refresh(loan, 10)
    case = Case.objects.get(loan=loan, status=CaseStatus.OPEN)
    client.force_login(admin_user)
    with time_machine.travel(at(10), tick=False):
        page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    panel = page.content.decode().split('id="installments-panel"', 1)[1].split("</section>", 1)[0]
    assert "Late fee and penalty interest" in panel
    assert "23.00" in panel and "1,023.00" in panel  # the charges, and the due amount that includes them


def test_the_whole_books_refresh_accrues_with_the_most_specific_rule():
    rule()  # every product: 0.05% a day
    rule(product="microloan", penalty_rate=D("0.1"))  # microloans: 0.1% a day
    general = loan_due(principal="1000.00")
    borrower = BorrowerFactory(region="CN-31")
    micro = LoanFactory(
        borrower=borrower, product="microloan", principal=D("1000.00"), disbursed_on=day(-30), external_id="L-MICRO"
    )
    InstallmentFactory(loan=micro, seq=1, due_date=DUE, principal_due=D("1000.00"), interest_due=0, fee_due=0)
    refresh_delinquency(today=day(10))  # the whole book, as beat runs it
    assert Installment.objects.get(loan=general).penalty_due == D("3.00")  # days 4..9 at 0.50
    assert Installment.objects.get(loan=micro).penalty_due == D("6.00")  # at 1.00
    general.refresh_from_db()
    assert general.outstanding == general.overdue_amount == D("1003.00")


def test_no_charges_while_a_repayment_plan_runs(collector):
    rule()
    loan = loan_due(principal="1000.00")
    assert refresh(loan, 6).penalty_due == D("1.00")  # days 4 and 5
    case = Case.objects.get(loan=loan, status=CaseStatus.OPEN)
    with time_machine.travel(at(6), tick=False):
        plan = plan_propose(case=case, kind="installment", user=collector, first_due_date=day(10))
    assert plan.status == PlanStatus.ACTIVE and plan.total_amount == D("1001.00")
    assert refresh(loan, 12).penalty_due == D("1.00")  # days 6..11 under the plan
    with time_machine.travel(at(12), tick=False):
        plan_cancel(plan=plan, reason="borrower asked", user=collector)
    assert refresh(loan, 15).penalty_due == D("2.50")  # charged again from day 12


def test_an_installment_whose_late_fee_was_paid_cannot_be_rescheduled_by_an_upload():
    rule(late_fee_fixed=D("20.00"), penalty_rate=D("0"))
    loan = loan_due(principal="1000.00", disbursed=-300)
    refresh(loan, 10)
    pay(loan, "20.00", 10)  # all of it to the late fee
    row = {
        "external_id": loan.external_id,
        "borrower": loan.borrower.external_id,
        "currency": loan.currency,
        "principal": loan.principal,
        "disbursed_on": loan.disbursed_on,
        "installments": [
            {"seq": 1, "due_date": day(30), "principal_due": D("1000.00"), "interest_due": D(0), "fee_due": D(0)}
        ],
    }
    with pytest.raises(ValidationError) as raised:
        loan_upsert(platform=loan.platform, **row)
    assert "installments" in raised.value.message_dict


def test_a_rule_switched_on_later_never_reaches_a_settled_installment():
    loan = loan_due(principal="1000.00", disbursed=-300)
    InstallmentFactory(loan=loan, seq=2, due_date=day(30), principal_due=D("1000.00"), interest_due=0, fee_due=0)
    pay(loan, "1000.00", 20)  # the first installment, paid 20 days late, before any rule was active
    rule()
    refresh_delinquency(loan_ids=[loan.pk], today=day(40))
    first, second = Installment.objects.filter(loan=loan).order_by("seq")
    assert (first.penalty_due, first.remaining) == (D("0.00"), D("0.00"))
    assert second.penalty_due == D("3.00")  # days 34..39 at 0.50
