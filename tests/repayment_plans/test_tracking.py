"""Promises and plans are decided by the payment feed and the calendar, with grace periods."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import CaseEvent, CaseStatus, Installment, Loan
from repayment_plans.models import Plan, PlanPayment, PlanStatus, Promise, PromisePayment, PromiseStatus
from repayment_plans.selectors import plan_reminder
from repayment_plans.services import plan_propose
from repayment_plans.tracking import on_payment_recorded, promises_and_plans_check

from .conftest import TODAY, pay

pytestmark = pytest.mark.django_db
D = Decimal
IN_A_WEEK = TODAY + dt.timedelta(days=7)


def promise(case, amount: str, due: dt.date) -> Promise:
    return Promise.objects.create(case=case, amount=D(amount), due_date=due)


# --- promises -------------------------------------------------------------------------------------------


def test_a_promise_paid_in_full_is_kept_at_once(case):
    p = promise(case, "500.00", IN_A_WEEK)
    pay(case, "500.00")
    p.refresh_from_db()
    assert (p.status, p.paid_amount) == (PromiseStatus.KEPT, D("500.00"))
    assert p.resolved_at is not None
    assert CaseEvent.objects.filter(case=case, kind="promise_kept").count() == 1


def test_a_promise_paid_in_two_parts_is_partly_kept_then_kept(case):
    p = promise(case, "500.00", IN_A_WEEK)
    pay(case, "200.00")
    p.refresh_from_db()
    assert (p.status, p.paid_amount, p.resolved_at) == (PromiseStatus.PARTLY_KEPT, D("200.00"), None)
    pay(case, "300.00")
    p.refresh_from_db()
    assert (p.status, p.paid_amount) == (PromiseStatus.KEPT, D("500.00"))


def test_an_unpaid_promise_is_broken_only_after_its_grace_period(case, settings):
    p = promise(case, "500.00", TODAY)
    assert p.grace_days == settings.PROMISE_GRACE_DAYS == 2
    promises_and_plans_check(TODAY + dt.timedelta(days=2))  # last day of grace
    p.refresh_from_db()
    assert p.status == PromiseStatus.PENDING
    result = promises_and_plans_check(TODAY + dt.timedelta(days=3))
    p.refresh_from_db()
    assert p.status == PromiseStatus.BROKEN
    assert result.promises_broken == [p.pk]
    event = CaseEvent.objects.get(case=case, kind="promise_broken")
    assert (event.old_value, event.new_value) == ("pending", "broken")
    # The broken promise puts the case back in front of its strategy.
    case.refresh_from_db()
    assert case.next_action_at is not None and case.next_action_at <= timezone.now()
    # A second run the same day changes nothing.
    assert promises_and_plans_check(TODAY + dt.timedelta(days=3)).promises_broken == []


def test_a_partly_paid_promise_ends_partly_kept(case):
    p = promise(case, "500.00", TODAY)
    pay(case, "120.00")
    result = promises_and_plans_check(TODAY + dt.timedelta(days=3))
    p.refresh_from_db()
    assert (p.status, p.paid_amount) == (PromiseStatus.PARTLY_KEPT, D("120.00"))
    assert p.resolved_at is not None
    assert result.promises_partly_kept == [p.pk]


def test_a_payment_within_grace_keeps_the_promise(case):
    p = promise(case, "500.00", TODAY - dt.timedelta(days=1))
    pay(case, "500.00")  # one day late, within the two days of grace
    p.refresh_from_db()
    assert p.status == PromiseStatus.KEPT


def test_one_payment_fills_promises_oldest_first_and_counts_once(case):
    first = promise(case, "300.00", TODAY + dt.timedelta(days=3))
    second = promise(case, "300.00", TODAY + dt.timedelta(days=10))
    payment = pay(case, "400.00")
    on_payment_recorded(payment)  # a replay: nothing more is credited
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.paid_amount) == (PromiseStatus.KEPT, D("300.00"))
    assert (second.status, second.paid_amount) == (PromiseStatus.PARTLY_KEPT, D("100.00"))
    assert PromisePayment.objects.filter(payment=payment).count() == 2


# --- plans ----------------------------------------------------------------------------------------------


def _installment_plan(case, collector, **overrides) -> Plan:
    terms = {"first_due_date": IN_A_WEEK, "installment_count": 3, "frequency": "monthly"} | overrides
    return plan_propose(case=case, kind="installment", user=collector, **terms)


def test_payments_fill_the_plan_in_date_order_and_count_once(case, collector):
    plan = _installment_plan(case, collector)
    payment = pay(case, "1500.00")
    on_payment_recorded(payment)  # replayed: still 1500 credited, not 3000
    rows = list(plan.installments.order_by("seq").values_list("paid_amount", flat=True))
    assert rows == [D("1060.00"), D("440.00"), D("0.00")]
    assert sum(PlanPayment.objects.filter(payment=payment).values_list("amount", flat=True)) == D("1500.00")
    # Reminders follow the plan's next unpaid date.
    reminder = plan_reminder(case, TODAY)
    assert (reminder.seq, reminder.amount_due) == (2, D("620.00"))


def test_a_plan_on_track_is_not_broken(case, collector):
    plan = _installment_plan(case, collector)
    pay(case, "1060.00")
    result = promises_and_plans_check(IN_A_WEEK + dt.timedelta(days=20))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert result.plans_broken == []


def test_a_missed_installment_breaks_the_plan_after_grace(case, collector, settings):
    plan = _installment_plan(case, collector)
    assert plan.grace_days == settings.PLAN_GRACE_DAYS == 5
    pay(case, "1000.00")  # 60.00 short of the first installment
    promises_and_plans_check(IN_A_WEEK + dt.timedelta(days=5))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE  # still within grace
    result = promises_and_plans_check(IN_A_WEEK + dt.timedelta(days=6))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN
    assert result.plans_broken == [plan.pk]
    assert "Installment 1" in plan.end_reason
    event = CaseEvent.objects.get(case=case, kind="plan_broken")
    assert event.data["missed_seq"] == 1 and event.data["shortfall"] == "60.00"
    # Back to collection: the case is due for its strategy's next step now, reminders no longer follow the plan.
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.next_action_at <= timezone.now()
    assert plan_reminder(case, TODAY) is None


def test_payments_after_a_broken_plan_are_not_credited_to_it(case, collector):
    plan = _installment_plan(case, collector)
    promises_and_plans_check(IN_A_WEEK + dt.timedelta(days=6))
    pay(case, "500.00")
    assert not PlanPayment.objects.filter(installment__plan=plan).exists()


def test_a_settlement_paid_in_full_completes_forgives_the_rest_and_closes_the_case(case, collector):
    plan = plan_propose(
        case=case, kind="settlement", user=collector, settlement_amount=D("2900.00"), first_due_date=IN_A_WEEK
    )
    pay(case, "2900.00")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert plan.waived_applied == D("280.00")
    assert sum(Installment.objects.filter(loan=case.loan).values_list("waived", flat=True)) == D("280.00")
    loan = Loan.objects.get(pk=case.loan_id)
    assert loan.outstanding == D("0.00")
    # The payment already cleared the arrears (the case closed as cured); nothing is owed now.
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_an_installment_plan_completes_on_the_last_payment(case, collector):
    plan = _installment_plan(case, collector, installment_count=2)
    pay(case, "1590.00")
    pay(case, "1590.00")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert plan.waived_applied == D("0.00")  # nothing was forgiven
    assert CaseEvent.objects.filter(case=case, kind="plan_completed").count() == 1


def test_a_payment_made_before_the_plan_started_does_not_count_for_it(case, collector):
    plan = _installment_plan(case, collector)
    pay(case, "100.00", paid_at=timezone.now() - dt.timedelta(days=3))
    assert plan.installments.get(seq=1).paid_amount == D("0.00")
