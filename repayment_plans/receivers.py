"""Repayment plans' answers to what happens below it (connected in RepaymentPlansConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from cases.models import Payment
from cases.signals import payment_recorded, payments_recorded

from .tracking import on_payment_recorded, on_payments_recorded


@receiver(payment_recorded, dispatch_uid="repayment_plans_payment_recorded")
def payment_credits_promises_and_plans(sender: type[Payment], payment: Payment, **kwargs: Any) -> None:
    on_payment_recorded(payment)


@receiver(payments_recorded, dispatch_uid="repayment_plans_payments_recorded")
def payments_credit_promises_and_plans(sender: type[Payment], payments: list[Payment], **kwargs: Any) -> None:
    on_payments_recorded(payments)
