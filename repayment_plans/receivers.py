"""Repayment plans' answers to what happens below it (connected in RepaymentPlansConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.models import Payment
from cases.signals import charge_free_periods, payment_recorded, payments_recorded

from .selectors import plan_periods_by_loan
from .tracking import on_payment_recorded, on_payments_recorded


@receiver(payment_recorded, dispatch_uid="repayment_plans_payment_recorded")
def payment_credits_promises_and_plans(sender: type[Payment], payment: Payment, **kwargs: Any) -> None:
    on_payment_recorded(payment)


@receiver(payments_recorded, dispatch_uid="repayment_plans_payments_recorded")
def payments_credit_promises_and_plans(sender: type[Payment], payments: list[Payment], **kwargs: Any) -> None:
    on_payments_recorded(payments)


@receiver(charge_free_periods, dispatch_uid="repayment_plans_charge_free_periods")
def no_charges_while_a_plan_runs(sender: type, loan_ids: list[int], **kwargs: Any) -> dict:
    """A borrower keeping to an agreed plan is not charged late fees or penalty interest meanwhile (the
    plan's total was fixed when it was agreed): the days each plan of the loans was active."""
    return plan_periods_by_loan(loan_ids)
